package app

import (
	"context"
	"crypto/tls"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestAttackS20dRefusedNewcomerKeepsTheKuboSecret: a token's holder who
// joins makes a server account with its invite and holds the Kubo API
// secret it carries. The administrator refuses her request (she is not
// who the token was meant for, or nobody expected her), and the
// administrator's upkeep runs: her account must end, so that she can
// neither read the secret the server makes next (urn:medihaven:kubo#secret
// answers any account of the server) nor keep using hers.
func TestAttackS20dRefusedNewcomerKeepsTheKuboSecret(t *testing.T) {
	ctx := context.Background()
	c := newRealClinic(t)
	tok, err := c.admin.IssueToken(ctx, roles.Receptionist, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	odd, err := Join(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "odd"), Token: tok.String(), Name: "Oddly Unexpected",
		Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { odd.Close() })
	held := odd.Profile().Servers.IPFSSecret
	oddSync := c.start(t, odd)
	var fp string
	waitFor(t, "the request waiting", 30*time.Second, func() bool {
		w, err := c.admin.Waiting(ctx)
		if err != nil || len(w) != 1 {
			return false
		}
		fp = w[0].Fingerprint
		return true
	})
	if err := c.admin.Refuse(ctx, fp); err != nil {
		t.Fatalf("Refuse: %v", err)
	}
	if err := c.admin.keepServerAdmins(ctx); err != nil {
		t.Fatalf("the administrator's upkeep: %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		secret, err := oddSync.RefreshIPFSSecret(rctx)
		cancel()
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the refused newcomer still reads the record store's secret from the server 15 s after the upkeep (same as her token's: %v)",
				secret == held)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// Ending her account makes a new secret: hers opens Kubo no more.
	waitFor(t, "a new Kubo API secret", 30*time.Second, func() bool {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		s, err := c.sync.RefreshIPFSSecret(rctx)
		return err == nil && s != "" && s != held
	})
}

// TestAttackS20dRevokedTokenStillMakesAnAccount: an administrator revokes
// a token that went astray (left at the desk, sent to the wrong person)
// before anyone joined with it. Whoever holds it must not get a server
// account with the invite it carries: such an account writes no request,
// so no upkeep would ever end it, and the server tells any of its accounts
// every new Kubo API secret (urn:medihaven:kubo#secret).
func TestAttackS20dRevokedTokenStillMakesAnAccount(t *testing.T) {
	ctx := context.Background()
	c := newRealClinic(t)
	tok, err := c.admin.IssueToken(ctx, roles.Receptionist, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Invite == "" {
		t.Fatal("the token carries no account invite")
	}
	if err := c.admin.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.admin.keepServerAdmins(ctx); err != nil {
		t.Fatalf("the administrator's upkeep: %v", err)
	}
	cfg, _ := c.admin.Profile().SyncConfig()
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err = netsync.Register(rctx, cfg, "mallory", "mallory-password", tok.Invite)
	if err == nil {
		xs, err := xmpp.Dial(rctx, xmpp.Config{JID: "mallory@" + cfg.Domain, Password: "mallory-password", Addr: cfg.XMPPAddr,
			TLS: &tls.Config{InsecureSkipVerify: true, ServerName: cfg.Domain}}, nil) //nolint:gosec // loopback test server
		if err != nil {
			t.Fatalf("made an account with the revoked token's invite, but cannot log in: %v", err)
		}
		defer xs.Close()
		secret, err := xs.KuboSecret(rctx)
		t.Fatalf("the revoked token's invite made an account, which reads the Kubo API secret (%d bytes, err %v)", len(secret), err)
	}
}
