package chat

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
	"github.com/medihaven/medihaven/ui/kit"
)

// composer is the message field: Enter starts a new line, Ctrl+Enter (as
// its hint says) sends; Shift+Enter sends too, as in any Fyne field.
type composer struct {
	widget.Entry
	send func()
}

func newComposer(send func()) *composer {
	c := &composer{send: send}
	c.MultiLine = true
	c.Wrapping = fyne.TextWrapWord
	c.ExtendBaseWidget(c)
	return c
}

// AcceptsTab is part of fyne.Tabbable: Tab goes on to the patient MRN
// field (and Send) instead of typing a tab into the message.
func (c *composer) AcceptsTab() bool { return false }

// TypedShortcut is part of fyne.Shortcutable: Ctrl+Enter sends, other
// shortcuts (copy, paste, undo) are the field's, and the shell's (Ctrl+L,
// Ctrl+F) go on to the window (kit.TypedShortcut).
func (c *composer) TypedShortcut(s fyne.Shortcut) {
	if isSendShortcut(s) {
		if !c.Disabled() {
			c.send()
		}
		return
	}
	kit.TypedShortcut(c, &c.Entry, s)
}

// BaseEntry is the field's widget.Entry (kit.AsEntry).
func (c *composer) BaseEntry() *widget.Entry { return &c.Entry }

// sendShortcut is Ctrl+Enter (Cmd+Enter on a Mac).
var sendShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierShortcutDefault}

func isSendShortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	return ok && (cs.KeyName == fyne.KeyReturn || cs.KeyName == fyne.KeyEnter) && cs.Modifier == fyne.KeyModifierShortcutDefault
}
