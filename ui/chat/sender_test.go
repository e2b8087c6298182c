package chat

import (
	"testing"

	appchat "github.com/medihaven/medihaven/app/chat"
	"github.com/medihaven/medihaven/roles"
)

// TestSenderShowsRoleInRoom: a verified room line names its sender with
// her role, so a receptionist whose name reads like a physician's is
// still shown as a receptionist; a name with hidden runes shows them.
func TestSenderShowsRoleInRoom(t *testing.T) {
	p := &panel{convs: []appchat.Conversation{{ID: appchat.Room}, {ID: "rita", Title: "Dr Paul Physician", Role: roles.Receptionist}}}
	for _, tt := range []struct {
		name string
		m    appchat.Message
		want string
	}{
		{"verified in the room", appchat.Message{Conversation: appchat.Room, From: "rita", FromName: "Dr Paul Physician", Verified: true},
			"Dr Paul Physician · Receptionist"},
		{"unverified in the room", appchat.Message{Conversation: appchat.Room, From: "rita", FromName: "Dr Paul Physician"}, "Dr Paul Physician"},
		{"one to one (the title names the role)", appchat.Message{Conversation: "rita", From: "rita", FromName: "Dr Paul Physician", Verified: true},
			"Dr Paul Physician"},
		{"not a colleague any more", appchat.Message{Conversation: appchat.Room, From: "gone", FromName: "Gus", Verified: true}, "Gus"},
		{"hidden runes", appchat.Message{Conversation: appchat.Room, From: "rita", FromName: "Dr Paul\u200b Physician", Verified: true},
			"Dr Paul⟨U+200B⟩ Physician · Receptionist"},
		{"mine", appchat.Message{Conversation: appchat.Room, From: "me", FromName: "Ada", Mine: true, Verified: true}, "You"},
	} {
		if got := p.sender(tt.m); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
