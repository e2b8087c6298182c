package chat

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	appchat "github.com/medihaven/medihaven/app/chat"
)

func TestUnreadFirst(t *testing.T) {
	now := time.Now()
	msg := func(at time.Time) *appchat.Message { return &appchat.Message{At: at} }
	for _, tt := range []struct {
		name  string
		convs []appchat.Conversation
		want  string
	}{
		{"nothing unread", []appchat.Conversation{{ID: appchat.Room}, {ID: "a", Last: msg(now)}}, appchat.Room},
		{"one unread", []appchat.Conversation{{ID: appchat.Room}, {ID: "a", Unread: 2, Last: msg(now)}}, "a"},
		{"the newest unread", []appchat.Conversation{{ID: appchat.Room, Unread: 1, Last: msg(now.Add(-time.Hour))},
			{ID: "a", Unread: 1, Last: msg(now)}, {ID: "b", Unread: 3, Last: msg(now.Add(-time.Minute))}}, "a"},
		{"unread without a last message", []appchat.Conversation{{ID: appchat.Room}, {ID: "a", Unread: 1}}, "a"},
	} {
		if got := unreadFirst(tt.convs, appchat.Room); got != tt.want {
			t.Errorf("%s: opens %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestPanelOpensTheUnreadConversation: Chat, opened from its badge,
// shows the conversation with the unread message, not the clinic room.
func TestPanelOpensTheUnreadConversation(t *testing.T) {
	content, _ := openPanel(t)
	title := ""
	walk(content, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok && l.SizeName == theme.SizeNameSubHeadingText {
			title = l.Text
		}
	})
	if title != "Dr Paul Physician" {
		t.Errorf("the panel opens on %q, want the conversation with the unread message", title)
	}
}

// openPanel shows the chat panel on a fake chat in a test window and
// waits for its history.
func openPanel(t *testing.T) (fyne.CanvasObject, *fakeChat) {
	t.Helper()
	f := &fakeChat{}
	content, _ := showPanel(t, f, "Room 3 is free")
	return content, f
}

// showPanel shows the chat panel on c in a test window and waits until
// it shows text.
func showPanel(t *testing.T, c Chat, text string) (fyne.CanvasObject, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	w := a.NewWindow("chat")
	w.Resize(fyne.NewSize(1100, 700))
	content := newPanel(c, c, w, true)
	w.SetContent(content)
	eventually(t, "the panel showing "+text, func() bool { return strings.Contains(texts(content), text) })
	return content, w
}
