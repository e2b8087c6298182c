package kit

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestConfirmGivesTheKeyboardBack: a question opened by Space on a button
// gives the keyboard back to that button when it closes, whatever closed
// it (Esc, an answer). Fyne's Button.Tapped unfocuses before it runs
// OnTapped (v2.8.1, widget/button.go: "the focus manager won't get this
// Tap"), so what had the keyboard as the dialog showed was nothing; the
// button that opens it names itself (Confirm.Back). A Notice alike, and an
// error (ShowError(…).Back).
func TestConfirmGivesTheKeyboardBack(t *testing.T) {
	esc := &fyne.KeyEvent{Name: fyne.KeyEscape}
	space := &fyne.KeyEvent{Name: fyne.KeySpace}
	enter := &fyne.KeyEvent{Name: fyne.KeyReturn}
	for _, tc := range []struct {
		name  string
		kind  string
		close *fyne.KeyEvent
	}{
		{"confirm, Esc", "confirm", esc},
		{"confirm, Enter on no", "confirm", enter},
		{"notice, Esc", "notice", esc},
		{"notice, Enter", "notice", enter},
		{"error, Esc", "error", esc},
	} {
		t.Run(tc.name, func(t *testing.T) {
			test.NewTempApp(t)
			var open *widget.Button
			other := widget.NewButton("Other", nil)
			w := test.NewTempWindow(t, widget.NewLabel(""))
			open = widget.NewButton("Entered in error", func() {
				switch tc.kind {
				case "notice":
					Notice{Title: "Said", Message: "Something", Back: open}.Show(w)
				case "error":
					ShowError("Could not do it", "the server did not answer", w).Back(open)
				default:
					Confirm{Title: "Sure?", Message: "Really", Yes: "Yes", Back: open}.Show(w)
				}
			})
			w.SetContent(container.NewVBox(other, open))
			w.Resize(fyne.NewSize(600, 400))
			c := w.Canvas()
			c.Focus(open)
			open.TypedKey(space) // as the window hands Space to the button with the keyboard
			if c.Overlays().Top() == nil {
				t.Fatal("Space on the button showed no dialog")
			}
			c.Focused().TypedKey(tc.close)
			if c.Overlays().Top() != nil {
				t.Fatal("the dialog stays")
			}
			if got := c.Focused(); got != open {
				t.Errorf("after the dialog closed the keyboard is on %v; want the button that opened it", got)
			}
		})
	}
}

// TestQuestionFromAFieldGivesItBack: a question asked by Enter in a field
// (the booking's "Book in the past?") gives the keyboard back to the
// field, not to its Back (the form's Book): the keyboard is where the
// receptionist left it.
func TestQuestionFromAFieldGivesItBack(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	book := widget.NewButton("Book", nil)
	field := widget.NewEntry()
	field.OnSubmitted = func(string) {
		Confirm{Title: "Book in the past?", Message: "Really", Yes: "Book anyway", Back: book}.Show(w)
	}
	w.SetContent(container.NewVBox(field, book))
	w.Resize(fyne.NewSize(600, 400))
	c := w.Canvas()
	c.Focus(field)
	field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if c.Overlays().Top() == nil {
		t.Fatal("Enter in the field asked nothing")
	}
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if got := c.Focused(); got != field {
		t.Errorf("after Esc the keyboard is on %v; want the field that asked", got)
	}
}
