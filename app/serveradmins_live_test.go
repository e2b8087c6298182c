package app

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// joinAndApprove: a newcomer joins c with a token issuer issued for role,
// and issuer's workstation approves them with their code. It returns the
// newcomer's session and its running sync.
func (c *realClinic) joinAndApprove(t *testing.T, issuer *Session, role roles.Role, name, folder string) (*Session, *netsync.Syncer) {
	t.Helper()
	ctx := context.Background()
	tok, err := issuer.IssueToken(ctx, role, time.Hour)
	if err != nil {
		t.Fatalf("%s's token for %s: %v", issuer.StaffName(), name, err)
	}
	s, err := Join(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, folder), Token: tok.String(), Name: name, Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatalf("%s joins with %s's token: %v", name, issuer.StaffName(), err)
	}
	t.Cleanup(func() { s.Close() })
	y := c.start(t, s)
	var j Joiner
	waitFor(t, name+" waiting", 60*time.Second, func() bool {
		w, err := issuer.Waiting(ctx)
		for _, x := range w {
			if x.Name == name {
				j = x
			}
		}
		return err == nil && j.Name != ""
	})
	if err := issuer.Approve(ctx, j.Fingerprint, j.Code); err != nil {
		t.Fatalf("approve %s: %v", name, err)
	}
	waitFor(t, name+" approved", 60*time.Second, func() bool {
		st, err := s.JoinStatus(ctx)
		return err == nil && st.State == JoinApproved
	})
	return s, y
}

