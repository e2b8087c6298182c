package kit_test

import "testing"

// TestNoBareConfirm: every yes-or-no question of ui is a kit.Confirm;
// Fyne's confirm dialogs take neither Enter nor Esc.
func TestNoBareConfirm(t *testing.T) {
	bare := func(name string) bool {
		switch name {
		case "NewConfirm", "ShowConfirm", "NewCustomConfirm", "ShowCustomConfirm":
			return true
		}
		return false
	}
	for _, at := range uses(t, "dialog", bare) {
		t.Errorf("%s: Fyne's confirm dialog ignores Enter and Esc; use kit.Confirm", at)
	}
}
