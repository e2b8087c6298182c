package kit

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// pressTab does what the desktop driver does with Tab: a focused widget
// that accepts Tab gets it typed, otherwise the focus moves on.
func pressTab(c fyne.Canvas) {
	if t, ok := c.Focused().(fyne.Tabbable); ok && t.AcceptsTab() {
		c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})
		return
	}
	c.FocusNext()
}

func TestTabLeavesATextArea(t *testing.T) {
	test.NewTempApp(t)
	a, b := NewTextArea(), NewTextArea()
	w := test.NewTempWindow(t, container.NewVBox(a, b))
	w.Resize(fyne.NewSize(400, 300)) // wrapping needs a width to type into
	w.Canvas().Focus(a)
	test.Type(a, "Cough for 3 days")
	pressTab(w.Canvas())
	if w.Canvas().Focused() != b {
		t.Fatalf("Tab in the first box left the focus on %T, want the second box", w.Canvas().Focused())
	}
	test.Type(b, "Chest clear")
	if a.Text != "Cough for 3 days" || b.Text != "Chest clear" {
		t.Fatalf("texts %q and %q", a.Text, b.Text)
	}
	// Enter still breaks a line in it.
	b.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	test.Type(b, "No fever")
	if b.Text != "Chest clear\nNo fever" {
		t.Fatalf("after Enter the box reads %q", b.Text)
	}
	// Fyne's own multi-line entry keeps Tab (why TextArea exists).
	plain := widget.NewMultiLineEntry()
	if !plain.AcceptsTab() {
		t.Log("Fyne's multi-line entry no longer keeps Tab; TextArea may go")
	}
}
