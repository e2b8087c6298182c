package physician

import (
	"testing"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// TestAllergyEnteredInErrorAsksFirst: one click on "Entered in error" took
// a penicillin allergy off the chart, its banner and the prescriptions'
// check (seen in the real window, session 26). It asks first; keeping it
// keeps it, and only the dialog's own answer removes it.
func TestAllergyEnteredInErrorAsksFirst(t *testing.T) {
	_, w, s := allergicPatientToday(t)
	cs := newCalendar(s)
	w.SetContent(container.NewVScroll(cs.stack))
	test.Tap(button(t, cs.stack, "Open chart"))
	v := cs.chart
	if v == nil || !v.loaded || len(v.chart.Allergies) != 1 {
		t.Fatalf("the chart did not open with its allergy: %v", cs.fb.Text)
	}

	test.Tap(button(t, v.content, "Entered in error"))
	if len(v.chart.Allergies) != 1 || !dialogSays(w, "Penicillin") {
		t.Fatalf("one click took the allergy off (%d left) or asked nothing", len(v.chart.Allergies))
	}
	tapDialog(t, w, "Keep the allergy")
	if len(v.chart.Allergies) != 1 {
		t.Fatal("keeping the allergy removed it")
	}

	test.Tap(button(t, v.content, "Entered in error"))
	tapDialog(t, w, "Entered in error")
	if len(v.chart.Allergies) != 0 || !hasLabel(v.content, "No allergies recorded") {
		t.Fatalf("the answer did not mark it entered in error: %d left, %q", len(v.chart.Allergies), v.status.Text)
	}
}
