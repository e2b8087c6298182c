package xmpp_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestInboxFloodLive: a burst of thousands of one-to-one stanzas from
// another account, sent while the receiver's onMessage is stalled (a slow
// disk), does not grow the session's queue past its bound; the room
// messages Config.Keep claims (a sync room's announcements), sent in the
// middle of the burst, are all delivered, and the newest chat survives.
func TestInboxFloodLive(t *testing.T) {
	p := synctest.StartProsody(t)
	// Thousands of stanzas: longer than one message's wait (under -race
	// and a loaded machine, half a minute).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	room := "sync@" + p.MUC
	mallory := connect(t, p, "mallory", nil)
	alice := connect(t, p, "alice", nil)

	gate := make(chan struct{})
	delivered := make(chan xmpp.Message, 2*xmpp.MaxInbox)
	bobJID := p.Register(t, "bob", "bob-password")
	cfg := config(p, bobJID, "bob-password")
	cfg.Keep = func(m xmpp.Message) bool { return m.Room && bare(m.From) == room }
	bob, err := xmpp.Dial(ctx, cfg, func(m xmpp.Message) {
		<-gate
		delivered <- m
	})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	for _, s := range []*xmpp.Session{alice, bob} {
		if err := s.JoinRoom(ctx, room, strings.Split(s.JID(), "@")[0]); err != nil {
			t.Fatal(err)
		}
	}

	const n, heads = 3000, 20
	body := strings.Repeat("x", 2000) // 6 MB in all: past MaxInboxBytes
	for i := range n {
		if err := mallory.Send(ctx, bobJID, fmt.Sprint(i, body)); err != nil {
			t.Fatal(err)
		}
		if i%(n/heads) == 0 {
			if err := alice.SendRoom(ctx, room, fmt.Sprint("mh1 head dev ", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// After these round trips the server has routed everything to bob, and
	// bob's session has read it all.
	for _, s := range []*xmpp.Session{mallory, alice, bob} {
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	held, bytes := xmpp.InboxLen(bob)
	t.Logf("%d stanzas sent while stalled: the session holds %d (%d kB), dropped %d", n+heads, held, bytes/1024, bob.Dropped())
	if held > xmpp.MaxInbox || bytes > xmpp.MaxInboxBytes {
		t.Errorf("the session holds %d messages, %d bytes: over its bound (%d, %d)", held, bytes, xmpp.MaxInbox, xmpp.MaxInboxBytes)
	}
	if bob.Dropped() == 0 {
		t.Error("nothing dropped")
	}

	close(gate)
	var chats, rooms int
	last := ""
	for chats+rooms+int(bob.Dropped()) < n+heads {
		var m xmpp.Message
		select {
		case m = <-delivered:
		case <-ctx.Done():
			t.Fatalf("%d chats and %d room messages delivered, %d dropped, of %d", chats, rooms, bob.Dropped(), n+heads)
		}
		if m.Room {
			rooms++
			continue
		}
		chats++
		last = m.Body
	}
	if rooms != heads {
		t.Errorf("%d of %d room messages Keep claims were delivered", rooms, heads)
	}
	if !strings.HasPrefix(last, fmt.Sprint(n-1, "x")) {
		t.Errorf("the last chat delivered is %.10q…, want the newest", last)
	}
}
