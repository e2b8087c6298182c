package server_test

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"

	"github.com/medihaven/medihaven/sync/server"
	mhxmpp "github.com/medihaven/medihaven/sync/xmpp"
)

// rawTokens reads XML text as tokens, namespaces left as written.
type rawTokens struct{ d *xml.Decoder }

func (r rawTokens) Token() (xml.Token, error) { return r.d.RawToken() }

// sendRaw writes x on s as it is written, namespaces and all: what a
// hostile client's own software sends.
func sendRaw(t *testing.T, s *xmpp.Session, x string) {
	t.Helper()
	w := s.TokenWriter()
	_, err := xmlstream.Copy(w, rawTokens{xml.NewDecoder(strings.NewReader(x))})
	if err == nil {
		err = w.Flush()
	}
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
}

// invitedSession registers user on res's server with a new invite and
// keeps the raw logged-in session, closed at the end of the test.
func invitedSession(ctx context.Context, t *testing.T, res server.Result, user string) *xmpp.Session {
	t.Helper()
	token, _, err := server.Invite(ctx, res.Dir, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := registerSession(ctx, res, user, "pw-"+user, token)
	if err != nil {
		t.Fatalf("register %s: %v", user, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// invitedClient registers user on res's server with a new invite as a
// workstation does (sync/xmpp) and hands each message it receives to
// inbox; closed at the end of the test.
func invitedClient(ctx context.Context, t *testing.T, res server.Result, user string, inbox chan<- mhxmpp.Message) *mhxmpp.Session {
	t.Helper()
	token, _, err := server.Invite(ctx, res.Dir, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := mhxmpp.Dial(ctx, mhxmpp.Config{JID: user + "@" + res.Config.Domain, Password: "pw-" + user,
		Addr: res.Config.XMPPAddr(), TLS: pinnedTLS(res), Invite: token}, func(m mhxmpp.Message) { inbox <- m })
	if err != nil {
		t.Fatalf("register %s: %v", user, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestClientsCannotWriteTheServersDelay: workstations date a one-to-one
// message the server kept while they were offline by the server's delay
// (XEP-0203, from the server's own domain), and never believe a time the
// sender wrote. A hostile account that writes a delay in the server's
// name into a live message must not backdate it: the server removes it
// (mod_medihaven_admins), and a message kept offline carries the server's
// own time.
func TestClientsCannotWriteTheServersDelay(t *testing.T) {
	res, _ := startServer(t, nil)
	ctx := testContext(t)
	domain := res.Config.Domain
	inbox := map[string]chan mhxmpp.Message{"bob": make(chan mhxmpp.Message, 8), "carol": make(chan mhxmpp.Message, 8)}
	invitedClient(ctx, t, res, "bob", inbox["bob"])
	carol := invitedClient(ctx, t, res, "carol", inbox["carol"])
	carol.Close() // offline: the server keeps what comes for her
	mallory := invitedSession(ctx, t, res, "mallory")
	const forged = "2020-01-02T03:04:05Z"
	for _, to := range []string{"bob", "carol"} {
		x := `<message type="chat" to="` + to + `@` + domain + `" id="backdated-` + to + `"><body>backdated</body>` +
			`<delay xmlns="urn:xmpp:delay" from="` + domain + `" stamp="` + forged + `">Offline Storage</delay></message>`
		sendRaw(t, mallory, x)
	}
	sent := time.Now()
	receive := func(user string) mhxmpp.Message {
		t.Helper()
		select {
		case m := <-inbox[user]:
			return m
		case <-time.After(20 * time.Second):
			t.Fatalf("%s received nothing", user)
			return mhxmpp.Message{}
		}
	}
	if m := receive("bob"); m.Body != "backdated" || !m.Delay.IsZero() {
		t.Errorf("a live message: body %q, delay %v; want no delay believed (the sender wrote %s)", m.Body, m.Delay, forged)
	}
	if _, err := mhxmpp.Dial(ctx, mhxmpp.Config{JID: "carol@" + domain, Password: "pw-carol", Addr: res.Config.XMPPAddr(),
		TLS: pinnedTLS(res)}, func(m mhxmpp.Message) { inbox["carol"] <- m }); err != nil {
		t.Fatal(err)
	}
	if m := receive("carol"); m.Body != "backdated" || m.Delay.Before(sent.Add(-time.Minute)) {
		t.Errorf("a message kept offline: body %q, delay %v; want the server's time (about %v)", m.Body, m.Delay, sent)
	}
}
