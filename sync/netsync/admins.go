package netsync

import (
	"context"
	"errors"
	"fmt"

	"mellium.im/xmpp/jid"

	"github.com/medihaven/medihaven/sync/xmpp"
)

// SetServerAdmins makes the clinic's XMPP server's administrator role (the
// right to create account invites) follow want, keyed by device id: the
// account DEVICE@DOMAIN of each device is given the role when want says
// true and loses it when false. It acts through this workstation's own
// account, which must have the role (else xmpp.ErrNotServerAdmin). A
// device without an account on the server is passed over: it has no role
// to lose, and gets one when asked again after it has made its account.
func SetServerAdmins(ctx context.Context, cfg Config, device, password string, want map[string]bool) error {
	return KeepServerAccounts(ctx, cfg, device, password, want, nil, nil)
}

// KeepServerAccounts does what SetServerAdmins does with want, then ends
// the accounts of the devices in ended (a revoked member's workstations):
// the server deletes each and closes its live sessions, so the device is
// out of the sync and chat rooms at once and can log in no more. An
// account already gone counts as ended. Both go through one session of
// this workstation's own account, which must have the server's
// administrator role (else xmpp.ErrNotServerAdmin), the role first, so
// that a revoked administrator's account, which the server refuses to end
// while it has the role (xmpp.ErrServerAdminAccount), has lost it before.
// A server whose module predates ending accounts gives
// xmpp.ErrNoServerCommand once the roles are set. Last, the server
// forgets the account invites in invites (preauth tokens of registration
// tokens revoked or expired), so that nobody makes an account with them.
func KeepServerAccounts(ctx context.Context, cfg Config, device, password string, want map[string]bool, ended, invites []string) error {
	tc, err := tlsConfig(cfg)
	if err != nil {
		return err
	}
	xs, err := xmpp.Dial(ctx, xmpp.Config{JID: device + "@" + cfg.Domain, Password: password, Addr: cfg.XMPPAddr, TLS: tc}, nil)
	if err != nil {
		return err
	}
	defer xs.Close()
	account := func(d string) (jid.JID, error) {
		a, err := jid.New(d, cfg.Domain, "")
		if err != nil {
			return a, fmt.Errorf("netsync: device %q: %w", d, err)
		}
		return a, nil
	}
	for d, admin := range want {
		a, err := account(d)
		if err != nil {
			return err
		}
		err = xs.SetServerAdmin(ctx, a, admin)
		if err != nil && !errors.Is(err, xmpp.ErrNoSuchAccount) {
			return err
		}
	}
	for _, d := range ended {
		a, err := account(d)
		if err != nil {
			return err
		}
		if err := xs.RemoveServerAccount(ctx, a); err != nil {
			return err
		}
	}
	for _, invite := range invites {
		if err := xs.CancelAccountInvite(ctx, invite); err != nil {
			return err
		}
	}
	return nil
}
