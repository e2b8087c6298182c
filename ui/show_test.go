package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// focusProbe is a focusable widget that remembers whether it holds the
// focus, as an entry does (an entry's cursor blinks while it does).
type focusProbe struct {
	widget.Label
	focused bool
}

func newFocusProbe() *focusProbe {
	p := &focusProbe{}
	p.ExtendBaseWidget(p)
	return p
}

func (p *focusProbe) FocusGained()            { p.focused = true }
func (p *focusProbe) FocusLost()              { p.focused = false }
func (p *focusProbe) TypedRune(rune)          {}
func (p *focusProbe) TypedKey(*fyne.KeyEvent) {}

// TestShowTellsTheReplacedScreensFocusItLostIt (issue 17): Fyne's canvas
// drops the focused widget of the content it replaces without calling its
// FocusLost, so the login's passphrase entry kept blinking its cursor off
// screen after login, repainting the whole window each blink: 15-20% of a
// core while the window sat idle under Xvfb (llvmpipe), 2% once told.
func TestShowTellsTheReplacedScreensFocusItLostIt(t *testing.T) {
	h := newHarness(t, newFakeBackend(), Options{})
	c := h.w.Canvas()

	gone := newFocusProbe()
	h.ws.show(container.NewVBox(gone), nil, nil, nil)
	c.Focus(gone)
	if !gone.focused {
		t.Fatal("the probe did not get the focus")
	}
	h.ws.show(widget.NewLabel("the next screen"), nil, nil, nil)
	if gone.focused {
		t.Error("the widget of the screen replaced still believes it holds the focus")
	}

	// A widget that is part of the new screen too: the window's driver
	// keeps its focus (the test driver drops it); either way the widget
	// believes what the canvas says.
	kept := newFocusProbe()
	next := container.NewVBox(kept)
	h.ws.show(next, nil, nil, nil)
	c.Focus(kept)
	h.ws.show(container.NewVBox(next), nil, nil, nil)
	if kept.focused != (c.Focused() == fyne.Focusable(kept)) {
		t.Errorf("the widget believes it holds the focus: %v; the canvas focuses it: %v", kept.focused, c.Focused() == fyne.Focusable(kept))
	}
}
