package physician

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
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
