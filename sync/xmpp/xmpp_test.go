package xmpp_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// wait bounds every wait for a message; the real time is milliseconds.
const wait = 20 * time.Second

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// inbox records the messages a session receives.
type inbox chan xmpp.Message

func newInbox() inbox { return make(inbox, 1000) }

func (in inbox) receive(m xmpp.Message) { in <- m }

func (in inbox) next(t testing.TB) xmpp.Message {
	t.Helper()
	select {
	case m := <-in:
		return m
	case <-time.After(wait):
		t.Fatal("no message arrived")
		return xmpp.Message{}
	}
}

func config(p *synctest.Prosody, jid, password string) xmpp.Config {
	return xmpp.Config{JID: jid, Password: password, Addr: p.Addr, TLS: p.TLSConfig()}
}

// connect registers user on p and logs in.
func connect(t testing.TB, p *synctest.Prosody, user string, onMessage func(xmpp.Message)) *xmpp.Session {
	t.Helper()
	jid := p.Register(t, user, user+"-password")
	s, err := xmpp.Dial(testContext(t), config(p, jid, user+"-password"), onMessage)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func bare(jid string) string {
	bare, _, _ := strings.Cut(jid, "/")
	return bare
}

func TestChat(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	aliceIn := newInbox()
	alice := connect(t, p, "alice", aliceIn.receive)
	// Bob answers from inside his callback: onMessage may use the session.
	var bobSession atomic.Pointer[xmpp.Session]
	bob := connect(t, p, "bob", func(m xmpp.Message) {
		if err := bobSession.Load().Send(ctx, m.From, "re: "+m.Body); err != nil {
			t.Error(err)
		}
	})
	bobSession.Store(bob)

	if !strings.HasPrefix(alice.JID(), "alice@clinic.test/") {
		t.Errorf("JID() = %q, want a full JID of alice@clinic.test", alice.JID())
	}
	if err := alice.Send(ctx, "bob@clinic.test", "head 7 bafkrei"); err != nil {
		t.Fatal(err)
	}
	got := aliceIn.next(t)
	if got.StanzaID == "" {
		t.Error("no archive id (stanza-id) on a live message")
	}
	want := xmpp.Message{From: bob.JID(), To: alice.JID(), Body: "re: head 7 bafkrei", Type: "chat", ID: got.ID, StanzaID: got.StanzaID, Sender: "bob@clinic.test"}
	if got != want {
		t.Errorf("alice received %+v, want %+v", got, want)
	}
}

func TestOfflineDelivery(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	alice := connect(t, p, "alice", nil)
	bobJID := p.Register(t, "bob", "bob-password")
	sent := []string{"first", "second", "third"}
	for _, body := range sent {
		if err := alice.Send(ctx, bobJID, body); err != nil {
			t.Fatal(err)
		}
	}
	// After a round trip to the server alice's messages have been stored.
	if err := alice.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	bobIn := newInbox()
	bob, err := xmpp.Dial(ctx, config(p, bobJID, "bob-password"), bobIn.receive)
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	for _, body := range sent {
		m := bobIn.next(t)
		if m.Body != body || bare(m.From) != "alice@clinic.test" || m.Delay.IsZero() {
			t.Errorf("bob received %+v, want %q from alice, delayed", m, body)
		}
	}
}

func TestRoom(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	room := "staff@" + p.MUC
	aliceIn, bobIn := newInbox(), newInbox()
	alice := connect(t, p, "alice", aliceIn.receive)
	bob := connect(t, p, "bob", bobIn.receive)
	for _, s := range []struct {
		*xmpp.Session
		nick string
	}{{alice, "Dr Alice"}, {bob, "Bob (reception)"}} {
		if err := s.JoinRoom(ctx, room, s.nick); err != nil {
			t.Fatal(err)
		}
	}
	if err := alice.SendRoom(ctx, room, "head 3 bafkreiabc"); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]inbox{"bob": bobIn, "alice (reflection)": aliceIn} {
		m := in.next(t)
		if m.From != room+"/Dr Alice" || m.Body != "head 3 bafkreiabc" || m.Type != "groupchat" || !m.Room || !m.Delay.IsZero() {
			t.Errorf("%s received %+v", name, m)
		}
	}

	// A nickname in use is refused.
	mallory := connect(t, p, "mallory", nil)
	if err := mallory.JoinRoom(ctx, room, "Dr Alice"); !errors.Is(err, xmpp.ErrNickInUse) {
		t.Errorf("joining under a nickname in use: %v, want ErrNickInUse", err)
	}

	// A late joiner gets the room's history, marked as delayed.
	carolIn := newInbox()
	carol := connect(t, p, "carol", carolIn.receive)
	if err := carol.JoinRoom(ctx, room, "carol"); err != nil {
		t.Fatal(err)
	}
	m := carolIn.next(t)
	if m.Body != "head 3 bafkreiabc" || m.Delay.IsZero() || !m.Room {
		t.Errorf("late joiner received %+v, want the history message, delayed", m)
	}
}

