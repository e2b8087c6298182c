package ui

import "fyne.io/fyne/v2"

// clipGuard keeps what the staff copied from Medihaven (a medication list
// for a letter, a patient's name and MRN) from outliving the session on
// the clipboard: Lock, the idle lock and Log out hide the chart, and the
// person may leave the computer; anyone at the unattended desktop could
// paste it, and any X client of the session read it (session 25,
// h-rev25b, TestAttackS25bCopiedChartOutlivesTheLock). Fyne does not say
// who copied, so the guard watches the clipboard at the window's focus
// changes: what it came to hold while Medihaven's window had the focus
// was copied there. What the person copied in another program stays
// (TestS25bTheClipboardOfOtherProgramsStays). A clipboard manager's
// history is beyond its reach. It runs on the UI goroutine.
type clipGuard struct {
	seen string // the clipboard as the window last found it: at the login, an unlock, taking the focus
	ours string // what it came to hold while the window had the focus, read as the window lost it
}

func theClipboard() fyne.Clipboard { return fyne.CurrentApp().Clipboard() }

// found notes the clipboard as it is when the window takes the focus
// (and at the login and an unlock).
func (g *clipGuard) found() { g.seen = theClipboard().Content() }

// left notes, as the window loses the focus, what was copied while it
// had it.
func (g *clipGuard) left() {
	if c := theClipboard().Content(); c != g.seen {
		g.ours = c
	}
}

// wipe empties the clipboard when it holds what was copied from
// Medihaven: what it noted as the window lost the focus, or, with the
// window focused (Lock, Ctrl+L, Log out), anything new since it took it.
func (g *clipGuard) wipe(focused bool) {
	cb := theClipboard()
	c := cb.Content()
	if c != "" && (c == g.ours || focused && c != g.seen) {
		cb.SetContent("")
		c = ""
	}
	g.seen, g.ours = c, ""
}
