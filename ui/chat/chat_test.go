package chat

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	appchat "github.com/medihaven/medihaven/app/chat"
	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// fakeChat is a session's chat with one colleague and the room.
type fakeChat struct {
	mu   sync.Mutex
	sent []string
}

func (f *fakeChat) StaffName() string { return "Rita Reception" }
func (f *fakeChat) Conversations(context.Context) ([]appchat.Conversation, error) {
	return []appchat.Conversation{
		{ID: appchat.Room, Title: "Clinic room", Presence: appchat.PresenceOnline},
		{ID: "f1", Title: "Dr Paul Physician", Role: "physician", Presence: appchat.PresenceOnline, Unread: 1},
	}, nil
}
func (f *fakeChat) History(_ context.Context, conv string) ([]appchat.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []appchat.Message{
		{ID: "1", Conversation: conv, From: "f1", FromName: "Dr Paul Physician", Text: "Room 3 is free", Verified: true, At: time.Now()},
		{ID: "2", Conversation: conv, FromName: "mallory@clinic.test", Text: "Send me the records", Problem: "not signed by a staff key", At: time.Now()},
		{ID: "3", Conversation: conv, Mine: true, Text: "For the locum", Verified: true, Queued: true, WaitingFor: "Dr Lena Locum", At: time.Now()},
		{ID: "4", Conversation: conv, Mine: true, Text: "Delivered", Verified: true, At: time.Now()},
		{ID: "6", Conversation: appchat.Room, Mine: true, Text: "One too many", Verified: true, Queued: true, WaitingFor: "the clinic room", At: time.Now()},
		{ID: "5", Conversation: conv, Mine: true, Text: "For the leaver", Verified: true, NotSent: "Dr Old Leaver left the clinic before it went out", At: time.Now()},
	}
	for i, s := range f.sent {
		out = append(out, appchat.Message{ID: "s" + string(rune('a'+i)), Conversation: conv, Mine: true, Text: s, Verified: true, At: time.Now()})
	}
	return out, nil
}
func (f *fakeChat) MarkRead(context.Context, string) error { return nil }
func (f *fakeChat) Send(_ context.Context, conv, text, mrn string) (appchat.Message, error) {
	f.mu.Lock()
	f.sent = append(f.sent, text)
	f.mu.Unlock()
	return appchat.Message{Conversation: conv, Text: text, Mine: true}, nil
}
func (f *fakeChat) SetAway(context.Context, bool) error        { return nil }
func (f *fakeChat) Online() bool                               { return true }
func (f *fakeChat) OnChange(func([]app.Changed)) (stop func()) { return func() {} }

// walk visits every object under o.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	visit(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, visit)
		}
	case *container.Split:
		walk(x.Leading, visit)
		walk(x.Trailing, visit)
	case *container.Scroll:
		walk(x.Content, visit)
	case interface{ Content() fyne.CanvasObject }:
		walk(x.Content(), visit)
	}
}

// texts is every label's text under o, list rows included (a list draws
// its rows itself, so each is built and filled here as the list would).
func texts(o fyne.CanvasObject) string {
	var b strings.Builder
	walk(o, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *widget.List:
			for i := 0; i < x.Length(); i++ {
				row := x.CreateItem()
				x.UpdateItem(i, row)
				b.WriteString(texts(row))
			}
		}
	})
	return b.String()
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	kittest.Eventually(t, what, cond)
}

// TestChatPanel: the panel shows the conversation, marks a message from an
// unknown sender as unverified, and sends what is typed.
func TestChatPanel(t *testing.T) {
	content, f := openPanel(t)
	shown := texts(content)
	for _, want := range []string{
		"Unverified", // a message not signed by a staff key
		"Waiting for Dr Lena Locum's workstation to connect for the first time", // refused by the server
		"Sent", // taken by the server
		"Not sent: Dr Old Leaver left the clinic before it went out", // revoked while it waited
		"Held back: too many messages at once",                       // the room's limit
	} {
		if !strings.Contains(shown, want) {
			t.Errorf("the panel does not show %q:\n%s", want, shown)
		}
	}
	var field *composer
	var send *widget.Button
	walk(content, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *composer:
			field = x
		case *widget.Button:
			if x.Text == "Send" {
				send = x
			}
		}
	})
	if field == nil || send == nil {
		t.Fatal("no message field or Send button")
	}
	entry := &field.Entry
	if got := kit.UnsavedIn(content); got != "" {
		t.Errorf("an empty message field has something unsaved: %q", got)
	}
	test.Type(entry, "Patient in room 2 is ready")
	if got := kit.UnsavedIn(content); got != kit.Unsent("The message you started is not sent yet.") { // the shell asks before leaving
		t.Errorf("unsaved with a message typed = %q", got)
	}
	test.Tap(send)
	eventually(t, "the message sent", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.sent) == 1 && f.sent[0] == "Patient in room 2 is ready"
	})
	eventually(t, "the field cleared", func() bool { return entry.Text == "" })

	// Ctrl+Enter sends, as the hint says; Enter alone writes a new line.
	test.Type(entry, "Room 4")
	field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	test.Type(entry, "is free")
	field.TypedShortcut(sendShortcut)
	eventually(t, "the message sent with Ctrl+Enter", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.sent) == 2 && f.sent[1] == "Room 4\nis free"
	})
	// Tab leaves the message for the patient MRN field (the desktop
	// driver types Tab only into a field that accepts it).
	if field.AcceptsTab() {
		t.Error("Tab in the message field types a tab instead of moving to the MRN")
	}
}

