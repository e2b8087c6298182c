package server_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/medihaven/medihaven/sync/server"
	mhxmpp "github.com/medihaven/medihaven/sync/xmpp"
)

// TestAdministratorsGiveTheInviteRight: an account with the server's
// administrator role (the founder's, from `server invite --admin`) gives
// it to a second administrator's account with mod_medihaven_admins, which
// may then make account invites and pass the role on or take it back; an
// ordinary account can neither make an invite nor give itself the role;
// an account the server does not have is said to be missing. A server
// folder an older Medihaven wrote (its configuration loads no such module)
// is brought up to date when it starts.
func TestAdministratorsGiveTheInviteRight(t *testing.T) {
	t.Run("new folder", func(t *testing.T) {
		res, _ := startServer(t, nil)
		administratorsGiveTheInviteRight(t, res)
	})
	t.Run("older folder", func(t *testing.T) {
		res := initServer(t, nil)
		config := filepath.Join(res.Dir, server.DirProsody, "prosody.cfg.lua")
		b, err := os.ReadFile(config)
		if err != nil {
			t.Fatal(err)
		}
		older := strings.ReplaceAll(string(b), `"medihaven_admins";`, "")
		if older == string(b) {
			t.Fatal("the configuration does not load mod_medihaven_admins")
		}
		if err := os.WriteFile(config, []byte(older), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(filepath.Join(res.Dir, server.DirProsody, "plugins")); err != nil {
			t.Fatal(err)
		}
		s, err := server.Start(testContext(t), res.Dir, server.RunOptions{IPFSBin: ipfsBin(t), StopGrace: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
		administratorsGiveTheInviteRight(t, res)
	})
}

func administratorsGiveTheInviteRight(t *testing.T, res server.Result) {
	ctx := testContext(t)
	dial := func(user string, admin bool) *mhxmpp.Session {
		t.Helper()
		token, _, err := server.Invite(ctx, res.Dir, admin)
		if err != nil {
			t.Fatal(err)
		}
		s, err := mhxmpp.Dial(ctx, mhxmpp.Config{JID: user + "@" + res.Config.Domain, Password: "pw-" + user,
			Addr: res.Config.XMPPAddr(), TLS: pinnedTLS(res), Invite: token}, nil)
		if err != nil {
			t.Fatalf("register %s: %v", user, err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	redial := func(old *mhxmpp.Session, user string) *mhxmpp.Session {
		t.Helper()
		old.Close()
		s, err := mhxmpp.Dial(ctx, mhxmpp.Config{JID: user + "@" + res.Config.Domain, Password: "pw-" + user,
			Addr: res.Config.XMPPAddr(), TLS: pinnedTLS(res)}, nil)
		if err != nil {
			t.Fatalf("log in again as %s: %v", user, err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	account := func(user string) jid.JID { return jid.MustParse(user + "@" + res.Config.Domain) }
	founder, second, reception := dial("founder", true), dial("second", false), dial("reception", false)

	if _, err := second.CreateAccountInvite(ctx); !errors.Is(err, mhxmpp.ErrNoInviteRight) {
		t.Fatalf("before the role: %v, want ErrNoInviteRight", err)
	}
	if err := reception.SetServerAdmin(ctx, account("reception"), true); !errors.Is(err, mhxmpp.ErrNotServerAdmin) {
		t.Fatalf("an ordinary account gave itself the role: %v, want ErrNotServerAdmin", err)
	}
	if err := founder.SetServerAdmin(ctx, account("second"), true); err != nil {
		t.Fatalf("the founder gives the second administrator the role: %v", err)
	}
	if err := founder.SetServerAdmin(ctx, account("second"), true); err != nil {
		t.Fatalf("the same again: %v", err)
	}
	// Prosody ends the sessions of an account whose roles change.
	second = redial(second, "second")
	inv, err := second.CreateAccountInvite(ctx)
	if err != nil {
		t.Fatalf("the second administrator's invite: %v", err)
	}
	newcomer, err := mhxmpp.Dial(ctx, mhxmpp.Config{JID: "newcomer@" + res.Config.Domain, Password: "pw-newcomer",
		Addr: res.Config.XMPPAddr(), TLS: pinnedTLS(res), Invite: inv.Token}, nil)
	if err != nil {
		t.Fatalf("a newcomer registers with the second administrator's invite: %v", err)
	}
	newcomer.Close()
	// Taking a role an account does not have changes nothing, and leaves
	// its session connected (workstations ask at every directory change).
	if err := founder.SetServerAdmin(ctx, account("reception"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := reception.CreateAccountInvite(ctx); !errors.Is(err, mhxmpp.ErrNoInviteRight) {
		t.Fatalf("the receptionist's account made an invite: %v", err)
	}
	// The second administrator revokes the founder's role, then the
	// founder, no longer an administrator, cannot take it back.
	if err := second.SetServerAdmin(ctx, account("founder"), false); err != nil {
		t.Fatal(err)
	}
	founder = redial(founder, "founder")
	if _, err := founder.CreateAccountInvite(ctx); !errors.Is(err, mhxmpp.ErrNoInviteRight) {
		t.Fatalf("a former administrator made an invite: %v", err)
	}
	if err := founder.SetServerAdmin(ctx, account("founder"), true); !errors.Is(err, mhxmpp.ErrNotServerAdmin) {
		t.Fatalf("a former administrator gave itself the role again: %v", err)
	}
	if err := second.SetServerAdmin(ctx, account("nobody"), true); !errors.Is(err, mhxmpp.ErrNoSuchAccount) {
		t.Fatalf("an unknown account: %v, want ErrNoSuchAccount", err)
	}
}
