package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestAttackS24cPastedTokenStaysOnTheClipboard (h-rev24, LOW): the
// newcomer pastes the whole MH1 token (its secret, the XMPP invite and
// the clinic's Kubo API secret, which outlives the token) into "Join a
// clinic"; after the request was made, the token stayed on the
// newcomer's clipboard for any program of the session to read and any
// paste to hand on. Once the join asked with it, the clipboard forgets
// the token (unless something else was copied meanwhile).
func TestAttackS24cPastedTokenStaysOnTheClipboard(t *testing.T) {
	joinPoll = time.Millisecond
	t.Cleanup(func() { joinPoll = 3 * time.Second })
	const token = "MH1-AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHHIIIIJJJJKKKKLLLLMMMMNNNN"
	h, f := newFounderHarness(t)
	f.statuses = []string{"approved"}
	fyne.CurrentApp().Clipboard().SetContent(token)
	test.Tap(button(t, h, "Join a clinic"))
	h.wait()
	form := entriesByHint(h.w.Content())
	test.Tap(button(t, h, "Paste"))
	h.wait()
	if got := form["The registration token or its short code (MH2-…), as your administrator gave it"].Text; got != token {
		t.Fatalf("pasted %q", got)
	}
	test.Type(form["Your name as colleagues know it"], "Rosa Delgado")
	test.Type(form["At least 8 characters; a few words are best"], "correct horse battery")
	test.Type(form["The same passphrase again"], "correct horse battery")
	test.Tap(button(t, h, "Join the clinic"))
	h.wait()
	if len(f.joins) != 1 || f.joins[0].Token != token {
		t.Fatalf("Join got %+v", f.joins)
	}
	if got := fyne.CurrentApp().Clipboard().Content(); strings.Contains(got, token) {
		t.Errorf("the clipboard still holds the token after the join asked with it: %q", got)
	}
}
