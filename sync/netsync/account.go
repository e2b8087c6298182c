package netsync

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/sync/xmpp"
)

// A workstation's own account on the clinic's XMPP server, outside a
// running sync: made when the workstation joins or founds the clinic, and
// used by an administrator's workstation to ask for a newcomer's account
// invite (app's Join, CreateClinic and IssueToken).

// Register makes the account DEVICE@DOMAIN on cfg's XMPP server with
// password: with the one-time account invite, or in-band when
// cfg.Register (an open demo server). A cfg whose certificate pin cannot
// be read is an ErrInvalidConfig, a server whose certificate is not the
// pinned one an xmpp.ErrTLS; the server's refusals are xmpp's errors
// (ErrInvite, ErrUnavailable...).
func Register(ctx context.Context, cfg Config, device, password, invite string) error {
	tc, err := tlsConfig(cfg)
	if err != nil {
		return err
	}
	if verify := tc.VerifyPeerCertificate; verify != nil {
		// Tell a certificate that is not the pinned one from other failures.
		tc.VerifyPeerCertificate = func(raw [][]byte, chains [][]*x509.Certificate) error {
			if err := verify(raw, chains); err != nil {
				return fmt.Errorf("%w: %w", xmpp.ErrTLS, err)
			}
			return nil
		}
	}
	xs, err := xmpp.Dial(ctx, xmpp.Config{JID: device + "@" + cfg.Domain, Password: password, Addr: cfg.XMPPAddr, TLS: tc,
		Register: cfg.Register, Invite: invite}, nil)
	if err != nil {
		return err
	}
	xs.Close()
	return nil
}

// AccountInvite asks cfg's XMPP server, through the account DEVICE@DOMAIN,
// for a one-time account invite for a newcomer; only an account the
// server made with its administrator invite may (else
// xmpp.ErrNoInviteRight).
func AccountInvite(ctx context.Context, cfg Config, device, password string) (string, error) {
	g, err := TokenGrants(ctx, cfg, device, password)
	return g.Invite, err
}

// Grants is what a registration token needs from the clinic's server.
type Grants struct {
	Invite string // a one-time account invite
	// KuboSecret is the workstations' current Kubo API secret (the server
	// makes a new one when a revoked member's account is ended); "" when
	// the server is older and does not say.
	KuboSecret string
}

// TokenGrants asks cfg's XMPP server, through the account DEVICE@DOMAIN,
// for what a newcomer's token carries from it: a one-time account invite
// (only an account the server made with its administrator invite may ask:
// else xmpp.ErrNoInviteRight) and the workstations' current Kubo API
// secret, so that a token issued after a revocation carries the new one.
func TokenGrants(ctx context.Context, cfg Config, device, password string) (Grants, error) {
	tc, err := tlsConfig(cfg)
	if err != nil {
		return Grants{}, err
	}
	xs, err := xmpp.Dial(ctx, xmpp.Config{JID: device + "@" + cfg.Domain, Password: password, Addr: cfg.XMPPAddr, TLS: tc}, nil)
	if err != nil {
		return Grants{}, err
	}
	defer xs.Close()
	inv, err := xs.CreateAccountInvite(ctx)
	if err != nil {
		return Grants{}, err
	}
	g := Grants{Invite: inv.Token}
	if g.KuboSecret, err = xs.KuboSecret(ctx); errors.Is(err, xmpp.ErrNoServerCommand) {
		return g, nil // an older server: the secret never changes there
	} else if err != nil {
		return Grants{}, err
	}
	return g, nil
}
