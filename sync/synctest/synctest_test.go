package synctest_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

const wait = 20 * time.Second

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

func TestIPFSBinary(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, env string
		wantErr   bool
	}{
		{"missing file", filepath.Join(dir, "nope"), true},
		{"a folder", dir, true},
		{"not executable", writeFile(t, filepath.Join(dir, "plain"), 0o600), true},
		{"executable", writeFile(t, filepath.Join(dir, "ipfs"), 0o700), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("MEDIHAVEN_IPFS_BIN", tc.env)
			got, err := synctest.IPFSBinary()
			if tc.wantErr {
				if !errors.Is(err, synctest.ErrNotInstalled) {
					t.Fatalf("IPFSBinary() = %q, %v; want ErrNotInstalled", got, err)
				}
				return
			}
			if err != nil || got != tc.env {
				t.Fatalf("IPFSBinary() = %q, %v; want %q", got, err, tc.env)
			}
		})
	}
}

func writeFile(t *testing.T, path string, mode os.FileMode) string {
	if err := os.WriteFile(path, nil, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestKubo(t *testing.T) {
	kubo := synctest.StartKubo(t)
	if !strings.HasPrefix(kubo.API, "/ip4/127.0.0.1/tcp/") {
		t.Errorf("API = %q, want a loopback address", kubo.API)
	}
	ctx := testContext(t)
	c := ipfs.New(kubo.API)
	record := []byte("sealed envelope bytes")
	id, err := c.Put(ctx, record)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, id, 1024)
	if err != nil || !bytes.Equal(got, record) {
		t.Fatalf("Get(%s) = %q, %v; want %q", id, got, err, record)
	}
}

func TestKuboRestart(t *testing.T) {
	kubo := synctest.StartKubo(t)
	ctx := testContext(t)
	record := []byte("kept across a restart")
	id, err := ipfs.New(kubo.API).Put(ctx, record)
	if err != nil {
		t.Fatal(err)
	}

	oldAPI := kubo.API
	kubo.Stop(t)
	if err := ipfs.New(oldAPI).Ping(ctx); !errors.Is(err, ipfs.ErrUnavailable) {
		t.Fatalf("Ping of a stopped node = %v, want ErrUnavailable", err)
	}
	kubo.Start(t)
	if kubo.API != oldAPI {
		t.Errorf("API moved from %s to %s across a restart", oldAPI, kubo.API)
	}
	got, err := ipfs.New(kubo.API).Get(ctx, id, 1024)
	if err != nil || !bytes.Equal(got, record) {
		t.Fatalf("after restart Get(%s) = %q, %v; want %q", id, got, err, record)
	}
}

// inbox records the messages a session receives.
type inbox chan xmpp.Message

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

func dial(t testing.TB, p *synctest.Prosody, jid, password string, onMessage func(xmpp.Message)) *xmpp.Session {
	t.Helper()
	s, err := xmpp.Dial(testContext(t), xmpp.Config{JID: jid, Password: password, Addr: p.Addr, TLS: p.TLSConfig()}, onMessage)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestProsodyChat(t *testing.T) {
	p := synctest.StartProsody(t)
	if !strings.HasPrefix(p.Addr, "127.0.0.1:") {
		t.Errorf("Addr = %q, want a loopback address", p.Addr)
	}
	ctx := testContext(t)
	alice := dial(t, p, p.Register(t, "alice", "a-pass"), "a-pass", nil)
	bobIn := make(inbox, 10)
	dial(t, p, p.Register(t, "bob", "b-pass"), "b-pass", bobIn.receive)
	if err := alice.Send(ctx, "bob@"+p.Domain, "hello over StartTLS"); err != nil {
		t.Fatal(err)
	}
	if m := bobIn.next(t); m.Body != "hello over StartTLS" || m.From != alice.JID() {
		t.Fatalf("bob received %+v", m)
	}
}

// TestProsodyRestart: a message stored for an offline account survives a
// server restart, and clients reconnect to the same address.
func TestProsodyRestart(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	aliceJID, bobJID := p.Register(t, "alice", "a-pass"), p.Register(t, "bob", "b-pass")
	alice := dial(t, p, aliceJID, "a-pass", nil)
	if err := alice.Send(ctx, bobJID, "sent while bob was away"); err != nil {
		t.Fatal(err)
	}
	if err := alice.Ping(ctx); err != nil { // the server has stored it
		t.Fatal(err)
	}

	addr := p.Addr
	p.Stop(t)
	select {
	case <-alice.Done():
	case <-time.After(wait):
		t.Fatal("session still up after the server stopped")
	}
	p.Start(t)
	if p.Addr != addr {
		t.Fatalf("restarted on %s, want %s", p.Addr, addr)
	}

	bobIn := make(inbox, 10)
	dial(t, p, bobJID, "b-pass", bobIn.receive)
	if m := bobIn.next(t); m.Body != "sent while bob was away" || m.Delay.IsZero() {
		t.Fatalf("bob received %+v, want the stored message, delayed", m)
	}
	alice = dial(t, p, aliceJID, "a-pass", nil)
	if err := alice.Send(ctx, bobJID, "back online"); err != nil {
		t.Fatal(err)
	}
	if m := bobIn.next(t); m.Body != "back online" || !m.Delay.IsZero() {
		t.Fatalf("bob received %+v, want a live message", m)
	}
}
