package joindesk_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/joindesk"
	"github.com/medihaven/medihaven/sync/server"
)

// TestDeskRoundTrip deposits a token at sync/server's own join desk,
// resolves its short code, follows its state, and checks each refusal's
// error: a wrong secret, an unknown or mistyped code, a token used,
// refused or revoked, and a desk that does not answer.
func TestDeskRoundTrip(t *testing.T) {
	ctx := context.Background()
	h, err := server.DeskHandler(t.TempDir(), "s3cret", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	issue := func() crypto.Token {
		tok, err := crypto.NewToken(strings.Repeat("ab", 16), "physician", strings.Repeat("cd", 20), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		tok.Desk = addr
		return tok
	}

	tok := issue()
	if _, err := joindesk.Deposit(ctx, addr, "", "guess", tok); !errors.Is(err, joindesk.ErrNotTaken) {
		t.Errorf("a deposit with a wrong secret: %v", err)
	}
	code, err := joindesk.Deposit(ctx, addr, "", "s3cret", tok)
	if err != nil {
		t.Fatalf("Deposit: %v", err)
	}
	got, err := joindesk.Resolve(ctx, code)
	if err != nil || got.String() != tok.String() {
		t.Fatalf("Resolve = %v, %v", got.ID, err)
	}
	if st, err := joindesk.StateOf(ctx, addr, "", tok.ID, joindesk.WriteHash(tok.Secret[:], tok.ID)); st != joindesk.Active || err != nil {
		t.Errorf("state %q, %v", st, err)
	}
	key := joindesk.WriteKey(tok.Secret[:], tok.ID)
	if err := joindesk.Tell(ctx, addr, "", "", tok.ID, key, joindesk.Used); !errors.Is(err, joindesk.ErrAnswer) {
		t.Errorf("a state told without the secret: %v", err)
	}
	// Another member's workstation has the secret but not the token.
	other := issue()
	if err := joindesk.Tell(ctx, addr, "", "s3cret", tok.ID, joindesk.WriteKey(other.Secret[:], tok.ID), joindesk.Refused); !errors.Is(err, joindesk.ErrAnswer) {
		t.Errorf("a state told with another token's key: %v", err)
	}
	if st, err := joindesk.StateOf(ctx, addr, "", tok.ID, joindesk.WriteHash(tok.Secret[:], tok.ID)); st != joindesk.Active || err != nil {
		t.Errorf("state after a refusal without the token's key %q, %v", st, err)
	}
	// It deposits the token's id under a key of its own and refuses that:
	// the newcomer, asking with its token's hash, is not told so.
	squat := other
	squat.ID = tok.ID
	if _, err := joindesk.Deposit(ctx, addr, "", "s3cret", squat); err != nil {
		t.Errorf("a second deposit of a token id under another key: %v", err)
	}
	if err := joindesk.Tell(ctx, addr, "", "s3cret", tok.ID, joindesk.WriteKey(squat.Secret[:], tok.ID), joindesk.Refused); err != nil {
		t.Errorf("a state told for one's own deposit: %v", err)
	}
	if st, err := joindesk.StateOf(ctx, addr, "", tok.ID, joindesk.WriteHash(tok.Secret[:], tok.ID)); st != joindesk.Active || err != nil {
		t.Errorf("state after a squatted refusal %q, %v", st, err)
	}

	for _, tc := range []struct{ state string }{{joindesk.Used}, {joindesk.Refused}, {joindesk.Revoked}} {
		tok := issue()
		code, err := joindesk.Deposit(ctx, addr, "", "s3cret", tok)
		if err != nil {
			t.Fatal(err)
		}
		if err := joindesk.Tell(ctx, addr, "", "s3cret", tok.ID, joindesk.WriteKey(tok.Secret[:], tok.ID), tc.state); err != nil {
			t.Fatalf("Tell %s: %v", tc.state, err)
		}
		if st, err := joindesk.StateOf(ctx, addr, "", tok.ID, joindesk.WriteHash(tok.Secret[:], tok.ID)); st != tc.state || err != nil {
			t.Errorf("state %q, %v; want %s", st, err, tc.state)
		}
		if _, err := joindesk.Resolve(ctx, code); !errors.Is(err, joindesk.Gone(tc.state)) {
			t.Errorf("resolving a token %s: %v", tc.state, err)
		}
	}

	unknown, _ := crypto.NewShortCode(addr)
	if _, err := joindesk.Resolve(ctx, unknown.String()); !errors.Is(err, joindesk.ErrNoCode) {
		t.Errorf("an unknown code: %v", err)
	}
	if _, err := joindesk.StateOf(ctx, addr, "", strings.Repeat("0", 16), joindesk.WriteHash(tok.Secret[:], strings.Repeat("0", 16))); !errors.Is(err, joindesk.ErrNoCode) {
		t.Errorf("the state of an unknown token: %v", err)
	}
	mistyped := []byte(code)
	mistyped[len(mistyped)-2] ^= 1
	if _, err := joindesk.Resolve(ctx, string(mistyped)); !errors.Is(err, joindesk.ErrBadCode) {
		t.Errorf("a mistyped code: %v", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if _, err := joindesk.Deposit(ctx, closed, "", "s3cret", issue()); !errors.Is(err, joindesk.ErrUnreachable) ||
		!strings.Contains(err.Error(), "check that this computer is on the clinic's network") {
		t.Errorf("a desk that does not answer: %v", err)
	}
	if _, err := joindesk.StateOf(ctx, closed, "", tok.ID, joindesk.WriteHash(tok.Secret[:], tok.ID)); !errors.Is(err, joindesk.ErrUnreachable) {
		t.Errorf("a desk that does not answer: %v", err)
	}
}

// TestStateOfBelievesOnlyItsHash: a desk's answer about a token's state
// counts only when it names the hash of the token's desk key, which the
// newcomer derived from its token; a desk older than the hash answers
// from whatever deposit of the token it finds (perhaps a member's).
func TestStateOfBelievesOnlyItsHash(t *testing.T) {
	const id = "0123456789abcdef"
	hash := joindesk.WriteHash([]byte("the token's secret"), id)
	for _, tc := range []struct {
		name, answer, asked string
		want                string
		err                 error
	}{
		{"its own hash", `{"state":"refused","write_hash":"` + hash + `"}`, hash, joindesk.Refused, nil},
		{"an older desk's answer", `{"state":"refused"}`, hash, "", joindesk.ErrAnswer},
		{"another hash", `{"state":"refused","write_hash":"` + strings.Repeat("66", 32) + `"}`, hash, "", joindesk.ErrAnswer},
		{"no hash to ask with", `{"state":"refused","write_hash":""}`, "", "", joindesk.ErrAnswer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Medihaven-Write-Hash"); got != tc.asked {
					t.Errorf("asked with hash %q, want %q", got, tc.asked)
				}
				w.Write([]byte(tc.answer)) //nolint:errcheck
			}))
			defer srv.Close()
			st, err := joindesk.StateOf(context.Background(), srv.Listener.Addr().String(), "", id, tc.asked)
			if st != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("StateOf = %q, %v; want %q, %v", st, err, tc.want, tc.err)
			}
		})
	}
}