func TestDialErrors(t *testing.T) {
	p := synctest.StartProsody(t)
	jid := p.Register(t, "alice", "right")
	otherServer := x509.NewCertPool()
	otherServer.AppendCertsFromPEM(otherCertPEM(t))

	for _, tc := range []struct {
		name string
		cfg  xmpp.Config
		want error
	}{
		{"wrong password", config(p, jid, "wrong"), xmpp.ErrAuth},
		{"unknown account", config(p, "nobody@clinic.test", "right"), xmpp.ErrAuth},
		{"other server's certificate", xmpp.Config{JID: jid, Password: "right", Addr: p.Addr,
			TLS: &tls.Config{RootCAs: otherServer, ServerName: p.Domain}}, xmpp.ErrTLS},
		{"certificate for another name", xmpp.Config{JID: jid, Password: "right", Addr: p.Addr,
			TLS: &tls.Config{RootCAs: p.TLSConfig().RootCAs, ServerName: "evil.test"}}, xmpp.ErrTLS},
		{"no TLS configuration", xmpp.Config{JID: jid, Password: "right", Addr: p.Addr}, xmpp.ErrTLS},
		{"nothing listening", config(p, jid, "right"), xmpp.ErrUnavailable},
		{"bad address", config(p, "not a jid@", "right"), xmpp.ErrBadAddress},
		{"no user part", config(p, "clinic.test", "right"), xmpp.ErrBadAddress},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "nothing listening" {
				tc.cfg.Addr = synctest.UnusedAddr(t)
			}
			s, err := xmpp.Dial(testContext(t), tc.cfg, nil)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Dial error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	p := synctest.StartProsody(t)
	cfg := config(p, "newcomer@clinic.test", "secret")
	cfg.Register = true
	for i := range 2 { // the second time the account exists: log in
		s, err := xmpp.Dial(testContext(t), cfg, nil)
		if err != nil {
			t.Fatalf("Dial #%d with Register: %v", i+1, err)
		}
		s.Close()
	}
	cfg.Register = false
	s, err := xmpp.Dial(testContext(t), cfg, nil)
	if err != nil {
		t.Fatalf("Dial after registering: %v", err)
	}
	s.Close()

	cfg.Register, cfg.Password = true, "wrong"
	if _, err := xmpp.Dial(testContext(t), cfg, nil); !errors.Is(err, xmpp.ErrAuth) {
		t.Fatalf("Register of an existing account with another password: %v, want ErrAuth", err)
	}
}

func TestSendErrors(t *testing.T) {
	p := synctest.StartProsody(t)
	alice := connect(t, p, "alice", nil)
	ctx := testContext(t)
	for _, tc := range []struct {
		name string
		send func() error
		want error
	}{
		{"empty body", func() error { return alice.Send(ctx, "bob@clinic.test", "") }, xmpp.ErrEmpty},
		{"too large", func() error { return alice.Send(ctx, "bob@clinic.test", strings.Repeat("x", xmpp.MaxBody+1)) }, xmpp.ErrTooLarge},
		{"bad recipient", func() error { return alice.Send(ctx, "@@", "hi") }, xmpp.ErrBadAddress},
		{"room not joined", func() error { return alice.SendRoom(ctx, "staff@"+p.MUC, "hi") }, xmpp.ErrNotInRoom},
		{"bad room", func() error { return alice.JoinRoom(ctx, "@@", "alice") }, xmpp.ErrBadAddress},
		{"empty nickname", func() error { return alice.JoinRoom(ctx, "staff@"+p.MUC, "") }, xmpp.ErrBadAddress},
	} {
		if err := tc.send(); !errors.Is(err, tc.want) {
			t.Errorf("%s: error = %v, want %v", tc.name, err, tc.want)
		}
	}
	// The largest body, escaped to five times its size on the wire, stays
	// under the server's stanza limit: the session survives it.
	if err := alice.Send(ctx, "bob@clinic.test", strings.Repeat("&", xmpp.MaxBody)); err != nil {
		t.Errorf("a body of exactly MaxBody: %v", err)
	}
	if err := alice.Ping(ctx); err != nil {
		t.Errorf("session after the largest body: %v", err)
	}
}

func TestClose(t *testing.T) {
	p := synctest.StartProsody(t)
	alice := connect(t, p, "alice", nil)
	if err := alice.Err(); err != nil {
		t.Fatalf("Err() of a running session = %v", err)
	}
	for range 2 {
		if err := alice.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	<-alice.Done()
	if err := alice.Err(); !errors.Is(err, xmpp.ErrClosed) {
		t.Errorf("Err() after Close = %v, want ErrClosed", err)
	}
	if err := alice.Send(testContext(t), "bob@clinic.test", "hi"); !errors.Is(err, xmpp.ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}

func TestServerGone(t *testing.T) {
	p := synctest.StartProsody(t)
	alice := connect(t, p, "alice", nil)
	p.Stop(t)
	select {
	case <-alice.Done():
	case <-time.After(wait):
		t.Fatal("Done not closed after the server stopped")
	}
	if err := alice.Err(); !errors.Is(err, xmpp.ErrDisconnected) {
		t.Errorf("Err() = %v, want ErrDisconnected", err)
	}
	if err := alice.Close(); err != nil {
		t.Errorf("Close after disconnect: %v", err)
	}
}

// BenchmarkChatRoundTrip measures a message to another workstation and its
// echo back, through the server.
func BenchmarkChatRoundTrip(b *testing.B) {
	p := synctest.StartProsody(b)
	ctx := context.Background()
	aliceIn := newInbox()
	alice := connect(b, p, "alice", aliceIn.receive)
	var bob atomic.Pointer[xmpp.Session]
	bob.Store(connect(b, p, "bob", func(m xmpp.Message) {
		if err := bob.Load().Send(ctx, m.From, m.Body); err != nil {
			b.Error(err)
		}
	}))
	body := strings.Repeat("a", 200) // about a sync announcement's size
	var rtts []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := alice.Send(ctx, "bob@clinic.test", body); err != nil {
			b.Fatal(err)
		}
		aliceIn.next(b)
		rtts = append(rtts, time.Since(start))
	}
	slices.Sort(rtts)
	b.ReportMetric(float64(rtts[len(rtts)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(rtts[len(rtts)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkDial measures session set-up: TCP, StartTLS, SCRAM, bind,
// presence.
func BenchmarkDial(b *testing.B) {
	p := synctest.StartProsody(b)
	cfg := config(p, p.Register(b, "alice", "pw"), "pw")
	for b.Loop() {
		s, err := xmpp.Dial(context.Background(), cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// otherCertPEM is another server's certificate for the same domain.
func otherCertPEM(t testing.TB) []byte {
	other := synctest.StartProsody(t)
	other.Stop(t)
	return other.CertPEM
}

// TestRefused: a message to an account that does not exist comes back as
// an error the session reads by id; one to an account that exists but is
// offline is stored, not refused.
func TestRefused(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	alice := connect(t, p, "alice", nil)
	bobJID := p.Register(t, "bob", "bob-password")
	nobody := "nobody@" + p.Domain
	for _, m := range []xmpp.Outgoing{{To: nobody, ID: "to-nobody", Body: "hello?"}, {To: bobJID, ID: "to-bob", Body: "hello"}} {
		if err := alice.SendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := alice.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if got := alice.Refused("to-nobody"); len(got) != 1 || got[0] != nobody {
		t.Errorf("Refused(to-nobody) = %v, want [%s]", got, nobody)
	}
	if got := alice.Refused("to-bob"); got != nil {
		t.Errorf("Refused(to-bob) = %v, want none: bob's account exists", got)
	}
	if got := alice.Refused("to-nobody"); got != nil {
		t.Errorf("a refusal is told once, then forgotten; got %v again", got)
	}
}

// TestPingDoesNotDelayTheNextMessage: Prosody keeps Nagle's algorithm on,
// so after a ping's small answer its next write to us waited for our
// delayed TCP acknowledgement (~40 ms) until Ping acknowledged at once.
func TestPingDoesNotDelayTheNextMessage(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	in := newInbox()
	alice := connect(t, p, "alice", in.receive)
	var bob atomic.Pointer[xmpp.Session]
	bob.Store(connect(t, p, "bob", func(m xmpp.Message) {
		if err := bob.Load().Send(ctx, m.From, m.Body); err != nil {
			t.Error(err)
		}
	}))
	var rtts []time.Duration
	for range 21 {
		start := time.Now()
		if err := alice.Send(ctx, "bob@"+p.Domain, strings.Repeat("x", 1000)); err != nil {
			t.Fatal(err)
		}
		if err := alice.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		in.next(t)
		rtts = append(rtts, time.Since(start))
	}
	slices.Sort(rtts)
	t.Logf("round trips with a ping: median %v, slowest %v", rtts[len(rtts)/2], rtts[len(rtts)-1])
	if median := rtts[len(rtts)/2]; median > 25*time.Millisecond {
		t.Errorf("a message and ping take %v (median) to echo: the answer to the ping holds the next stanza back", median)
	}
}

// TestManyQuickSends sends room messages as fast as a flood, from several
// goroutines, each with its own short-lived context cancelled as soon as
// the send returns (the usual defer cancel()). mellium broke a write under
// way when it noticed a finished call's cancelled context late (CI: "write
// tcp …: i/o timeout", then every later write); no send may fail.
func TestManyQuickSends(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	s := connect(t, p, "flood", nil)
	room := "quick@" + p.MUC
	if err := s.JoinRoom(ctx, room, "flood"); err != nil {
		t.Fatal(err)
	}
	const senders, each = 8, 150
	errs := make(chan error, senders*each)
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				errs <- s.SendRoom(sctx, room, fmt.Sprintf("want %d %d", g, i))
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			if failed == 0 {
				t.Error(err)
			}
			failed++
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d sends failed", failed, senders*each)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("the session after the flood: %v", err)
	}
}
