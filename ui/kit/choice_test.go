package kit_test

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// TestNoBareChoice: every radio group and drop-down of ui is the kit's
// (kit.Radio, kit.TypeSelect): Fyne's (v2.8.1) swallow Esc while they have
// the keyboard, so the dialog they sit in stayed open, and a Select takes
// no letters.
func TestNoBareChoice(t *testing.T) {
	bare := func(name string) bool {
		switch name {
		case "NewRadioGroup", "RadioGroup", "NewSelect", "Select":
			return true
		}
		return false
	}
	for _, at := range uses(t, "widget", bare) {
		if strings.Contains(at, "kit/typeselect.go") { // the kit's own, around Fyne's
			continue
		}
		t.Errorf("%s: Fyne's radio group or select drops Esc; use kit.NewRadio or kit.NewTypeSelect", at)
	}
}

// TestChoicesPassEsc: Esc on a radio choice or a closed drop-down that has
// the keyboard does what Esc does with nothing focused: it answers the
// question on top no (kit.Confirm) or, through the window's own key
// handler (the shell's), closes the dialog it sits in. Enter on a
// drop-down submits its form when the form says how; it chooses nothing.
func TestChoicesPassEsc(t *testing.T) {
	for _, tc := range []struct {
		name    string
		choice  func() fyne.Focusable
		confirm bool // in a kit.Confirm, else in a plain dialog
	}{
		{"radio in a question", func() fyne.Focusable { return firstChoice(kit.NewRadio([]string{"a", "b"}, nil)) }, true},
		{"radio in a dialog", func() fyne.Focusable { return firstChoice(kit.NewRadio([]string{"a", "b"}, nil)) }, false},
		{"select in a question", func() fyne.Focusable { return kit.NewTypeSelect([]string{"a", "b"}, nil) }, true},
		{"select in a dialog", func() fyne.Focusable { return kit.NewTypeSelect([]string{"a", "b"}, nil) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			test.NewTempApp(t)
			w := test.NewTempWindow(t, widget.NewLabel("behind"))
			w.Resize(fyne.NewSize(800, 600))
			c := w.Canvas()
			passed := 0
			c.SetOnTypedKey(func(ev *fyne.KeyEvent) { // as the shell's typedKey
				passed++
				if kit.DialogKey(c, ev) {
					return
				}
				if top := c.Overlays().Top(); ev.Name == fyne.KeyEscape && top != nil {
					top.Hide()
					c.Overlays().Remove(top)
				}
			})
			choice := tc.choice()
			answered := ""
			if tc.confirm {
				kit.Confirm{Title: "Q", Content: choice.(fyne.CanvasObject), Yes: "Do it", Answer: func(yes bool) {
					answered = map[bool]string{true: "yes", false: "no"}[yes]
				}}.Show(w)
			} else {
				dialog.NewCustomWithoutButtons("D", choice.(fyne.CanvasObject), w).Show()
			}
			c.Focus(choice)
			if c.Focused() != choice {
				t.Fatalf("%T did not take the keyboard", choice)
			}
			choice.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
			if c.Overlays().Top() != nil {
				t.Errorf("Esc on %T left the dialog shown", choice)
			}
			if tc.confirm && answered != "no" {
				t.Errorf("Esc answered %q, want no", answered)
			}
			if passed != 1 {
				t.Errorf("the window's key handler ran %d times, want 1", passed)
			}
		})
	}
	t.Run("Enter on a select", func(t *testing.T) {
		test.NewTempApp(t)
		s := kit.NewTypeSelect([]string{"female", "male"}, nil)
		submitted := 0
		s.OnSubmitted = func() { submitted++ }
		w := test.NewTempWindow(t, s)
		w.Canvas().Focus(s)
		s.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if submitted != 1 || s.Selected != "" {
			t.Errorf("Enter: submitted %d times, %q chosen; want once, none", submitted, s.Selected)
		}
	})
}

// firstChoice is the first option of r, which takes the keyboard.
func firstChoice(r *kit.Radio) fyne.Focusable {
	var first fyne.Focusable
	kittest.Walk(r, func(o fyne.CanvasObject) {
		if f, ok := o.(fyne.Focusable); ok && first == nil {
			first = f
		}
	})
	return first
}
