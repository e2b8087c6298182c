package ui

import (
	"github.com/medihaven/medihaven/ui/kit"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// The shell's keyboard: Ctrl+L locks (shell.go), Ctrl+F goes to the
// screen's search field, F1 opens Help and Esc closes the dialog on top.
// Fyne hands keys to the focused field first, so F1 and Esc act when no
// field has the focus (Tab away, or click the page). Ctrl+F and Ctrl+L act
// from a field too: Fyne gives a shortcut to the focused field and never
// to the canvas, and the kit's fields (kit.NewEntry and its siblings; no
// bare widget.Entry, TestNoBareEntry) pass on the combinations they do not
// use to the shortcuts kit.AddShortcut registered; Ctrl+Left and the like
// stay the field's.
var findShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}

// shortcuts are the keys Help lists, in the words of clinic staff.
var shortcuts = []struct{ keys, what string }{
	{"F1", "Open this help"},
	{"Ctrl+F", "Go to the search field of the screen on show"},
	{"Esc", "Close the dialog on top"},
	{"Ctrl+L", "Lock the workstation when you step away"},
	{"Ctrl+Enter", "Send the chat message you are writing"},
	{"Enter", "Log in, unlock, or go to the next field of a form"},
	{"Tab / Shift+Tab", "Move to the next or previous field"},
}

// addShellKeys registers the shell's keys on the window's canvas.
func (ws *Workstation) addShellKeys() {
	c := ws.win.Canvas()
	kit.AddShortcut(c, lockShortcut, ws.typedLockShortcut)
	kit.AddShortcut(c, findShortcut, func(fyne.Shortcut) { ws.focusSearch() })
}

// removeShellKeys undoes addShellKeys (login and lock screens).
func (ws *Workstation) removeShellKeys() {
	c := ws.win.Canvas()
	kit.RemoveShortcut(c, lockShortcut)
	kit.RemoveShortcut(c, findShortcut)
}

// typedKey acts on a key no field took: F1 and Esc, and Enter and Esc
// for the question on top (kit.Confirm), which answer it.
func (ws *Workstation) typedKey(ev *fyne.KeyEvent) {
	if ws.shell == nil || kit.DialogKey(ws.win.Canvas(), ev) {
		return
	}
	switch ev.Name {
	case fyne.KeyF1:
		ws.Open(helpSection.title)
	case fyne.KeyEscape:
		if top := ws.win.Canvas().Overlays().Top(); top != nil {
			top.Hide()
			ws.win.Canvas().Overlays().Remove(top)
		}
	}
}

// focusSearch moves the focus to the search field of the screen on show,
// if it has one: the first field in the order Tab visits whose hint reads
// like a search (a name, an MRN, "search"). It reports whether it did.
func (ws *Workstation) focusSearch() bool {
	if ws.shell == nil {
		return false
	}
	if ws.shell.focusFirst() { // the field the screen names (kit.FirstFocus)
		return true
	}
	c := ws.win.Canvas()
	c.Unfocus()
	var first fyne.Focusable
	for range 200 {
		c.FocusNext()
		f := c.Focused()
		if f == nil || f == first {
			break
		}
		if first == nil {
			first = f
		}
		if e, ok := kit.AsEntry(f); ok && isSearch(e) {
			return true
		}
	}
	c.Unfocus()
	return false
}

// isSearch reports whether an entry reads like a search field.
func isSearch(e *widget.Entry) bool {
	if e.MultiLine || e.Password || e.Disabled() {
		return false
	}
	hint := strings.ToLower(e.PlaceHolder)
	if strings.Contains(hint, "optional") {
		return false
	}
	for _, w := range []string{"search", "find", "name", "mrn"} {
		if strings.Contains(hint, w) {
			return true
		}
	}
	return false
}