// TestSecondAdministratorIssuesTokens: on the clinic's real invite-only
// servers, an administrator the founder admitted can issue tokens (their
// account invites come from the chat server, which gives the right only
// to the clinic's active administrators) and a newcomer joins with one; a
// receptionist's workstation can neither make an account invite nor give
// itself the right; once the founder revokes the second administrator,
// their workstation can make no invite any more: its account lost the
// server's administrator role, then ended (a revoked member's accounts
// end; an administrator's are refused, so the role goes first).
func TestSecondAdministratorIssuesTokens(t *testing.T) {
	ctx := context.Background()
	c := newRealClinic(t)
	second, _ := c.joinAndApprove(t, c.admin, roles.Administrator, "Bea Second", "second")
	var tok error
	waitFor(t, "the second administrator issuing a token", 90*time.Second, func() bool {
		_, tok = second.IssueToken(ctx, roles.Receptionist, time.Hour)
		return tok == nil
	})
	reception, _ := c.joinAndApprove(t, second, roles.Receptionist, "Rosa Reception", "reception")

	cfg, _ := reception.Profile().SyncConfig()
	pass, err := workstation{reception}.XMPPPassword(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := netsync.AccountInvite(ctx, cfg, reception.Profile().Device, pass); !errors.Is(err, xmpp.ErrNoInviteRight) {
		t.Errorf("the receptionist's workstation made an account invite: %v", err)
	}
	err = netsync.SetServerAdmins(ctx, cfg, reception.Profile().Device, pass, map[string]bool{reception.Profile().Device: true})
	if !errors.Is(err, xmpp.ErrNotServerAdmin) {
		t.Errorf("the receptionist's workstation gave itself the right to invite: %v", err)
	}
	if _, err := reception.IssueToken(ctx, roles.Receptionist, time.Hour); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("a receptionist issued a token: %v", err)
	}

	if err := c.admin.RevokeMember(ctx, second.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	scfg, _ := second.Profile().SyncConfig()
	spass, err := workstation{second}.XMPPPassword(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := netsync.AccountInvite(ctx, scfg, second.Profile().Device, spass); !errors.Is(err, xmpp.ErrAuth) {
		t.Errorf("the revoked administrator's workstation: %v, want its account ended (ErrAuth)", err)
	}
}

// TestRevokedMemberIsCutOff: on the clinic's real invite-only servers, once
// an administrator revokes a member, her workstation's upkeep ends the
// revoked member's chat account: the member's open session is closed at
// once (out of the sync and chat rooms), her workstation can log in no
// more and says so plainly; the other members' workstations, one of them
// given another role meanwhile, keep their accounts and stay connected.
func TestRevokedMemberIsCutOff(t *testing.T) {
	ctx := context.Background()
	c := newRealClinic(t)
	reception, ry := c.joinAndApprove(t, c.admin, roles.Receptionist, "Rosa Reception", "reception")
	leaving, ly := c.joinAndApprove(t, c.admin, roles.Receptionist, "Lena Leaving", "leaving")
	moved, my := c.joinAndApprove(t, c.admin, roles.Receptionist, "Mo Moved", "moved")
	for name, y := range map[string]*netsync.Syncer{"Rosa": ry, "Lena": ly, "Mo": my} {
		waitFor(t, name+"'s workstation in the sync room", 60*time.Second, func() bool { return y.Status().Connected })
	}
	logIn := func(s *Session) error {
		t.Helper()
		cfg, _ := s.Profile().SyncConfig()
		pass, err := workstation{s}.XMPPPassword(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return netsync.Register(ctx, cfg, s.Profile().Device, pass, "") // no invite: a login only
	}

	if err := c.admin.ChangeRole(ctx, moved.Fingerprint(), roles.Physician); err != nil {
		t.Fatal(err)
	}
	if err := c.admin.RevokeMember(ctx, leaving.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	// RevokeMember ran the administrator's upkeep of the server's accounts.
	if err := logIn(leaving); !errors.Is(err, xmpp.ErrAuth) {
		t.Fatalf("the revoked member's workstation logs in: %v, want ErrAuth", err)
	}
	waitFor(t, "the revoked member's workstation told its access ended", 30*time.Second, func() bool {
		st := ly.Status()
		return !st.Connected && st.LastError == netsync.AccessEnded
	})
	for _, s := range []*Session{c.admin, reception, moved} {
		if err := logIn(s); err != nil {
			t.Errorf("%s's workstation logs in after the revocation: %v", s.StaffName(), err)
		}
	}
	for name, y := range map[string]*netsync.Syncer{"Ada": c.sync, "Rosa": ry, "Mo": my} {
		if st := y.Status(); !st.Connected || st.LastError == netsync.AccessEnded {
			t.Errorf("%s's workstation after the revocation: %+v", name, st)
		}
	}

	// Ending her account made the server change the Kubo API secret: the
	// one her workstation keeps opens the record store no more, and the
	// colleagues' workstations asked for the new one when Kubo refused
	// theirs, so what they write still goes out (and is kept for their
	// next start); a token issued now carries the new one.
	api := c.servers.Servers.IPFS
	waitFor(t, "the revoked member's Kubo secret refused", 60*time.Second, func() bool {
		_, err := ipfs.New(api, ipfs.WithBearer(leaving.Profile().Servers.IPFSSecret), ipfs.WithPin(leaving.Profile().Servers.XMPPCertPin)).Put(ctx, []byte("after her revocation"))
		return errors.Is(err, ipfs.ErrForbidden)
	})
	waitFor(t, "Rosa registers a patient (her first front-desk key once caught up)", 60*time.Second, func() bool {
		_, err := reception.RegisterPatient(ctx, Patient{Family: "Afterwards", Given: "Ida", Birth: "1970-01-01", Sex: "female"})
		return err == nil
	})
	// Status.Waiting is the push loop's count: it may still read 0 from
	// before the registration until the loop runs (CI once read it so,
	// with the old secret still held), so the wait is for the new secret too.
	waitFor(t, "Rosa's patient sent with the new secret", 90*time.Second, func() bool {
		st := ry.Status()
		return st.Waiting == 0 && st.IPFSUp && reception.Profile().Servers.IPFSSecret != leaving.Profile().Servers.IPFSSecret
	})
	fresh := reception.Profile().Servers.IPFSSecret
	if fresh == leaving.Profile().Servers.IPFSSecret {
		t.Fatal("Rosa's workstation still uses the secret the revoked member keeps")
	}
	var kept []byte
	if err := reception.db.View(ctx, func(tx *store.Tx) error {
		sealed, err := tx.Secret(ctx, secretIPFS)
		if err == nil {
			kept, err = reception.deviceKey().Open(sealed, []byte(secretIPFS))
		}
		return err
	}); err != nil || string(kept) != fresh {
		t.Errorf("the secret Rosa's workstation keeps for its next start: %q, %v; want the new one", kept, err)
	}
	// As an administrator's workstation whose sync has not met the new
	// secret yet (nothing it sent since was refused): its token still
	// carries the server's (it failed under load in CI: the token was
	// filled before the invite's request brought the new one).
	c.admin.mu.Lock()
	c.admin.prof.Servers.IPFSSecret = leaving.Profile().Servers.IPFSSecret
	c.admin.mu.Unlock()
	tok, err := c.admin.IssueToken(ctx, roles.Receptionist, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if tok.IPFSSecret != fresh {
		t.Errorf("a token issued after the revocation carries %q, want the new secret %q", tok.IPFSSecret, fresh)
	}
}
