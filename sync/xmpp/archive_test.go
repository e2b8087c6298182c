package xmpp_test

import (
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestArchive reads an account's and a room's archive page by page; the
// archive ids match the stanza ids seen live.
func TestArchive(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	bobIn := newInbox()
	alice := connect(t, p, "alice", nil)
	bob := connect(t, p, "bob", bobIn.receive)
	sent := []string{"one", "two", "three"}
	live := map[string]string{}
	for i, body := range sent {
		if err := alice.SendMessage(ctx, xmpp.Outgoing{To: "bob@clinic.test", ID: "m" + body, Body: body}); err != nil {
			t.Fatal(err)
		}
		m := bobIn.next(t)
		if m.Body != sent[i] || m.ID != "m"+body || m.StanzaID == "" {
			t.Fatalf("bob received %+v", m)
		}
		live[m.Body] = m.StanzaID
	}
	var got []xmpp.Message
	after := ""
	for range 5 {
		page, err := bob.Archive(ctx, "", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page.Messages...)
		after = page.Last
		if page.Complete {
			break
		}
	}
	if len(got) != len(sent) {
		t.Fatalf("archive holds %d messages, want %d: %+v", len(got), len(sent), got)
	}
	for i, m := range got {
		if m.Body != sent[i] || m.StanzaID != live[m.Body] || bare(m.From) != "alice@clinic.test" || m.Delay.IsZero() || m.ID != "m"+m.Body {
			t.Errorf("archived %d = %+v, want %q with stanza id %q", i, m, sent[i], live[m.Body])
		}
	}
	// The sender's own archive holds what she sent.
	page, err := alice.Archive(ctx, "", "", 10)
	if err != nil || len(page.Messages) != 3 || bare(page.Messages[0].To) != "bob@clinic.test" {
		t.Errorf("alice's archive: %+v, %v", page, err)
	}

	// A room's archive, kept when the room empties.
	room := "archived@" + p.MUC
	if err := alice.JoinRoom(ctx, room, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := xmpp.KeepRoom(ctx, alice, room); err != nil {
		t.Fatal(err)
	}
	if err := alice.SendMessage(ctx, xmpp.Outgoing{To: room, Room: true, ID: "r1", Body: "room one"}); err != nil {
		t.Fatal(err)
	}
	if err := alice.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	alice.Close()
	time.Sleep(100 * time.Millisecond)
	if err := bob.JoinRoom(ctx, room, "bob"); err != nil {
		t.Fatal(err)
	}
	page, err = bob.Archive(ctx, room, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 1 || page.Messages[0].Body != "room one" || !page.Messages[0].Room || page.Messages[0].StanzaID == "" {
		t.Errorf("room archive: %+v", page)
	}
}

func TestPresence(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	room := "archived@" + p.MUC
	seen := make(chan xmpp.Presence, 100)
	jid := p.Register(t, "alice", "alice-password")
	cfg := config(p, jid, "alice-password")
	cfg.OnPresence = func(pr xmpp.Presence) { seen <- pr }
	alice, err := xmpp.Dial(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	if err := alice.JoinRoom(ctx, room, "alice"); err != nil {
		t.Fatal(err)
	}
	bob := connect(t, p, "bob", nil)
	if err := bob.JoinRoom(ctx, room, "bob"); err != nil {
		t.Fatal(err)
	}
	want := func(show string) {
		t.Helper()
		deadline := time.After(wait)
		for {
			select {
			case pr := <-seen:
				if pr.From == room+"/bob" && pr.Room && pr.Show == show {
					return
				}
			case <-deadline:
				t.Fatalf("no %s presence of bob", show)
			}
		}
	}
	want(xmpp.Online)
	if err := bob.SetAway(ctx, true); err != nil {
		t.Fatal(err)
	}
	want(xmpp.Away)
	if err := bob.SetAway(ctx, false); err != nil {
		t.Fatal(err)
	}
	want(xmpp.Online)
	bob.Close()
	want(xmpp.Offline)
}
