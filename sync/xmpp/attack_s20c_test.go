package xmpp_test

import (
	"context"
	"encoding/xml"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	mxmpp "mellium.im/xmpp"
	"mellium.im/xmpp/jid"

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

// TestAttackS20cRoomKeepsNoNamespacedAttribute: the server's side of
// finding 2, for workstations older than sync/xmpp's unqualified (a
// clinic may update its server first): the clinic's rooms
// (mod_medihaven_rooms) pass on no attribute of another namespace that
// an occupant wrote on her presence or message. Read here by a client
// that keeps every attribute as it came.
func TestAttackS20cRoomKeepsNoNamespacedAttribute(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	room := "sync@" + p.MUC
	got := make(chan xml.StartElement, 100)
	observer := rawSession(ctx, t, p, "eve", func(start xml.StartElement) {
		for _, a := range start.Attr {
			if a.Name.Local == "from" && strings.HasSuffix(a.Value, "/mal") {
				got <- start
				return
			}
		}
	})
	mallory := rawSession(ctx, t, p, "mallory", nil)
	sendRaw(t, observer, `<presence to="`+room+`/eve"><x xmlns="http://jabber.org/protocol/muc"/></presence>`)
	sendRaw(t, mallory, `<presence to="`+room+`/mal"><x xmlns="http://jabber.org/protocol/muc"/></presence>`)
	forged := ` xmlns:a="urn:example:a" a:from="` + room + `/eve" xml:from="` + room + `/eve" a:type="unavailable"`
	sendRaw(t, mallory, `<presence to="`+room+`/mal"`+forged+`/>`)
	sendRaw(t, mallory, `<message type="groupchat" to="`+room+`"`+forged+`><body>hello</body></message>`)
	seen := map[string]bool{}
	deadline := time.After(wait)
	for !seen["message"] {
		select {
		case start := <-got:
			seen[start.Name.Local] = true
			for _, a := range start.Attr {
				if a.Name.Space != "" && a.Name.Space != "xmlns" && !(a.Name.Space == "http://www.w3.org/XML/1998/namespace" && a.Name.Local == "lang") {
					t.Errorf("the room passed on mallory's %s with %s:%s=%q", start.Name.Local, a.Name.Space, a.Name.Local, a.Value)
				}
			}
		case <-deadline:
			t.Fatalf("the observer saw only %v of mallory's", seen)
		}
	}
}

// rawSession logs user (registered on p) in with a client that writes
// whatever stanzas it is given and hands onStanza every start element it
// receives, attributes as they came.
func rawSession(ctx context.Context, t *testing.T, p *synctest.Prosody, user string, onStanza func(xml.StartElement)) *mxmpp.Session {
	t.Helper()
	password := user + "-password"
	addr := jid.MustParse(p.Register(t, user, password))
	conn, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	xs, err := mxmpp.NewClientSession(ctx, addr, conn, mxmpp.StartTLS(p.TLSConfig()),
		mxmpp.SASL("", password, sasl.ScramSha256, sasl.ScramSha1), mxmpp.BindResource())
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	go xs.Serve(mxmpp.HandlerFunc(func(_ xmlstream.TokenReadEncoder, start *xml.StartElement) error { //nolint:errcheck // ends with the session
		if onStanza != nil {
			onStanza(start.Copy())
		}
		return nil
	}))
	t.Cleanup(func() { xs.Close(); conn.Close() })
	return xs
}

// sendRaw writes x, one stanza as XML text, on xs.
func sendRaw(t *testing.T, xs *mxmpp.Session, x string) {
	t.Helper()
	w := xs.TokenWriter()
	defer w.Close()
	if _, err := xmlstream.Copy(w, rawXML{xml.NewDecoder(strings.NewReader(x))}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// rawXML reads XML text as tokens, namespaces left as written.
type rawXML struct{ d *xml.Decoder }

func (r rawXML) Token() (xml.Token, error) { return r.d.RawToken() }

// TestAttackS20cPrivateMessageThroughARoom (h-sec20c finding 4): a room
// relays a private message (type chat, to an occupant's room address)
// from the sender's room address, so a session named the room itself as
// its sender: the message reached a colleague as one from the clinic's
// room, naming no account (and the chat shows it in a conversation of
// the room's address). A private message through a clinic room is not
// relayed (mod_medihaven_rooms), and one a room relays anyway names the
// account the room's presence gives its occupant.
func TestAttackS20cPrivateMessageThroughARoom(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	bobIn := newInbox()
	bob := connect(t, p, "bob", bobIn.receive)
	mallory := connect(t, p, "mallory", nil)
	for _, room := range []string{"clinic@" + p.MUC, "other@" + p.MUC} {
		for _, s := range []struct {
			s    *xmpp.Session
			nick string
		}{{bob, "bob"}, {mallory, "mallory"}} {
			if err := s.s.JoinRoom(ctx, room, s.nick); err != nil {
				t.Fatal(err)
			}
		}
		if err := mallory.Send(ctx, room+"/bob", "from the room"); err != nil {
			t.Fatal(err)
		}
		if err := mallory.Send(ctx, "bob@clinic.test", "sentinel"); err != nil {
			t.Fatal(err)
		}
		for {
			m := bobIn.next(t)
			if m.Body == "sentinel" {
				break
			}
			if m.Body == "from the room" && m.Sender != "mallory@clinic.test" {
				t.Errorf("a private message through %s came from %q, sender %q; want mallory's account or none", room, m.From, m.Sender)
			}
			if m.Body == "from the room" && room == "clinic@"+p.MUC {
				t.Errorf("the clinic room relayed a private message")
			}
		}
	}
}
