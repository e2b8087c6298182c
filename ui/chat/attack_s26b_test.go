package chat

import (
	"strings"
	"testing"

	appchat "github.com/medihaven/medihaven/app/chat"
)

// TestAttackS26bNotificationWritesHiddenRunesOut (LOW, h-sec26): the chat
// panel writes out the hidden runes of a sender's name (roles.VisibleName:
// a name the directory took before names were judged, "Dr Paul" followed
// by a right-to-left override and a reversed text), but the desktop
// notification showed the name as it was, so the lock screen read it as
// another colleague's.
func TestAttackS26bNotificationWritesHiddenRunesOut(t *testing.T) {
	const name = "Dr Paul\u202eecitsuJ"
	for _, conv := range []string{"fp", appchat.Room} {
		n := Notice(appchat.Conversation{ID: conv, Unread: 1, Last: &appchat.Message{ID: "1", FromName: name, Text: "x", Verified: true}})
		if strings.ContainsRune(n.Title, '\u202e') || !strings.Contains(n.Title, "⟨U+202E⟩") {
			t.Errorf("the notification's title is %q: the hidden rune is not written out", n.Title)
		}
	}
}
