package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
)

// TestJoinWithTheTokenAlone: a newcomer's workstation needs nothing but the
// registration token to reach the clinic's servers, even when the XMPP
// server's certificate is self-signed: the token carries its SHA-256 pin
// (and whether accounts are made in-band), and a server showing another
// certificate is refused.
func TestJoinWithTheTokenAlone(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	if err := c.admin.SetServers(Servers{IPFS: c.kubo.API, XMPP: c.xmpp.Addr, Domain: c.xmpp.Domain,
		XMPPCert: string(c.xmpp.CertPEM), OpenRegistration: true}); err != nil {
		t.Fatal(err)
	}
	redeem := func(name string, edit func(*Servers)) (*Session, netsync.Config) {
		tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(tok.XMPPCertPin) != 64 || !tok.OpenRegistration {
			t.Fatalf("the token carries pin %q, open registration %v", tok.XMPPCertPin, tok.OpenRegistration)
		}
		s, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, name), Token: tok.String(), Name: name, Passphrase: []byte(testPass)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		v := s.Profile().Servers
		if edit != nil {
			edit(&v)
			if err := s.SetServers(v); err != nil {
				t.Fatal(err)
			}
		}
		cfg, ok := s.Profile().SyncConfig()
		if !ok || len(cfg.PinnedCert) != 0 || cfg.CertPin == "" || !cfg.Register {
			t.Fatalf("the newcomer's profile from the token: %+v", cfg)
		}
		cfg.MinBackoff, cfg.MaxBackoff = 50*time.Millisecond, time.Second
		return s, cfg
	}

	doc, cfg := redeem("Dr Nora Newcomer", nil)
	y, err := doc.StartSync(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(y.Stop)
	c.confirm(t, c.phys, doc) // a physician and she meet and confirm each other
	waitFor(t, "the newcomer admitted and granted over the network", 60*time.Second, func() bool {
		r, err := doc.Replica()
		return err == nil && r.Holds(roles.Clinical) && r.Holds(roles.FrontDesk)
	})

	// A server that shows another certificate than the pinned one.
	wrong, cfg := redeem("Dr Wrong Pin", func(v *Servers) { v.XMPPCertPin = strings.Repeat("00", 32) })
	yw, err := wrong.StartSync(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(yw.Stop)
	waitFor(t, "the wrong certificate refused", 20*time.Second, func() bool {
		return strings.Contains(yw.Status().LastError, "not the one this clinic pinned")
	})
	if yw.Status().Connected {
		t.Error("connected to a server with another certificate")
	}
}
