package chat

import (
	"strings"
	"testing"

	appchat "github.com/medihaven/medihaven/app/chat"
)

// TestAttackS25bNotificationNamesNoPatient: Attack (session 25, h-rev25b):
// a desktop notification leaves the app. The notification daemon shows it
// on the lock screen of an unattended workstation, many keep it in a
// history file in clear (GNOME Shell's ~/.local/share/gnome-shell/
// notifications, KDE's notification history) and any client of the
// session bus may monitor org.freedesktop.Notifications. A chat message
// about a patient put her MRN (an identifier of her record) in the
// notification's body. The notification says that a message is about a
// patient, never which: the MRN is read in the Chat screen, after the
// session's login.
func TestAttackS25bNotificationNamesNoPatient(t *testing.T) {
	const mrn = "MH0031337"
	for _, verified := range []bool{true, false} {
		for _, conv := range []string{"fp", appchat.Room} {
			n := Notice(appchat.Conversation{ID: conv, Unread: 2, Last: &appchat.Message{ID: "1", FromName: "Rita Reception",
				Text: "Mr Vandersloot asks about " + mrn, MRN: mrn, Verified: verified}})
			if strings.Contains(n.Title+n.Content, mrn) || strings.Contains(n.Title+n.Content, "Vandersloot") {
				t.Errorf("the notification names the patient: %q / %q", n.Title, n.Content)
			}
			if !strings.Contains(n.Content, "about a patient") {
				t.Errorf("the notification does not say the message is about a patient: %q", n.Content)
			}
		}
	}
}
