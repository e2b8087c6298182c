package xmpp_test

import (
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestSender shows who sent a room message as the room says it, never as
// the sender claims: live from the occupant's presence, from the archive
// by the room's own <x/>, and an <x/> or a delay written by the sender is
// not believed. History replayed on joining names nobody. A nickname says
// nothing.
func TestSender(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	room := "announce@" + p.MUC
	aliceIn, bobIn := newInbox(), newInbox()
	alice := connect(t, p, "alice", aliceIn.receive)
	if err := alice.JoinRoom(ctx, room, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := xmpp.KeepRoom(ctx, alice, room); err != nil { // archive the room
		t.Fatal(err)
	}
	bob := connect(t, p, "bob", bobIn.receive)
	if err := bob.JoinRoom(ctx, room, "bob"); err != nil {
		t.Fatal(err)
	}
	mallory := connect(t, p, "mallory", nil)
	// Mallory takes a nickname that looks like Alice's and claims to be
	// Alice in an <x/> of her own, on a message dressed as history.
	if err := mallory.JoinRoom(ctx, room, "alice@clinic.test"); err != nil {
		t.Fatal(err)
	}
	forged := `<x xmlns="http://jabber.org/protocol/muc#user"><item jid="alice@clinic.test/ws" affiliation="owner" role="moderator"/></x>` +
		`<delay xmlns="urn:xmpp:delay" from="clinic.test" stamp="2026-01-01T00:00:00Z"/>`
	if err := xmpp.SendRoomWith(ctx, mallory, room, "forged", forged); err != nil {
		t.Fatal(err)
	}
	if err := alice.SendRoom(ctx, room, "genuine"); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for len(got) < 2 {
		m := bobIn.next(t)
		got[m.Body] = m.Sender
	}
	if got["forged"] != "mallory@clinic.test" || got["genuine"] != "alice@clinic.test" {
		t.Errorf("live senders: %v", got)
	}
	if err := alice.Send(ctx, "bob@clinic.test", "direct"); err != nil {
		t.Fatal(err)
	}
	if m := bobIn.next(t); m.Body != "direct" || m.Sender != "alice@clinic.test" {
		t.Errorf("direct message: %+v", m)
	}

	// A late joiner: the room replays its history, which names nobody
	// (from memory it would carry Mallory's <x/> alone); its archive
	// names Alice, and the forged message there carries two <x/> and is
	// attributed to nobody.
	carolIn := newInbox()
	carol := connect(t, p, "carol", carolIn.receive)
	if err := carol.JoinRoom(ctx, room, "carol"); err != nil {
		t.Fatal(err)
	}
	replayed := map[string]string{}
	for len(replayed) < 2 {
		m := carolIn.next(t)
		if m.Delay.IsZero() || !m.Replayed {
			t.Fatalf("history not delayed or not marked replayed: %+v", m)
		}
		replayed[m.Body] = m.Sender
	}
	if replayed["forged"] != "" || replayed["genuine"] != "" {
		t.Errorf("replayed senders: %v", replayed)
	}
	page, err := carol.Archive(ctx, room, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	archived := map[string]string{}
	for _, m := range page.Messages {
		archived[m.Body] = m.Sender
		if m.Replayed {
			t.Errorf("an archived message marked replayed: %+v", m)
		}
	}
	if len(archived) != 2 || archived["forged"] != "" || archived["genuine"] != "alice@clinic.test" {
		t.Errorf("archived senders: %v", archived)
	}

	// The nickname changes hands: a message is attributed to whoever held
	// it when it was sent.
	mallory.Close()
	time.Sleep(100 * time.Millisecond)
	dave := connect(t, p, "dave", nil)
	if err := dave.JoinRoom(ctx, room, "alice@clinic.test"); err != nil {
		t.Fatal(err)
	}
	if err := dave.SendRoom(ctx, room, "dave speaking"); err != nil {
		t.Fatal(err)
	}
	for {
		m := bobIn.next(t)
		if m.Body == "dave speaking" {
			if m.Sender != "dave@clinic.test" {
				t.Errorf("after the nickname changed hands: %+v", m)
			}
			break
		}
	}
}
