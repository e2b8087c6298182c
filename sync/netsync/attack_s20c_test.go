package netsync

// Session 20 hostile review h-sec20c.

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

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestAttackS20cForgedPresenceSilencesAWorkstation (h-sec20c finding 2,
// end to end): a workstation believes a head only from the account of
// the device it names, and knows who speaks in the sync room by the
// occupants' presence. Mallory, any account on the clinic's server, sends
// the sync room presences carrying a:from (another namespace) naming the
// first workstation's room address, in varied shapes until her own
// observer shows one the room writes with her attribute last; every
// session in the room then took her presence for that workstation's (an
// xmpp session read any attribute named from, the last one winning), so
// the later workstation refused the first one's announcements as not its
// account's, and a change written on the first never reached it.
func TestAttackS20cForgedPresenceSilencesAWorkstation(t *testing.T) {
	ctx := synctestContext(t)
	kubo, p := synctest.StartKubo(t), synctest.StartProsody(t)
	cfg := serversConfig(kubo, p)
	_, ss := grantedClinic(t, 2)
	first, later := ss[0], ss[1]
	y1, err := Start(ctx, cfg, first, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer y1.Stop()
	y2, err := Start(ctx, cfg, later, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer y2.Stop()
	waitUntil(t, "the later workstation holding the first one's key", 30*time.Second, func() bool { return later.r.Holds(roles.Admin) })

	room := y1.room()
	victim := room + "/" + first.r.Device()
	seen := make(chan xmpp.Presence, 1000)
	observer, err := xmpp.Dial(ctx, xmpp.Config{JID: p.Register(t, "eve", "eve-password"), Password: "eve-password",
		Addr: p.Addr, TLS: p.TLSConfig(), OnPresence: func(pr xmpp.Presence) { seen <- pr }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer observer.Close()
	if err := observer.JoinRoom(ctx, room, "eve"); err != nil {
		t.Fatal(err)
	}
	mallory := rawSession(ctx, t, p, "mallory")
	sendRaw(t, mallory, `<presence to="`+room+`/mal"><x xmlns="http://jabber.org/protocol/muc"/></presence>`)
	malloryBare := "mallory@" + p.Domain
	taken := -1
	for i := 0; i < 128 && taken < 0; i++ {
		attrs := ` xmlns:a="urn:example:` + strconv.Itoa(i) + `"`
		for j := range i % 16 {
			attrs += ` x` + strconv.Itoa(i) + `_` + strconv.Itoa(j) + `="1"`
		}
		sendRaw(t, mallory, `<presence to="`+room+`/mal"`+attrs+` a:from="`+victim+`"/>`)
		deadline := time.After(5 * time.Second)
	wait:
		for {
			select {
			case pr := <-seen:
				if pr.JID != malloryBare {
					continue
				}
				if pr.From == victim {
					taken = i
				}
				break wait
			case <-deadline:
				t.Fatalf("the observer saw no presence of mallory's %d", i)
			}
		}
	}
	t.Logf("mallory's presence %d took the first workstation's room address (-1: none did)", taken)

	f, _ := replica.F(map[string]any{"status": "after mallory"})
	env, err := first.r.Append(ctx, replica.Change{Entity: crypto.NewEventID()[:16], Kind: "token", Scope: roles.Admin, Fields: f})
	if err != nil {
		t.Fatal(err)
	}
	y1.Kick()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		heads, err := later.r.Heads(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range heads {
			if h.Device == env.Header.Device && h.Seq >= env.Header.Seq {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	st := y2.Status()
	t.Errorf("the change written on the first workstation never reached the later one in 20 s (it refused %d announcements; last error %q)",
		st.Refused, st.LastError)
}

// rawSession logs user (registered on p) in with a session that writes
// whatever stanzas it is given: a client of Mallory's own making.
func rawSession(ctx context.Context, t *testing.T, p *synctest.Prosody, user string) *mxmpp.Session {
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
	go xs.Serve(nil) //nolint:errcheck // ends with the session
	t.Cleanup(func() { xs.Close(); conn.Close() })
	return xs
}

// sendRaw writes x, one stanza as XML text, on xs.
func sendRaw(t *testing.T, xs *mxmpp.Session, x string) {
	t.Helper()
	w := xs.TokenWriter()
	defer w.Close()
	d := xml.NewDecoder(strings.NewReader(x))
	if _, err := xmlstream.Copy(w, rawTokens{d}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// rawTokens reads XML text as tokens, namespaces left as written.
type rawTokens struct{ d *xml.Decoder }

func (r rawTokens) Token() (xml.Token, error) { return r.d.RawToken() }
