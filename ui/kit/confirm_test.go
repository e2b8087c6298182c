package kit

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestConfirmKeys: the question shows with the keyboard on its default
// answer, Enter presses the button that has the keyboard, Esc answers no
// from a button, from a field and from the page (no focus); each answer
// is given once.
func TestConfirmKeys(t *testing.T) {
	enter := &fyne.KeyEvent{Name: fyne.KeyReturn}
	esc := &fyne.KeyEvent{Name: fyne.KeyEscape}
	tests := []struct {
		name     string
		enterYes bool
		keys     func(c fyne.Canvas)
		want     string
	}{
		{"enter gives the safe default", false, func(c fyne.Canvas) { c.Focused().TypedKey(enter) }, "no"},
		{"enter gives yes when it is the default", true, func(c fyne.Canvas) { c.Focused().TypedKey(enter) }, "yes"},
		{"tab then enter gives the other answer", false, func(c fyne.Canvas) {
			c.FocusNext()
			c.Focused().TypedKey(enter)
		}, "yes"},
		{"esc on the default yes answers no", true, func(c fyne.Canvas) { c.Focused().TypedKey(esc) }, "no"},
		{"esc with no focus answers no", true, func(c fyne.Canvas) {
			c.Unfocus()
			if !DialogKey(c, esc) {
				t.Error("DialogKey did not see the question on top")
			}
		}, "no"},
		{"enter with no focus gives the default", true, func(c fyne.Canvas) {
			c.Unfocus()
			DialogKey(c, enter)
		}, "yes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			w := test.NewTempWindow(t, widget.NewLabel("behind"))
			w.Resize(fyne.NewSize(800, 600))
			var got []string
			cd := Confirm{Title: "Sign this note?", Message: "It never changes.", Yes: "Sign note", No: "Keep editing",
				EnterYes: tt.enterYes, Answer: func(yes bool) { got = append(got, map[bool]string{true: "yes", false: "no"}[yes]) }}.Show(w)
			c := w.Canvas()
			if c.Focused() != cd.Default() {
				t.Fatalf("the keyboard is on %v, not on the default answer %q", c.Focused(), cd.Default().Text)
			}
			tt.keys(c)
			if strings.Join(got, ",") != tt.want {
				t.Fatalf("answered %q, want %q", got, tt.want)
			}
			if c.Overlays().Top() != nil {
				t.Error("the question is still shown")
			}
			cd.Answer(true) // a second answer counts for nothing
			if len(got) != 1 {
				t.Errorf("answered %d times", len(got))
			}
		})
	}
	t.Run("esc in a field of the question answers no", func(t *testing.T) {
		test.NewTempApp(t)
		w := test.NewTempWindow(t, widget.NewLabel("behind"))
		w.Resize(fyne.NewSize(800, 600))
		code := NewEntry()
		var got []bool
		Confirm{Title: "Approve?", Content: code, Yes: "Approve", Answer: func(yes bool) { got = append(got, yes) }}.Show(w)
		w.Canvas().Focus(code)
		test.Type(code, "123")
		code.TypedKey(esc)
		if len(got) != 1 || got[0] || w.Canvas().Overlays().Top() != nil {
			t.Fatalf("esc in the field answered %v", got)
		}
	})
}

// TestNoticeKeys: an information or error dialog shows with the keyboard
// on its button, and Enter or Esc closes it, from the button or from the
// page (no focus); Closed runs once. Fyne's took no Enter at all.
func TestNoticeKeys(t *testing.T) {
	enter := &fyne.KeyEvent{Name: fyne.KeyReturn}
	esc := &fyne.KeyEvent{Name: fyne.KeyEscape}
	for _, tt := range []struct {
		name string
		show func(w fyne.Window, closed func()) *ConfirmDialog
		keys func(c fyne.Canvas)
	}{
		{"enter closes information", func(w fyne.Window, closed func()) *ConfirmDialog {
			return Notice{Title: "Exported", Message: "Saved.", Closed: closed}.Show(w)
		}, func(c fyne.Canvas) { c.Focused().TypedKey(enter) }},
		{"esc closes information", func(w fyne.Window, closed func()) *ConfirmDialog {
			return Notice{Title: "Exported", Message: "Saved.", Close: "Close", Closed: closed}.Show(w)
		}, func(c fyne.Canvas) { c.Focused().TypedKey(esc) }},
		{"enter closes an error", func(w fyne.Window, closed func()) *ConfirmDialog {
			cd := ShowError("Could not revoke the token", "the server did not answer", w)
			cd.answer = func(bool) { closed() }
			return cd
		}, func(c fyne.Canvas) { c.Focused().TypedKey(enter) }},
		{"enter with no focus closes", func(w fyne.Window, closed func()) *ConfirmDialog {
			return Notice{Title: "Done", Message: "Done.", Closed: closed}.Show(w)
		}, func(c fyne.Canvas) {
			c.Unfocus()
			if !DialogKey(c, enter) {
				t.Error("DialogKey did not see the notice on top")
			}
		}},
		{"esc with no focus closes", func(w fyne.Window, closed func()) *ConfirmDialog {
			return Notice{Title: "Done", Message: "Done.", Closed: closed}.Show(w)
		}, func(c fyne.Canvas) {
			c.Unfocus()
			DialogKey(c, esc)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			test.NewTempApp(t)
			w := test.NewTempWindow(t, widget.NewLabel("behind"))
			w.Resize(fyne.NewSize(800, 600))
			n := 0
			cd := tt.show(w, func() { n++ })
			c := w.Canvas()
			if c.Focused() != cd.Default() || cd.Default().Importance != widget.HighImportance {
				t.Fatalf("the keyboard is on %v, not on the button", c.Focused())
			}
			tt.keys(c)
			if c.Overlays().Top() != nil {
				t.Error("the notice is still shown")
			}
			cd.Hide()
			if n != 1 {
				t.Errorf("Closed ran %d times", n)
			}
		})
	}
}
