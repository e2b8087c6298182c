package physician

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/ui/kit"
)

// TestNoAllergiesRecordedIsNotNoneKnown: a chart without allergies says
// none are recorded and to ask, not "No known allergies", which is what
// a clinician writes once the patient was asked (NKA); and choosing a
// drug for such a patient says the allergy check had nothing to check
// against, where it showed nothing, as for a drug checked and safe.
func TestNoAllergiesRecordedIsNotNoneKnown(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Unasked", c.now.Add(time.Hour))
	v, _, _ := openChart(t, c, p.ID)
	if hasLabel(v.content, "No known allergies") {
		t.Error("the chart reads \"No known allergies\" while none were recorded")
	}
	if !strings.Contains(v.allergies.Text, "No allergies recorded: ask the patient") {
		t.Errorf("the header says %q", v.allergies.Text)
	}
	f := v.rx
	f.drug.SetText("amoxicillin 500")
	test.Tap(button(t, f.suggest, "amoxicillin 500 mg capsule"))
	if !f.preview.Visible() || !strings.Contains(f.preview.Text, "No allergies are recorded for Unasked, Cora: this drug was checked against none") {
		t.Errorf("choosing amoxicillin: the preview says %q (shown %v)", f.preview.Text, f.preview.Visible())
	}
}

// TestAskedNoKnownAllergies: the physician who asked records "no known
// allergies" in one press; the header and the allergy card then say who
// asked and when, the prescription preview says what the drug was
// checked against, and an allergy recorded afterwards supersedes it,
// leaving it as history.
func TestAskedNoKnownAllergies(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Asked", c.now.Add(time.Hour))
	v, _, _ := openChart(t, c, p.ID)
	test.Tap(button(t, v.content, "Asked: no known allergies"))
	day := kit.DayText(c.now.Local().Format("2006-01-02")) // in the clinic's date format
	want := "No known allergies (asked " + day + ", Dr Paul Physician)"
	if v.allergies.Text != want || !hasLabel(v.content, want) {
		t.Errorf("after recording: the header says %q, want %q on it and on the card (status %q)", v.allergies.Text, want, v.status.Text)
	}
	if hasLabel(v.content, "No allergies recorded") || len(v.chart.Allergies) != 0 {
		t.Error("the chart still says none were recorded, or counts the statement as an allergy")
	}
	f := v.rx
	f.drug.SetText("amoxicillin 500")
	test.Tap(button(t, f.suggest, "amoxicillin 500 mg capsule"))
	if wantRx := "Allergies checked: no known allergies (asked " + day + ")."; !f.preview.Visible() || f.preview.Text != wantRx {
		t.Errorf("choosing amoxicillin: the preview says %q (shown %v), want %q", f.preview.Text, f.preview.Visible(), wantRx)
	}

	sub, _ := find(v.content, func(e *kit.Entry) bool { return e.PlaceHolder == "Substance, e.g. penicillin" })
	sev, _ := find(v.content, func(s *kit.TypeSelect) bool { return s.PlaceHolder == "Severity" })
	sub.SetText("Penicillin")
	sev.SetSelected("moderate")
	test.Tap(button(t, v.content, "Add allergy"))
	if !strings.HasPrefix(v.allergies.Text, "⚠ Allergies: Penicillin") {
		t.Errorf("after penicillin: the header says %q", v.allergies.Text)
	}
	if !hasLabel(v.content, "Earlier: "+want+". Superseded by the allergies above.") {
		t.Error("the superseded statement is not shown as history")
	}
}

// TestRefusedPrescriptionShownOnTheChart: a prescription for the patient
// that this workstation refused is said under the medications, by whom,
// when and why, as not part of the chart.
func TestRefusedPrescriptionShownOnTheChart(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Refused", c.now.Add(time.Hour))
	v, _, _ := openChart(t, c, p.ID)
	at := time.Date(2026, 12, 7, 14, 2, 0, 0, time.Local)
	v.chart.Refused = []chart.RefusedPrescription{{Time: at, Name: "Dr Petra Second", Why: "dose is not an amount", Drugs: []string{"amoxicillin"}}}
	v.showSummary()
	want := "Refused here: a prescription (amoxicillin) signed by Dr Petra Second on " + kit.FormatDate(at) + " at 14:02 (dose is not an amount). " +
		"It is not part of this chart and new prescriptions are not checked against it; ask Dr Petra Second what the patient was given."
	if !hasLabel(v.content, want) {
		t.Errorf("the chart does not say %q", want)
	}
	if got := refusedText(chart.RefusedPrescription{Time: at, Why: "written after the member was revoked"}); !strings.HasPrefix(got,
		"Refused here: a prescription signed by a colleague on ") {
		t.Errorf("with no name and no drug: %q", got)
	}
}

// TestNoKnownDrugAllergyChecksDrugs: an imported "no known drug allergy"
// reads as such on the chart and counts as asked for a prescription; "no
// known food allergies" does not.
func TestNoKnownDrugAllergyChecksDrugs(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Drugs", c.now.Add(time.Hour))
	v, _, _ := openChart(t, c, p.ID)
	day := kit.DayText(c.now.Local().Format("2006-01-02"))
	for _, tc := range []struct{ of, header, preview string }{
		{"drug", "No known drug allergies (asked " + day + ", Dr Other)", "Allergies checked: no known drug allergies (asked " + day + ")."},
		{"food", "No known food allergies (asked " + day + ", Dr Other)", "⚠ Only no known food allergies are recorded for"},
	} {
		v.chart.NoneKnown = &chart.NoneKnown{Of: tc.of, Current: true, Asked: c.now, ByName: "Dr Other"}
		v.show(v.chart)
		if v.allergies.Text != tc.header {
			t.Errorf("%s: the header says %q, want %q", tc.of, v.allergies.Text, tc.header)
		}
		f := v.rx
		f.drug.SetText("amoxicillin 500")
		test.Tap(button(t, f.suggest, "amoxicillin 500 mg capsule"))
		if !f.preview.Visible() || !strings.HasPrefix(f.preview.Text, tc.preview) {
			t.Errorf("%s: the preview says %q, want it to begin %q", tc.of, f.preview.Text, tc.preview)
		}
	}
}

// TestEscGivesTheKeyboardBackToEnteredInError: Space on "Entered in
// error" asks first; Esc keeps the statement and the keyboard is on the
// button again (it was nowhere: Fyne's button lets go of the keyboard as
// it is pressed, and the question found nothing to give it back to).
func TestEscGivesTheKeyboardBackToEnteredInError(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Escaped", c.now.Add(time.Hour))
	v, _, w := openChart(t, c, p.ID)
	test.Tap(button(t, v.content, "Asked: no known allergies"))
	rm := button(t, v.content, "Entered in error")
	w.Canvas().Focus(rm)
	rm.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("Space on Entered in error asked nothing")
	}
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if w.Canvas().Overlays().Top() != nil || w.Canvas().Focused() != rm {
		t.Errorf("after Esc: dialog %v, keyboard on %v; want no dialog and the keyboard on Entered in error", w.Canvas().Overlays().Top(), w.Canvas().Focused())
	}
	if v.chart.NoneKnown == nil || !v.chart.NoneKnown.Current {
		t.Error("Esc took the statement off the chart")
	}
}
