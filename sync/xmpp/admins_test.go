package xmpp_test

import (
	"errors"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestAdminCommandsOnAnOlderServer: a server without the clinic's module
// (here synctest's Prosody, which loads no mod_medihaven_admins) is said
// to lack the command, so that an administrator's workstation says once
// that the server needs updating instead of taking it for a refusal or
// an account missing.
func TestAdminCommandsOnAnOlderServer(t *testing.T) {
	p := synctest.StartProsody(t)
	s := connect(t, p, "admin", nil)
	other := jid.MustParse(p.Register(t, "revoked", "revoked-password")).Bare()
	ctx := testContext(t)
	if err := s.RemoveServerAccount(ctx, other); !errors.Is(err, xmpp.ErrNoServerCommand) {
		t.Errorf("RemoveServerAccount: %v, want ErrNoServerCommand", err)
	}
	if err := s.SetServerAdmin(ctx, other, true); !errors.Is(err, xmpp.ErrNoServerCommand) {
		t.Errorf("SetServerAdmin: %v, want ErrNoServerCommand", err)
	}
}
