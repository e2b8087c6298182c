package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// TestEscGivesTheKeyboardBackToRevoke: Tab to a row's Revoke, Space asks,
// Esc answers no, and the keyboard is on Revoke again (Space asks again),
// for a token and for a staff member. Before, it was nowhere: Fyne's
// Button.Tapped takes it before the question shows.
func TestEscGivesTheKeyboardBackToRevoke(t *testing.T) {
	for _, tc := range []struct {
		name   string
		screen func(d *fakeDesk, w fyne.Window) fyne.CanvasObject
		loaded string
	}{
		{"token", func(d *fakeDesk, w fyne.Window) fyne.CanvasObject { return NewTokens(d, w) }, "1 token, 1 still open"},
		{"member", func(d *fakeDesk, w fyne.Window) fyne.CanvasObject { return NewDirectory(d, w) }, "2 staff members, 2 with access"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newFakeDesk()
			if _, err := d.IssueRegistrationToken(context.Background(), roles.Receptionist, time.Hour); err != nil {
				t.Fatal(err)
			}
			var s fyne.CanvasObject
			w := newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = tc.screen(d, w); return s })
			eventually(t, tc.loaded, func() bool { return strings.Contains(texts(s), tc.loaded) })
			locked(func() {
				revoke := findButton(s, "Revoke")
				if got := kittest.SpaceThenEsc(t, w.Canvas(), revoke); got != revoke {
					t.Errorf("after Esc the keyboard is on %v; want the row's Revoke", got)
				}
			})
		})
	}
}
