package server_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"mellium.im/xmlstream"

	"github.com/medihaven/medihaven/sync/server"
	mhxmpp "github.com/medihaven/medihaven/sync/xmpp"
)

// rawTokens reads XML text as tokens, namespaces left as written.
type rawTokens struct{ d *xml.Decoder }

func (r rawTokens) Token() (xml.Token, error) { return r.d.RawToken() }

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
	dial := func(user string) *mhxmpp.Session {
		token, _, err := server.Invite(ctx, res.Dir, false)
		if err != nil {
			t.Fatal(err)
		}
		s, err := mhxmpp.Dial(ctx, mhxmpp.Config{JID: user + "@" + domain, Password: "pw-" + user,
			Addr: res.Config.XMPPAddr(), TLS: pinnedTLS(res), Invite: token}, func(m mhxmpp.Message) { inbox[user] <- m })
		if err != nil {
			t.Fatalf("register %s: %v", user, err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	dial("bob")
	carol := dial("carol")
	carol.Close() // offline: the server keeps what comes for her

	token, _, err := server.Invite(ctx, res.Dir, false)
	if err != nil {
		t.Fatal(err)
	}
	mallory, err := registerSession(ctx, res, "mallory", "pw-mallory", token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mallory.Close() })
	const forged = "2020-01-02T03:04:05Z"
	for _, to := range []string{"bob", "carol"} {
		x := `<message type="chat" to="` + to + `@` + domain + `" id="backdated-` + to + `"><body>backdated</body>` +
			`<delay xmlns="urn:xmpp:delay" from="` + domain + `" stamp="` + forged + `">Offline Storage</delay></message>`
		w := mallory.TokenWriter()
		_, err := xmlstream.Copy(w, rawTokens{xml.NewDecoder(strings.NewReader(x))})
		if err == nil {
			err = w.Flush()
		}
		w.Close()
		if err != nil {
			t.Fatal(err)
		}
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
