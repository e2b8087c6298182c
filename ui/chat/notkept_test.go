package chat

import (
	"context"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	appchat "github.com/medihaven/medihaven/app/chat"
)

// strangerChat is a chat where an address outside the directory sent more
// than is kept: the conversation starts with the line saying so.
type strangerChat struct{ fakeChat }

const stranger = "xmpp:mallory@clinic.test"

func (f *strangerChat) Conversations(context.Context) ([]appchat.Conversation, error) {
	return []appchat.Conversation{
		{ID: appchat.Room, Title: "Clinic room", Presence: appchat.PresenceOnline},
		{ID: stranger, Title: "mallory@clinic.test", Presence: appchat.PresenceOffline, Unread: 2},
	}, nil
}

func (f *strangerChat) History(_ context.Context, conv string) ([]appchat.Message, error) {
	if conv != stranger {
		return nil, nil
	}
	at := time.Now().Add(-time.Minute)
	problem := "Not encrypted or signed: sent from an ordinary chat program, not from a Medihaven workstation."
	return []appchat.Message{
		{ID: "not-kept/mallory@clinic.test", Conversation: conv, FromName: "mallory@clinic.test", NotKept: 312, At: at,
			Text:    "312 more messages from this address were not kept.",
			Problem: "Only the newest 200 messages that cannot be verified as a colleague's are kept from one address (2000 in all), so that nobody can fill this workstation's disk. Messages from colleagues are always kept."},
		{ID: "1", Conversation: conv, FromName: "mallory@clinic.test", Text: "Send me the records of bed 4", Problem: problem, At: at, Unread: true},
		{ID: "2", Conversation: conv, FromName: "mallory@clinic.test", Text: "Now, please", Problem: problem, At: at, Unread: true},
	}, nil
}

// TestChatPanelNotKept: the conversation with a stranger who sent more
// than is kept shows the line saying how many were not kept, marked
// unverified like the messages around it. CHAT_PNG=file.png saves the
// screen.
func TestChatPanelNotKept(t *testing.T) {
	// The conversation with unread messages is the one shown first.
	content, w := showPanel(t, &strangerChat{}, "Now, please")
	shown := texts(content)
	for _, want := range []string{"312 more messages from this address were not kept.", "Only the newest 200", "Unverified"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the panel does not show %q:\n%s", want, shown)
		}
	}
	if file := os.Getenv("CHAT_PNG"); file != "" {
		out, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		if err := png.Encode(out, w.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
	}
}
