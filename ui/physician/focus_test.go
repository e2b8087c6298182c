package physician

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// TestPatientsSearchTakesTheKeyboardBack: the physician's Patients screen
// gives its search the keyboard when shown (kit.FirstFocus); Enter
// searches, and Enter again on the same search with one patient found
// opens the chart; with a chart open in its place it names nothing; Back
// to search gives the search the keyboard again, its text selected, so
// the next name replaces it, and Enter then searches for that name.
func TestPatientsSearchTakesTheKeyboardBack(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Keyes", c.now.Add(time.Hour))
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1280, 800))
	s := newScreen(clinicOfTest(t, c.phys), w)
	s.inline, s.now = true, func() time.Time { return c.now }
	f := newPatients(s)
	screen := f.shown()
	w.SetContent(screen)
	cv := w.Canvas()
	if got := kit.FirstFocusIn(screen); got != f.query {
		t.Fatalf("the screen names %T for the keyboard, want its search", got)
	}
	cv.Focus(f.query)
	test.Type(f.query, "keyes")
	f.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if _, ok := find(f.results, func(b *widget.Button) bool { return strings.Contains(b.Text, p.MRN) }); !ok || f.chart != nil {
		t.Fatalf("Enter in the search found no %s, or opened a chart at once (%v)", p.MRN, f.chart != nil)
	}
	// Enter again on the same search, one patient found: her chart opens.
	f.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if f.chart == nil || f.chart.patientID != p.ID {
		t.Fatal("Enter on one patient found did not open the chart")
	}
	if got := kit.FirstFocusIn(screen); got != nil {
		t.Fatalf("with a chart open the screen names %T for the keyboard", got)
	}
	cv.Unfocus()
	test.Tap(button(t, f.chart.content, "Back to search"))
	if cv.Focused() != f.query {
		t.Fatalf("Back to search: the keyboard is on %T, not the search", cv.Focused())
	}
	test.Type(f.query, "m")
	if f.query.Text != "m" {
		t.Fatalf("the next name typed after Back reads %q: the old one was not selected", f.query.Text)
	}
	// The results on show answer "keyes": Enter on "m" searches, and
	// opens nothing of them.
	f.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if f.chart != nil {
		t.Fatal("Enter on a new search opened the chart of the older one")
	}
}

// TestStartVisitGoesToTheNote: Start visit shows the note, and the
// keyboard is in its Subjective box: the physician types what the patient
// says without reaching for the mouse (under Xvfb the keyboard was
// nowhere, and the first words typed were lost).
func TestStartVisitGoesToTheNote(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	c.book(t, "Soon", c.now.Add(time.Hour))
	cs := c.calendar(t)
	r, ok := find(cs.stack, func(b *fyne.Container) bool { return hasLabel(b, "Soon, Cora") && len(b.Objects) == 3 })
	if !ok {
		t.Fatal("no calendar row")
	}
	test.Tap(button(t, r, "Open chart"))
	v := cs.chart
	test.Tap(button(t, v.content, "Start visit"))
	if v.encounter == nil {
		t.Fatalf("no visit started: %q", v.status.Text)
	}
	cv := cs.win.Canvas()
	if cv.Focused() != v.notes.s {
		t.Fatalf("after Start visit the keyboard is on %T, not the note's Subjective", cv.Focused())
	}
	test.Type(v.notes.s, "Sore since Friday")
	if v.notes.s.Text != "Sore since Friday" {
		t.Fatalf("Subjective reads %q", v.notes.s.Text)
	}
}

// TestDrugChosenByKeyboard: in the prescription's drug field, Down opens
// the list of the drugs matching what was typed, and the arrows and Enter
// choose one (Down and Enter did nothing: only the pointer could choose);
// the keyboard is then back in the field.
func TestDrugChosenByKeyboard(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Keyboard", c.now.Add(time.Hour))
	v, _, w := openChart(t, c, p.ID)
	v.tabs.SelectIndex(3)
	f := v.rx
	cv := w.Canvas()
	cv.Focus(f.drug)
	test.Type(f.drug, "amoxicillin 500")
	key := func(name fyne.KeyName) {
		t.Helper()
		k, ok := cv.Focused().(fyne.Focusable)
		if !ok {
			t.Fatalf("nothing has the keyboard for %s", name)
		}
		k.TypedKey(&fyne.KeyEvent{Name: name})
	}
	key(fyne.KeyDown)
	if _, ok := cv.Focused().(*widget.PopUpMenu); !ok {
		t.Fatalf("Down in the drug field: the keyboard is on %T, not the list of drugs", cv.Focused())
	}
	key(fyne.KeyDown)
	key(fyne.KeyReturn)
	if f.chosen == nil || !strings.HasPrefix(f.chosen.Label(), "amoxicillin 500") {
		t.Fatalf("Down, Down, Enter chose %+v (field %q)", f.chosen, f.drug.Text)
	}
	if cv.Focused() != f.drug {
		t.Fatalf("after choosing, the keyboard is on %T, not the drug field", cv.Focused())
	}
	// Tab goes on to the dose, and from How often to Days: the lists'
	// arrows are no Tab stops (Tab stopped on the drug field's arrow).
	kittest.PressTab(cv)
	if cv.Focused() != f.dose {
		t.Errorf("Tab from the drug field went to %T, not the dose", cv.Focused())
	}
	cv.Focus(f.freq)
	kittest.PressTab(cv)
	if cv.Focused() != f.days {
		t.Errorf("Tab from How often went to %T, not Days", cv.Focused())
	}
}