// FuzzResolveAnswer: whatever a server at a short code's address answers
// (any status, any body), Resolve returns a token only when it opens under
// the code, and otherwise one of the desk's errors; it never panics.
func FuzzResolveAnswer(f *testing.F) {
	var mu sync.Mutex
	var status int
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		w.Write(body) //nolint:errcheck
	}))
	f.Cleanup(srv.Close)
	code, err := crypto.NewShortCode(srv.Listener.Addr().String())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint16(0), []byte(`{"sealed":"c2VhbGVk"}`))
	f.Add(uint16(210), []byte(`{"state":"refused"}`))
	f.Add(uint16(204), []byte(`{}`))
	f.Add(uint16(0), []byte("not json"))
	f.Add(uint16(300), []byte(`{"error":"busy"}`))
	f.Fuzz(func(t *testing.T, s uint16, answer []byte) {
		mu.Lock()
		status, body = 200+int(s)%400, answer
		mu.Unlock()
		tok, err := joindesk.Resolve(context.Background(), code.String())
		switch {
		case err == nil && tok.ID == "":
			t.Fatal("an empty token resolved")
		case err == nil:
		case !errors.Is(err, joindesk.ErrAnswer) && !errors.Is(err, joindesk.ErrNoCode) && !errors.Is(err, joindesk.ErrBadCode) &&
			!errors.Is(err, joindesk.ErrUsed) && !errors.Is(err, joindesk.ErrExpired) && !errors.Is(err, joindesk.ErrRefused) &&
			!errors.Is(err, joindesk.ErrRevoked):
			t.Fatalf("an answer gave %v", err)
		}
	})
}
