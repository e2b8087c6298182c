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

// serverAccounts makes and logs in to accounts of a running clinic
// server, each with the password "pw-USER".
type serverAccounts struct {
	t   *testing.T
	res server.Result
}

// dial registers user with one of the server's invites (an administrator
// invite when admin) and returns its session.
func (a serverAccounts) dial(user string, admin bool) *mhxmpp.Session {
	a.t.Helper()
	ctx := testContext(a.t)
	token, _, err := server.Invite(ctx, a.res.Dir, admin)
	if err != nil {
		a.t.Fatal(err)
	}
	s, err := mhxmpp.Dial(ctx, mhxmpp.Config{JID: user + "@" + a.res.Config.Domain, Password: "pw-" + user,
		Addr: a.res.Config.XMPPAddr(), TLS: pinnedTLS(a.res), Invite: token}, nil)
	if err != nil {
		a.t.Fatalf("register %s: %v", user, err)
	}
	a.t.Cleanup(func() { s.Close() })
	return s
}

// login logs in to user's account.
func (a serverAccounts) login(user string) (*mhxmpp.Session, error) {
	s, err := mhxmpp.Dial(testContext(a.t), mhxmpp.Config{JID: user + "@" + a.res.Config.Domain, Password: "pw-" + user,
		Addr: a.res.Config.XMPPAddr(), TLS: pinnedTLS(a.res)}, nil)
	if err == nil {
		a.t.Cleanup(func() { s.Close() })
	}
	return s, err
}

// redial closes old and logs in to user's account again.
func (a serverAccounts) redial(old *mhxmpp.Session, user string) *mhxmpp.Session {
	a.t.Helper()
	old.Close()
	s, err := a.login(user)
	if err != nil {
		a.t.Fatalf("log in again as %s: %v", user, err)
	}
	return s
}

// account is user's bare JID.
func (a serverAccounts) account(user string) jid.JID {
	return jid.MustParse(user + "@" + a.res.Config.Domain)
}

func administratorsGiveTheInviteRight(t *testing.T, res server.Result) {
	ctx := testContext(t)
	accounts := serverAccounts{t, res}
	dial, redial, account := accounts.dial, accounts.redial, accounts.account
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

// TestAdministratorsEndAccounts: an account with the server's
// administrator role ends a revoked member's account with
// mod_medihaven_admins: its open session is closed at once and it can log
// in no more, while the other accounts still can; ending it again is no
// error. An ordinary account may end nobody's account, and an account
// that has the administrator role is not ended (its role goes first).
func TestAdministratorsEndAccounts(t *testing.T) {
	res, _ := startServer(t, nil)
	ctx := testContext(t)
	a := serverAccounts{t, res}
	founder, second, reception, revoked := a.dial("founder", true), a.dial("second", false), a.dial("reception", false), a.dial("revoked", false)

	if err := reception.RemoveServerAccount(ctx, a.account("revoked")); !errors.Is(err, mhxmpp.ErrNotServerAdmin) {
		t.Fatalf("an ordinary account ended another: %v, want ErrNotServerAdmin", err)
	}
	if err := reception.RemoveServerAccount(ctx, a.account("reception")); !errors.Is(err, mhxmpp.ErrNotServerAdmin) {
		t.Fatalf("an ordinary account ended itself: %v, want ErrNotServerAdmin", err)
	}
	if _, err := a.login("revoked"); err != nil {
		t.Fatalf("the account an ordinary account tried to end: %v", err)
	}

	if err := founder.RemoveServerAccount(ctx, a.account("revoked")); err != nil {
		t.Fatalf("the founder ends the revoked member's account: %v", err)
	}
	select {
	case <-revoked.Done():
		if !errors.Is(revoked.Err(), mhxmpp.ErrDisconnected) {
			t.Errorf("the ended account's session: %v, want ErrDisconnected", revoked.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the ended account's open session goes on")
	}
	if _, err := a.login("revoked"); !errors.Is(err, mhxmpp.ErrAuth) {
		t.Fatalf("log in to the ended account: %v, want ErrAuth", err)
	}
	if err := founder.RemoveServerAccount(ctx, a.account("revoked")); err != nil {
		t.Fatalf("ending it again: %v, want nothing to do", err)
	}
	if err := founder.RemoveServerAccount(ctx, a.account("nobody")); err != nil {
		t.Fatalf("ending an account the server never had: %v, want nothing to do", err)
	}

	if err := founder.SetServerAdmin(ctx, a.account("second"), true); err != nil {
		t.Fatal(err)
	}
	if err := founder.RemoveServerAccount(ctx, a.account("second")); !errors.Is(err, mhxmpp.ErrServerAdminAccount) {
		t.Fatalf("ending an administrator's account: %v, want ErrServerAdminAccount", err)
	}
	second = a.redial(second, "second") // the role change ended its session
	if err := second.RemoveServerAccount(ctx, a.account("founder")); !errors.Is(err, mhxmpp.ErrServerAdminAccount) {
		t.Fatalf("one administrator ends another's account: %v, want ErrServerAdminAccount", err)
	}
	for _, user := range []string{"founder", "second", "reception"} {
		if _, err := a.login(user); err != nil {
			t.Errorf("%s logs in after another's account ended: %v", user, err)
		}
	}
	if err := reception.Ping(ctx); err != nil {
		t.Errorf("the receptionist's open session: %v", err)
	}
}
