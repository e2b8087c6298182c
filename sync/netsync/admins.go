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
	tc, err := tlsConfig(cfg)
	if err != nil {
		return err
	}
	xs, err := xmpp.Dial(ctx, xmpp.Config{JID: device + "@" + cfg.Domain, Password: password, Addr: cfg.XMPPAddr, TLS: tc}, nil)
	if err != nil {
		return err
	}
	defer xs.Close()
	for d, admin := range want {
		account, err := jid.New(d, cfg.Domain, "")
		if err != nil {
			return fmt.Errorf("netsync: device %q: %w", d, err)
		}
		err = xs.SetServerAdmin(ctx, account, admin)
		if err != nil && !errors.Is(err, xmpp.ErrNoSuchAccount) {
			return err
		}
	}
	return nil
}
