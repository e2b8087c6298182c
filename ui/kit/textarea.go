package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// TextArea is a multi-line entry that Tab leaves for the next field, as
// in every form people fill in all day (a SOAP note's four boxes, a
// patient's address, a prescription's instructions); Fyne's own
// multi-line entry keeps Tab and typed a tab character into the text, so
// a physician tabbing from Subjective to Objective wrote both into one
// box (seen under Xvfb). Enter still starts a new line.
type TextArea struct {
	widget.Entry
}

// NewTextArea is an empty TextArea that wraps at words.
func NewTextArea() *TextArea {
	t := &TextArea{}
	t.MultiLine = true
	t.Wrapping = fyne.TextWrapWord
	t.ExtendBaseWidget(t)
	return t
}

// AcceptsTab is part of fyne.Tabbable: the window moves the focus on Tab
// (and back on Shift+Tab) instead of typing it.
func (t *TextArea) AcceptsTab() bool { return false }

// TypedShortcut is part of fyne.Shortcutable: the shell's Ctrl+L and
// Ctrl+F work while the note has the keyboard (entry.go).
func (t *TextArea) TypedShortcut(s fyne.Shortcut) { TypedShortcut(t, &t.Entry, s) }
