package admin

import (
	"github.com/medihaven/medihaven/ui/kit"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestAttackS24cCopiedTokenStaysOnTheClipboard (h-rev24, LOW): "Copy
// token" puts the whole MH1 token on the clipboard: its one-time secret
// and XMPP invite, and the clinic's Kubo API secret, which outlives the
// token (it stays valid until a revocation rotates it). Nothing took it
// off again: any program of the administrator's session read it there
// for as long as she copied nothing else, and a paste into the wrong
// window (the staff chat, an e-mail) handed it on. The clipboard now
// forgets the token tokenClipboardTTL after the copy, unless something
// else was copied meanwhile. (A clipboard manager's history on disk is
// beyond an application's reach: Fyne cannot mark a copy as a secret.)
func TestAttackS24cCopiedTokenStaysOnTheClipboard(t *testing.T) {
	old := tokenClipboardTTL
	tokenClipboardTTL = 200 * time.Millisecond
	t.Cleanup(func() { tokenClipboardTTL = old })
	d := newFakeDesk()
	var s fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewTokens(d, w); return s })
	eventually(t, "the empty list", func() bool { return strings.Contains(texts(s), "No token issued yet.") })

	issue := func() *widget.Entry {
		t.Helper()
		locked(func() { test.Tap(findButton(s, "Issue token")) })
		var text *widget.Entry
		eventually(t, "the issued token", func() bool {
			walk(s, func(o fyne.CanvasObject) {
				if e, ok := kit.AsEntry(o); ok && strings.HasPrefix(e.Text, "MH1-") {
					text = e
				}
			})
			return text != nil
		})
		return text
	}
	clip := func() (s string) {
		locked(func() { s = fyne.CurrentApp().Clipboard().Content() })
		return s
	}
	// The token is copied, and forgotten a while later.
	text := issue()
	locked(func() { test.Tap(findButton(s, "Copy token")) })
	var want string
	locked(func() { want = text.Text })
	if got := clip(); got != want {
		t.Fatalf("the clipboard holds %q after the copy, want the token", got)
	}
	deadline := time.Now().Add(3 * time.Second)
	for clip() == want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := clip(); got != "" {
		t.Errorf("the clipboard still holds %q %v after the copy, want it emptied", got, 3*time.Second)
	}

	// Something else copied meanwhile stays.
	locked(func() {
		b := findButton(s, "Copy token")
		if b == nil {
			b = findButton(s, "Copied (for 2 minutes)")
		}
		test.Tap(b)
	})
	locked(func() { fyne.CurrentApp().Clipboard().SetContent("the administrator's own words") })
	time.Sleep(3 * tokenClipboardTTL)
	if got := clip(); got != "the administrator's own words" {
		t.Errorf("the clipboard holds %q, want what was copied after the token", got)
	}
}
