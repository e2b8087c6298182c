package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// foreground calls the app's lifecycle hooks as the desktop driver does
// when the window gains (entered) or loses the input focus.
func foreground(entered bool) {
	lc := fyne.CurrentApp().Lifecycle().(interface {
		OnEnteredForeground() func()
		OnExitedForeground() func()
	})
	f := lc.OnExitedForeground()
	if entered {
		f = lc.OnEnteredForeground()
	}
	if f != nil {
		f()
	}
}

// copyFromTheApp copies text as Ctrl+C in one of the app's fields does.
func copyFromTheApp(text string) {
	e := widget.NewEntry()
	e.SetText(text)
	e.TypedShortcut(&fyne.ShortcutSelectAll{})
	e.TypedShortcut(&fyne.ShortcutCopy{Clipboard: fyne.CurrentApp().Clipboard()})
}

// TestAttackS25bCopiedChartOutlivesTheLock: Attack (session 25, h-rev25b):
// a physician copies from a chart (a medication list for a letter, a
// patient's name and MRN for a colleague), then locks Medihaven (Lock,
// Ctrl+L, or the idle lock while she is away) or logs out, and leaves the
// computer. The lock hides the chart, but the clipboard still held what
// she copied: anyone at the unattended desktop pastes it into any
// program, and any X client of the session reads it. Locking and logging
// out now empty the clipboard when it holds what was copied from
// Medihaven (copied while its window had the focus); what the person
// copied elsewhere stays.
func TestAttackS25bCopiedChartOutlivesTheLock(t *testing.T) {
	const copied = "Johnson, Noah · MRN MH2986314 · Penicillin (hives, moderate)"
	clip := func() fyne.Clipboard { return fyne.CurrentApp().Clipboard() }
	t.Run("locked with the window focused", func(t *testing.T) {
		h := newHarness(t, newFakeBackend(), Options{})
		h.login("Dr. Clara Nguyen", rightPassphrase)
		sh := h.mustShell()
		copyFromTheApp(copied)
		if got := clip().Content(); got != copied {
			t.Fatalf("the copy put %q on the clipboard", got)
		}
		test.Tap(sh.lock)
		if got := clip().Content(); got != "" {
			t.Errorf("after the lock the clipboard holds %q", got)
		}
	})
	t.Run("idle lock while the person works elsewhere", func(t *testing.T) {
		h := newHarness(t, newFakeBackend(), Options{})
		h.login("Dr. Clara Nguyen", rightPassphrase)
		sh := h.mustShell()
		copyFromTheApp(copied)
		foreground(false)  // pasted into a letter elsewhere
		h.ws.lockShell(sh) // the idle lock
		if got := clip().Content(); got != "" {
			t.Errorf("after the idle lock the clipboard holds %q", got)
		}
	})
	t.Run("logged out", func(t *testing.T) {
		h := newHarness(t, newFakeBackend(), Options{})
		h.login("Dr. Clara Nguyen", rightPassphrase)
		sh := h.mustShell()
		copyFromTheApp(copied)
		test.Tap(sh.logout)
		h.wait()
		if got := clip().Content(); got != "" {
			t.Errorf("after logging out the clipboard holds %q", got)
		}
	})
}

// TestS25bTheClipboardOfOtherProgramsStays: what the person copied in
// another program is not Medihaven's to empty: copied before the login,
// or while Medihaven's window did not have the focus, it stays on the
// clipboard through the lock (Ctrl+L, or the idle lock) and the log-out.
func TestS25bTheClipboardOfOtherProgramsStays(t *testing.T) {
	const elsewhere = "https://guidelines.example.org/hypertension"
	clip := func() fyne.Clipboard { return fyne.CurrentApp().Clipboard() }
	h := newHarness(t, newFakeBackend(), Options{})
	clip().SetContent(elsewhere)
	h.login("Dr. Clara Nguyen", rightPassphrase)
	sh := h.mustShell()
	test.Tap(sh.lock)
	if got := clip().Content(); got != elsewhere {
		t.Errorf("the lock emptied another program's copy: %q", got)
	}
	ls := h.ws.locked
	test.Type(ls.pass, rightPassphrase)
	test.Tap(ls.unlock)
	h.wait()
	if h.ws.shell != sh {
		t.Fatal("not unlocked")
	}
	copyFromTheApp("Johnson, Noah")
	foreground(false)
	clip().SetContent(elsewhere) // copied in the browser
	h.ws.lockShell(sh)           // the idle lock, the person elsewhere
	if got := clip().Content(); got != elsewhere {
		t.Errorf("the idle lock emptied what was copied elsewhere: %q", got)
	}
	test.Type(h.ws.locked.pass, rightPassphrase)
	test.Tap(h.ws.locked.unlock)
	h.wait()
	foreground(true)
	test.Tap(sh.logout)
	h.wait()
	if got := clip().Content(); got != elsewhere {
		t.Errorf("logging out emptied another program's copy: %q", got)
	}
}
