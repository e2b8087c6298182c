package xmpp_test

import (
	"strconv"
	"testing"

	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// variedAttrs returns attributes that make Prosody write a stanza's
// attributes in varied orders: it writes them in the order of a Lua
// table, which its hash seed (new at each start) and the attributes'
// names and number decide.
func variedAttrs(i int) string {
	extra := ` xmlns:a="urn:example:` + strconv.Itoa(i) + `"`
	for j := range i % 16 {
		extra += ` x` + strconv.Itoa(i) + `_` + strconv.Itoa(j) + `="1"`
	}
	return extra
}

// TestAttackS20cForgedPresenceTakesAnotherOccupant (h-sec20c finding 2):
// a session knows who speaks in a room by the occupants' presence, which
// the room sends from the occupant's room address. Mallory, any account
// in the room, sends the room a presence carrying a:from (another
// namespace) naming Alice's room address; the room keeps the attribute
// beside its own from, and a session reading any attribute named from,
// the last one winning, took Mallory's presence for Alice's: Alice's
// next messages were attributed to Mallory (so a workstation refuses her
// sync announcements: only a device's own account speaks for it), and a
// forged unavailable presence would leave them attributed to nobody.
func TestAttackS20cForgedPresenceTakesAnotherOccupant(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	room := "announce@" + p.MUC
	bobIn := newInbox()
	alice := connect(t, p, "alice", nil)
	bob := connect(t, p, "bob", bobIn.receive)
	mallory := connect(t, p, "mallory", nil)
	for _, s := range []struct {
		s    *xmpp.Session
		nick string
	}{{alice, "alice"}, {bob, "bob"}, {mallory, "mallory"}} {
		if err := s.s.JoinRoom(ctx, room, s.nick); err != nil {
			t.Fatal(err)
		}
	}
	const n = 128
	misnamed := 0
	for i := range n {
		x := `<presence to="` + room + `/mallory"` + variedAttrs(i) + ` a:from="` + room + `/alice"/>`
		if err := xmpp.SendRaw(ctx, mallory, x); err != nil {
			t.Fatal(err)
		}
		if err := mallory.Ping(ctx); err != nil { // the room has broadcast it
			t.Fatal(err)
		}
		body := "genuine " + strconv.Itoa(i)
		if err := alice.SendRoom(ctx, room, body); err != nil {
			t.Fatal(err)
		}
		for {
			m := bobIn.next(t)
			if m.Body != body {
				continue
			}
			if m.Sender != "alice@clinic.test" {
				misnamed++
				if misnamed == 1 {
					t.Errorf("alice's room message after mallory's presence %d: sender %q", i, m.Sender)
				}
			}
			break
		}
	}
	if misnamed > 0 {
		t.Errorf("%d of %d of alice's messages were not attributed to her", misnamed, n)
	}
}
