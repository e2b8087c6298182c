package kittest

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// WaitBound is how long Eventually waits: far longer than a screen takes
// to load, even under -race on a machine at load 30 (a test waits that
// long only when it fails).
const WaitBound = time.Minute

// Eventually waits until cond holds, reading it as the UI goroutine would
// (kit.Locked: background work may call back meanwhile), and fails the
// test after WaitBound. cond must not take kit's lock itself.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitBound)
	for {
		ok := false
		kit.Locked(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", WaitBound, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Walk visits o and everything drawn under it, widgets' renderers too.
func Walk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	fn(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			Walk(c, fn)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			Walk(c, fn)
		}
	}
}

// Close closes w and destroys the renderers of what it shows, as the
// real driver does when it closes a window and Fyne's test driver does
// not: a screen's live subscriptions and timers (kit.Live) end with the
// test instead of calling back into the tests after it.
func Close(w fyne.Window) {
	var widgets []fyne.Widget
	Walk(w.Content(), func(o fyne.CanvasObject) {
		if x, ok := o.(fyne.Widget); ok {
			widgets = append(widgets, x)
		}
	})
	for _, x := range widgets {
		test.WidgetRenderer(x).Destroy()
	}
	w.Close()
}

// Texts is the text of the visible labels under o, one a line.
func Texts(o fyne.CanvasObject) string {
	var b strings.Builder
	Walk(o, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && l.Visible() {
			b.WriteString(l.Text + "\n")
		}
	})
	return b.String()
}

// Button is the first visible button under o labelled text (a
// question's button too: kit.DialogButton), or nil.
func Button(o fyne.CanvasObject, text string) *widget.Button {
	var found *widget.Button
	Walk(o, func(o fyne.CanvasObject) {
		b, ok := o.(*widget.Button)
		if db, isDialog := o.(*kit.DialogButton); isDialog {
			b, ok = db.Plain(), true
		}
		if ok && found == nil && b.Text == text && b.Visible() {
			found = b
		}
	})
	return found
}

// Dialog is the text of the labels of the dialog on top of w ("" when
// none is shown).
func Dialog(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	return Texts(top)
}

// DialogSize is the size of the dialog on top of w (zero when none).
func DialogSize(w fyne.Window) fyne.Size {
	top, ok := w.Canvas().Overlays().Top().(fyne.Widget)
	if !ok {
		return fyne.Size{}
	}
	for _, o := range test.WidgetRenderer(top).Objects() {
		if p, ok := o.(*widget.PopUp); ok {
			return p.Content.Size()
		}
	}
	return fyne.Size{}
}

// TapDialog taps the button labelled text of the dialog on top of w.
func TapDialog(t testing.TB, w fyne.Window, text string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog is shown to tap %q", text)
	}
	b := Button(top, text)
	if b == nil {
		t.Fatalf("the dialog on top has no button %q: %q", text, Texts(top))
	}
	test.Tap(b)
}

// PressTab does what the desktop driver does with Tab in c: a focused
// widget that takes Tab (fyne.Tabbable) has it typed, otherwise the focus
// moves to the next field. Fyne's test canvas does neither on its own.
func PressTab(c fyne.Canvas) {
	if t, ok := c.Focused().(fyne.Tabbable); ok && t.AcceptsTab() {
		c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})
		return
	}
	c.FocusNext()
}

// SpaceThenEsc is a question asked and dismissed by the keyboard alone:
// the keyboard on b, Space (as the window hands it to what has the
// keyboard), then, once a dialog shows, Esc on what has the keyboard. It
// returns what has the keyboard after: b, when the question gives it
// back (kit.Confirm.Back).
func SpaceThenEsc(t testing.TB, c fyne.Canvas, b fyne.Focusable) fyne.Focusable {
	t.Helper()
	c.Focus(b)
	b.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	if c.Overlays().Top() == nil {
		t.Fatal("Space on the button showed no dialog")
	}
	f := c.Focused()
	if f == nil {
		t.Fatal("the dialog shows with the keyboard nowhere")
	}
	f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if c.Overlays().Top() != nil {
		t.Fatal("Esc left the dialog")
	}
	return c.Focused()
}