// TestNotice: a notification says who wrote and where, that it is about a
// patient when it is, and never the text nor the MRN.
func TestNotice(t *testing.T) {
	const text = "Mrs Quennell-Ashby is asking for her results"
	msg := func(verified bool, mrn string) *appchat.Message {
		return &appchat.Message{ID: "1", FromName: "Rita Reception", Text: text, MRN: mrn, Verified: verified}
	}
	for _, tc := range []struct {
		name        string
		c           appchat.Conversation
		title, body string
	}{
		{"one to one", appchat.Conversation{ID: "fp", Unread: 1, Last: msg(true, "")}, "Medihaven — Rita Reception", "New message"},
		{"about a patient", appchat.Conversation{ID: "fp", Unread: 3, Last: msg(true, "MH0000042")}, "Medihaven — Rita Reception", "New message about a patient (3 unread)"},
		{"room", appchat.Conversation{ID: appchat.Room, Unread: 1, Last: msg(true, "")}, "Medihaven — Rita Reception in the clinic room", "New message"},
		{"unverified", appchat.Conversation{ID: "xmpp:x@y", Unread: 1, Last: msg(false, "")}, "Medihaven — Rita Reception", "New unverified message: its sender could not be checked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := Notice(tc.c)
			if n.Title != tc.title || n.Content != tc.body {
				t.Errorf("Notice = %q / %q, want %q / %q", n.Title, n.Content, tc.title, tc.body)
			}
			if strings.Contains(n.Title+n.Content, "Quennell") {
				t.Errorf("the notification shows the text: %q %q", n.Title, n.Content)
			}
		})
	}
}

// TestChatKeepsADraftPerConversation: switching conversations cleared a
// message half typed. Each conversation now keeps its own (text and MRN)
// until it is sent, and leaving Chat asks about all of them, saying "not
// sent" (a chat message is sent, not saved).
func TestChatKeepsADraftPerConversation(t *testing.T) {
	f := &fakeChat{}
	content, w := showPanel(t, f, "Room 3 is free")
	var convs *widget.List
	var field *composer
	var mrn *kit.Entry
	walk(content, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.List:
			if convs == nil {
				convs = x
			}
		case *composer:
			field = x
		case *kit.Entry:
			if x.PlaceHolder == "Patient MRN (optional)" {
				mrn = x
			}
		}
	})
	if convs == nil || field == nil || mrn == nil {
		t.Fatal("no conversations, message field or MRN field")
	}
	entry := &field.Entry
	// Opened on Dr Paul Physician's (it has the unread message).
	test.Type(entry, "Can you see MH0000042 next?")
	test.Type(mrn, "MH0000042")
	convs.Select(0) // the clinic room
	if entry.Text != "" || mrn.Text != "" {
		t.Fatalf("the clinic room shows the other conversation's draft: %q / %q", entry.Text, mrn.Text)
	}
	test.Type(entry, "Lunch at one")
	convs.Select(1)
	if entry.Text != "Can you see MH0000042 next?" || mrn.Text != "MH0000042" {
		t.Fatalf("back in Dr Paul Physician's: %q / %q, want the message typed there", entry.Text, mrn.Text)
	}
	what := kit.UnsavedIn(content)
	kit.ConfirmLeave(w, what, func() {})
	if d := kittest.Dialog(w); !strings.Contains(d, "Leave without sending?") ||
		!strings.Contains(d, "The messages you started in 2 conversations are not sent yet.") || strings.Contains(d, "saved") {
		t.Errorf("leaving asks:\n%s", d)
	}
	kittest.TapDialog(t, w, "Stay here")
	// Sent here, the room's draft is still there, and comes back.
	field.TypedShortcut(sendShortcut)
	eventually(t, "the message sent", func() bool { return entry.Text == "" })
	if got := kit.UnsavedIn(content); got != kit.Unsent("The message you started is not sent yet.") {
		t.Errorf("after sending one: %q", got)
	}
	convs.Select(0)
	if entry.Text != "Lunch at one" || mrn.Text != "" {
		t.Errorf("the clinic room's draft: %q / %q", entry.Text, mrn.Text)
	}
}
