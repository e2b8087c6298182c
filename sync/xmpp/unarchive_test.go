package xmpp_test

import (
	"testing"

	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestUnarchiveRoom: a room its creator unarchives keeps nothing in the
// server's archive, yet still replays its last messages to a late joiner,
// from memory: without the real sender (Prosody keeps it only in the
// archive), so Sender is empty, also when the speaker wrote an <x/>
// naming someone else (review of session 7: from memory that <x/> is the
// only one). Only the room's owner may ask.
func TestUnarchiveRoom(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	room := "quiet@" + p.MUC
	alice := connect(t, p, "alice", nil)
	bobIn := newInbox()
	bob := connect(t, p, "bob", bobIn.receive)
	if err := alice.JoinRoom(ctx, room, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := xmpp.UnarchiveRoom(ctx, alice, room); err != nil {
		t.Fatalf("the room's creator: %v", err)
	}
	sent := []string{"mh1 hello", "head one"}
	for _, body := range sent {
		if err := alice.SendRoom(ctx, room, body); err != nil {
			t.Fatal(err)
		}
	}
	mallory := connect(t, p, "mallory", nil)
	if err := mallory.JoinRoom(ctx, room, "mallory"); err != nil {
		t.Fatal(err)
	}
	const forged = "mh1 head claimed by alice"
	if err := xmpp.SendRoomWith(ctx, mallory, room, forged,
		`<x xmlns="http://jabber.org/protocol/muc#user"><item jid="alice@clinic.test/ws"/></x>`); err != nil {
		t.Fatal(err)
	}
	sent = append(sent, forged)
	if err := mallory.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := bob.JoinRoom(ctx, room, "bob"); err != nil {
		t.Fatal(err)
	}
	for _, body := range sent {
		m := bobIn.next(t)
		if m.Body != body || m.Delay.IsZero() || !m.Replayed || !m.Room || m.Sender != "" {
			t.Errorf("late joiner received %+v, want %q from the room's history, delayed, said by nobody known", m, body)
		}
	}
	if err := xmpp.UnarchiveRoom(ctx, bob, room); err == nil {
		t.Error("an occupant who does not own the room: no refusal")
	}
	page, err := bob.Archive(ctx, room, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 0 {
		t.Errorf("the unarchived room's archive holds %d messages: %+v", len(page.Messages), page.Messages)
	}
}
