package app

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// joinAndApprove: a newcomer joins c with a token issuer issued for role,
// and issuer's workstation approves them with their code.
func (c *realClinic) joinAndApprove(t *testing.T, issuer *Session, role roles.Role, name, folder string) *Session {
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
	c.start(t, s)
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
	return s
}

// TestSecondAdministratorIssuesTokens: on the clinic's real invite-only
// servers, an administrator the founder admitted can issue tokens (their
// account invites come from the chat server, which gives the right only
// to the clinic's active administrators) and a newcomer joins with one; a
// receptionist's workstation can neither make an account invite nor give
// itself the right; once the founder revokes the second administrator,
// their workstation can make no invite any more.
func TestSecondAdministratorIssuesTokens(t *testing.T) {
	ctx := context.Background()
	c := newRealClinic(t)
	second := c.joinAndApprove(t, c.admin, roles.Administrator, "Bea Second", "second")
	var tok error
	waitFor(t, "the second administrator issuing a token", 90*time.Second, func() bool {
		_, tok = second.IssueToken(ctx, roles.Receptionist, time.Hour)
		return tok == nil
	})
	reception := c.joinAndApprove(t, second, roles.Receptionist, "Rosa Reception", "reception")

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
	if _, err := netsync.AccountInvite(ctx, scfg, second.Profile().Device, spass); !errors.Is(err, xmpp.ErrNoInviteRight) {
		t.Errorf("the revoked administrator's workstation made an account invite: %v", err)
	}
}
