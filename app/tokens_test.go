package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

func envelopeCount(t testing.TB, s *Session) int {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = r.DB().View(context.Background(), func(tx *store.Tx) error {
		counts, err := tx.CountEnvelopes(context.Background())
		for _, c := range counts {
			n += c
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBadTokens: expired, revoked, reused and malformed tokens each get their
// own error, and nothing is written.
func TestBadTokens(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	issue := func(role roles.Role) string {
		tok, err := c.admin.IssueToken(ctx, role, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok.String()
	}
	good := issue(roles.Receptionist)
	tests := []struct {
		name  string
		token func() string
		// Where the refusal shows: at redeem (newcomer's machine, offline
		// checks) or at admission (the administrator's workstation).
		atRedeem bool
		want     error
	}{
		{"malformed", func() string { return "MH1-NOT-A-TOKEN" }, true, ErrTokenMalformed},
		{"truncated", func() string { return good[:len(good)/2] }, true, ErrTokenMalformed},
		{"typo", func() string {
			b := []byte(good)
			i := len(b) - 5
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			return string(b)
		}, true, ErrTokenMalformed},
		{"expired", func() string {
			tok := issue(roles.Physician)
			c.clock.Add(2 * time.Hour)
			return tok
		}, true, ErrTokenExpired},
		{"revoked", func() string {
			tok := issue(roles.Physician)
			parsed, _ := ParseToken(tok, c.env.Now)
			if err := c.admin.RevokeToken(ctx, parsed.ID); err != nil {
				t.Fatal(err)
			}
			return tok
		}, false, ErrTokenRevoked},
		{"reused", func() string {
			tok := issue(roles.Receptionist)
			s, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(t.TempDir(), "first"), Token: tok, Name: "First User", Passphrase: []byte(testPass)})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := SyncLocal(ctx, c.admin, s); err != nil {
				t.Fatal(err)
			}
			return tok
		}, false, ErrTokenUsed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token()
			dir := filepath.Join(t.TempDir(), "newcomer")
			s, err := Redeem(ctx, c.env, Redemption{Dir: dir, Token: tok, Name: "New Comer", Passphrase: []byte(testPass)})
			if tt.atRedeem {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Redeem error %v, want %v", err, tt.want)
				}
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Errorf("a refused token left %s behind", dir)
				}
				return
			}
			if err != nil {
				t.Fatalf("Redeem: %v", err)
			}
			defer s.Close()
			before := envelopeCount(t, c.admin)
			if _, err := pull(ctx, c.admin, s); err != nil {
				t.Fatal(err)
			}
			received := envelopeCount(t, c.admin) - before
			adm, err := c.admin.Admit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got error
			for _, a := range adm {
				if a.Fingerprint == s.Fingerprint() {
					got = a.Err
				}
			}
			if !errors.Is(got, tt.want) {
				t.Fatalf("admission error %v, want %v", got, tt.want)
			}
			if msg := got.Error(); !strings.Contains(msg, "token") {
				t.Errorf("error %q does not say what is wrong", msg)
			}
			if n := envelopeCount(t, c.admin) - before - received; n != 0 {
				t.Errorf("a refused admission wrote %d events", n)
			}
			if r, _ := c.admin.Replica(); r != nil {
				if _, ok := r.Member(s.Fingerprint()); ok {
					t.Error("refused newcomer is in the directory")
				}
			}
		})
	}
}

// TestTokenOfRevokedIssuer: only the workstation of the administrator who
// issued a token admits with it (another administrator's shows the request
// as waiting for the issuer); once the issuer is revoked their outstanding
// tokens count as revoked, the request is refused with that reason, and an
// admission the revoked issuer writes afterwards stands nowhere.
func TestTokenOfRevokedIssuer(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	ben := c.join(t, "Ben Admin", roles.Administrator)
	if err := SyncLocal(ctx, append(c.all(), ben)...); err != nil {
		t.Fatal(err)
	}
	tok, err := ben.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(t.TempDir(), "nc"), Token: tok.String(), Name: "Dr Nia Newcomer", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, src := range []*Session{ben, s} {
		if _, err := pull(ctx, c.admin, src); err != nil {
			t.Fatal(err)
		}
	}
	admissionFor := func(who *Session) Admission {
		t.Helper()
		adm, err := who.Admit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range adm {
			if a.Fingerprint == s.Fingerprint() {
				return a
			}
		}
		t.Fatalf("%s lists no request of the newcomer", who.StaffName())
		return Admission{}
	}
	if a := admissionFor(c.admin); !errors.Is(a.Err, ErrAwaitingIssuer) || !strings.Contains(a.Err.Error(), "Ben Admin") {
		t.Fatalf("another administrator's workstation: %v, want waiting for Ben Admin", a.Err)
	}

	if err := c.admin.RevokeMember(ctx, ben.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	a := admissionFor(c.admin)
	if !errors.Is(a.Err, ErrTokenRevoked) || !strings.Contains(a.Err.Error(), "Ben Admin") || !strings.Contains(a.Err.Error(), "new token") {
		t.Errorf("after the issuer's revocation: %v, want revoked with its issuer", a.Err)
	}
	list, err := c.admin.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range list {
		if ti.ID == tok.ID && (ti.Status != TokenRevoked || !ti.IssuerRevoked) {
			t.Errorf("the revoked issuer's token is listed as %s (issuer revoked %v)", ti.Status, ti.IssuerRevoked)
		}
	}

	// Ben's workstation, not yet aware of his revocation, admits anyway.
	if _, err := pull(ctx, ben, s); err != nil {
		t.Fatal(err)
	}
	if a := admissionFor(ben); a.Err != nil {
		t.Fatalf("the unaware issuer's workstation: %v", a.Err)
	}
	honest := append(c.all(), s)
	for _, dst := range honest {
		if _, err := pull(ctx, dst, ben); err != nil {
			t.Fatal(err)
		}
	}
	if err := SyncLocal(ctx, honest...); err != nil {
		t.Fatal(err)
	}
	for _, w := range c.all() {
		r, _ := w.Replica()
		if m, ok := r.Member(s.Fingerprint()); ok {
			t.Errorf("%s: admitted by a revoked issuer: %+v", w.StaffName(), m)
		}
	}
}
