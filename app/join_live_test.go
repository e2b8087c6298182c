package app

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/synctest"
)

// realClinic is a clinic whose servers are the real ones `medihaven
// server` writes and runs (invite-only Prosody, private Kubo with an API
// secret), on loopback, with its founder's workstation.
type realClinic struct {
	env     Env
	dir     string
	servers *LocalServers
	admin   *Session
	sync    *netsync.Syncer
}

func newRealClinic(t *testing.T) *realClinic {
	t.Helper()
	ctx := context.Background()
	bin, err := synctest.IPFSBinary()
	if err != nil {
		t.Skip(err)
	}
	ports := synctest.FreePorts(t, 3)
	env, _ := testEnv(t)
	env.Now = time.Now // the servers keep real time
	c := &realClinic{env: env, dir: t.TempDir()}
	c.servers, err = StartLocalServers(ctx, LocalSetup{Dir: filepath.Join(c.dir, "server"), Domain: "clinic.test",
		XMPPPort: ports[0], APIPort: ports[1], DeskPort: ports[2], IPFSBin: bin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.servers.Stop)
	c.admin, err = CreateClinic(ctx, env, NewClinic{Dir: filepath.Join(c.dir, "admin"), Clinic: "Real Clinic",
		Admin: "Ada Admin", Passphrase: []byte(testPass), Servers: c.servers.Servers, ServerInvite: c.servers.AdminInvite})
	if err != nil {
		t.Fatalf("CreateClinic with the clinic's servers: %v", err)
	}
	t.Cleanup(func() { c.admin.Close() })
	c.sync = c.start(t, c.admin)
	return c
}

func (c *realClinic) start(t *testing.T, s *Session) *netsync.Syncer {
	t.Helper()
	cfg, ok := s.Profile().SyncConfig()
	if !ok || cfg.IPFSSecret == "" || cfg.Register {
		t.Fatalf("sync configuration of the profile: %+v", cfg)
	}
	cfg.MinBackoff, cfg.MaxBackoff = 50*time.Millisecond, time.Second
	y, err := s.StartSync(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(y.Stop)
	return y
}

// TestJoinARealClinic walks the path of issue 16 with the servers
// `medihaven server` runs: the founder's workstation makes its account
// with the server's administrator invite; each token carries an account
// invite, the Kubo API secret and the certificate pin; the newcomer's
// workstation joins with the token alone and waits, showing a code; the
// administrator sees the request, refuses a wrong code and approves the
// right one; only then does the newcomer get keys.
func TestJoinARealClinic(t *testing.T) {
	ctx := context.Background()
	c := newRealClinic(t)
	tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatalf("IssueToken on a real clinic: %v", err)
	}
	if tok.Invite == "" || tok.IPFSSecret == "" || len(tok.XMPPCertPin) != 64 || tok.OpenRegistration {
		t.Fatalf("the token carries invite %q, secret %q, pin %q, open %v", tok.Invite, tok.IPFSSecret, tok.XMPPCertPin, tok.OpenRegistration)
	}
	code, err := c.admin.Deposit(ctx, tok)
	if err != nil {
		t.Fatalf("Deposit: %v", err)
	}
	t.Logf("short code %s", code)
	// Read over the phone: lower case, spaces for dashes.
	spoken := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	doc, err := Join(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "doc"), Token: spoken, Name: "Dr Nora Newcomer",
		Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	t.Cleanup(func() { doc.Close() })
	c.start(t, doc)

	st, err := doc.JoinStatus(ctx)
	if err != nil || st.State != JoinWaiting || len(st.Code) != 7 {
		t.Fatalf("the newcomer's status: %+v, %v", st, err)
	}
	var j Joiner
	waitFor(t, "the request in the administrator's waiting list", 30*time.Second, func() bool {
		w, err := c.admin.Waiting(ctx)
		if err != nil || len(w) != 1 {
			return false
		}
		j = w[0]
		return true
	})
	if j.Name != "Dr Nora Newcomer" || j.Role != roles.Physician || j.Code != st.Code || j.Err != nil {
		t.Fatalf("waiting: %+v; the newcomer shows %q", j, st.Code)
	}
	// Nothing is admitted without approval, however often upkeep runs.
	if _, err := c.admin.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustReplica(t, c.admin).Member(j.Fingerprint); ok {
		t.Fatal("admitted before approval")
	}
	wrong := "000 000"
	if wrong == j.Code {
		wrong = "000 001"
	}
	if err := c.admin.Approve(ctx, j.Fingerprint, wrong); !errors.Is(err, ErrCodeMismatch) {
		t.Fatalf("Approve with a wrong code: %v", err)
	}
	if err := c.admin.Approve(ctx, j.Fingerprint, strings.ReplaceAll(j.Code, " ", "-")); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	c.sync.Kick()
	waitFor(t, "the newcomer approved and holding the directory key", 60*time.Second, func() bool {
		st, err := doc.JoinStatus(ctx)
		return err == nil && st.State == JoinApproved && mustReplica(t, doc).Holds(roles.Directory)
	})
	if w, _ := c.admin.Waiting(ctx); len(w) != 0 {
		t.Errorf("still waiting after approval: %+v", w)
	}
	if _, err := joinToken(ctx, code, time.Now); !errors.Is(err, ErrTokenUsed) {
		t.Errorf("the short code of a used token: %v, want ErrTokenUsed", err)
	}

	// A request the administrator refuses: the newcomer's screen says so,
	// and the code resolves no more.
	tok, err = c.admin.IssueToken(ctx, roles.Receptionist, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	code, err = c.admin.Deposit(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	odd, err := Join(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "odd"), Token: code, Name: "Oddly Unexpected",
		Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { odd.Close() })
	c.start(t, odd)
	waitFor(t, "the second request waiting", 30*time.Second, func() bool {
		w, err := c.admin.Waiting(ctx)
		if err != nil || len(w) != 1 {
			return false
		}
		j = w[0]
		return true
	})
	if err := c.admin.Refuse(ctx, j.Fingerprint); err != nil {
		t.Fatalf("Refuse: %v", err)
	}
	st, err = odd.JoinStatus(ctx)
	if err != nil || st.State != JoinRefused || !strings.Contains(st.Reason, "refused") {
		t.Errorf("the refused newcomer's status: %+v, %v", st, err)
	}
	if _, err := joinToken(ctx, code, time.Now); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("the short code of a refused token: %v, want ErrTokenRevoked", err)
	}
	if w, _ := c.admin.Waiting(ctx); len(w) != 0 {
		t.Errorf("still waiting after refusal: %+v", w)
	}
}

func mustReplica(t *testing.T, s *Session) *replica.Replica {
	t.Helper()
	r, err := s.live()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestJoinRefusesBadTokens: every bad token gets its own plain error, and
// a failed join leaves no profile folder behind.
func TestJoinRefusesBadTokens(t *testing.T) {
	ctx := context.Background()
	c := newRealClinic(t)
	issue := func() crypto.Token {
		tok, err := c.admin.IssueToken(ctx, roles.Receptionist, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	used := issue()
	first, err := Join(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "first"), Token: used.String(), Name: "Rita Reception",
		Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	closed := synctest.UnusedAddr(t)
	deposit := func(tok crypto.Token) string {
		code, err := c.admin.Deposit(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	revoked := func(tok crypto.Token) string {
		code := deposit(tok)
		if err := c.admin.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		return code
	}
	cases := map[string]struct {
		token string
		want  error
		words string
	}{
		"typo":                          {strings.Replace(issue().String(), "A", "B", 1), ErrTokenMalformed, "mistyped"},
		"short code typo":               {mistype(t, deposit(issue())), ErrTokenMalformed, "mistyped"},
		"short code never deposited":    {neverDeposited(t, c.servers.Servers.Desk), ErrTokenUnknown, "no token waits"},
		"short code of a revoked token": {revoked(issue()), ErrTokenRevoked, "new one"},
		"join desk unreachable":         {neverDeposited(t, closed), ErrServersUnreachable, "does not answer"},
		"used":                          {used.String(), ErrTokenUsed, "used already"},
		"another clinic's server": {edit(issue(), func(t *crypto.Token) { t.XMPPCertPin = strings.Repeat("ab", 32) }),
			ErrTokenClinic, "not the one the token names"},
		"wrong API secret": {edit(issue(), func(t *crypto.Token) { t.IPFSSecret = strings.Repeat("0", 64) }),
			ErrServersRefused, "did not accept"},
		"servers unreachable": {edit(issue(), func(t *crypto.Token) { t.XMPP = closed }), ErrServersUnreachable, "does not answer"},
		"file server unreachable": {edit(issue(), func(t *crypto.Token) { t.IPFS = "/ip4/127.0.0.1/tcp/" + portOf(closed) }),
			ErrServersUnreachable, "does not answer"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(c.dir, "joiner-"+strings.ReplaceAll(name, " ", "-"))
			_, err := Join(ctx, c.env, Redemption{Dir: dir, Token: tc.token, Name: "Someone New", Passphrase: []byte(testPass)})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("Join: %v; want %v saying %q", err, tc.want, tc.words)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed join left %s behind (%v)", dir, err)
			}
		})
	}
	// An expired token is refused before anything is asked of the servers.
	expired := issue()
	later := c.env
	later.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := Join(ctx, later, Redemption{Dir: filepath.Join(c.dir, "late"), Token: expired.String(), Name: "Late Larry",
		Passphrase: []byte(testPass)}); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("an expired token: %v", err)
	}
}

// edit returns the text of a token changed by f (as a forger or a broken
// copy would make it).
func edit(t crypto.Token, f func(*crypto.Token)) string {
	f(&t)
	return t.String()
}

// mistype changes one character of a short code.
func mistype(t *testing.T, code string) string {
	t.Helper()
	b := []byte(code)
	i := len(b) - 3
	if b[i] == 'A' {
		b[i] = 'C'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// neverDeposited is a well-formed short code for the desk at addr under
// which nothing was deposited.
func neverDeposited(t *testing.T, addr string) string {
	t.Helper()
	c, err := crypto.NewShortCode(addr)
	if err != nil {
		t.Fatal(err)
	}
	return c.String()
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
