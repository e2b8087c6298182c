package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/pinned"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/joindesk"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// Joining a clinic over its servers (issue 16): a token carries the
// addresses of the clinic's Kubo node and XMPP server, the Kubo API secret,
// the XMPP certificate's pin and an account invite. Join checks all of it
// against the servers before and while it makes the profile, so a bad
// token or an unreachable server leaves nothing behind.

// Errors of joining over the network, besides the ErrToken ones.
var (
	// ErrServersUnreachable means the clinic's servers named by a token
	// or a profile did not answer.
	ErrServersUnreachable = errors.New("app: cannot reach the clinic's servers")
	// ErrServersRefused means the clinic's servers refused this
	// workstation's credentials (API secret, account invite).
	ErrServersRefused = errors.New("app: the clinic's servers refused this workstation")
)

// joinTimeout bounds each network check of Join.
const joinTimeout = 20 * time.Second

// Join redeems a registration token on a new workstation, as Redeem does
// (the whole token, or its short code, which it resolves at the clinic's
// join desk), and when the token names the clinic's servers it checks them before it
// keeps anything: the Kubo node answers to the token's API secret, and the
// XMPP server (with the pinned certificate) makes this workstation's
// account with the token's one-time invite. The account's password is
// kept sealed in the new profile, so the sync logs in without registering.
// Any failure removes the profile again, and says what to do: a token
// mistyped, expired, used or revoked (ErrTokenMalformed, ErrTokenExpired,
// ErrTokenUsed), another clinic's servers (ErrTokenClinic), servers that
// do not answer (ErrServersUnreachable) or refuse (ErrServersRefused).
func Join(ctx context.Context, env Env, r Redemption) (*Session, error) {
	env = env.defaults()
	if _, err := checkName("name", r.Name); err != nil {
		return nil, err
	}
	if err := checkPassphrase(r.Passphrase); err != nil {
		return nil, err
	}
	t, err := joinToken(ctx, r.Token, env.Now)
	if err != nil {
		return nil, err
	}
	v := tokenServers(t)
	if _, online := v.config(); online {
		if err := checkIPFS(ctx, v); err != nil {
			return nil, err
		}
	}
	return redeem(ctx, env, r, t, func(s *Session) error {
		if _, online := v.config(); !online {
			return nil
		}
		return s.registerAccount(ctx, v, t.Invite)
	})
}

// joinToken reads a token as the newcomer gave it: a short code is
// resolved at the clinic's join desk, a whole token parsed; either is
// then checked for its role and expiry.
func joinToken(ctx context.Context, text string, now func() time.Time) (crypto.Token, error) {
	if !crypto.IsShortCode(text) {
		return ParseToken(text, now)
	}
	t, err := joindesk.Resolve(ctx, text)
	if err != nil {
		return crypto.Token{}, deskError(err)
	}
	return ParseToken(t.String(), now)
}

// config is the sync configuration of v, false when v names no servers.
func (v Servers) config() (netsync.Config, bool) {
	return Profile{Servers: v}.SyncConfig()
}

// checkIPFS asks the clinic's Kubo node whether it answers to v's secret.
func checkIPFS(ctx context.Context, v Servers) error {
	ctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	err := ipfs.New(v.IPFS, ipfs.WithBearer(v.IPFSSecret), ipfs.WithPin(v.XMPPCertPin)).Ping(ctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ipfs.ErrForbidden):
		return fmt.Errorf("%w: the clinic's file server (%s) did not accept the key this token carries: "+
			"ask your administrator for a new token: %w", ErrServersRefused, v.IPFS, err)
	case errors.Is(err, pinned.ErrNotPinned):
		return fmt.Errorf("%w: the clinic's file server at %s is not the one the token names (its certificate differs): "+
			"check the token, and tell your administrator: %w", ErrTokenClinic, v.IPFS, err)
	case errors.Is(err, ipfs.ErrPlain):
		return fmt.Errorf("%w: %w", ErrServersRefused, err)
	}
	return fmt.Errorf("%w: the clinic's file server at %s does not answer; check that this computer is on the clinic's "+
		"network and that the server is running, then try again: %w", ErrServersUnreachable, v.IPFS, err)
}

// registerAccount makes this workstation's XMPP account, DEVICE@DOMAIN,
// with a fresh password (with the one-time invite, or in-band on an open
// demo server), and keeps the password sealed for the sync.
func (s *Session) registerAccount(ctx context.Context, v Servers, invite string) error {
	cfg, _ := v.config()
	pass := newID(24)
	ctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	if err := netsync.Register(ctx, cfg, s.prof.Device, pass, invite); err != nil {
		return accountError(v, err)
	}
	return s.keepXMPPPassword(ctx, pass)
}

// accountError says in plain words why the XMPP server made no account.
func accountError(v Servers, err error) error {
	switch {
	case errors.Is(err, netsync.ErrInvalidConfig):
		return fmt.Errorf("%w: %w", ErrTokenMalformed, err)
	case errors.Is(err, xmpp.ErrInvite):
		return fmt.Errorf("%w: the clinic's chat server did not accept this token's invite: the token was used already, "+
			"was revoked, or has expired; ask your administrator for a new one: %w", ErrTokenUsed, err)
	case errors.Is(err, xmpp.ErrTLS):
		return fmt.Errorf("%w: the chat server at %s is not the one the token names (its certificate differs): "+
			"check the token, and tell your administrator: %w", ErrTokenClinic, v.XMPP, err)
	case errors.Is(err, xmpp.ErrUnavailable):
		return fmt.Errorf("%w: the clinic's chat server at %s does not answer; check that this computer is on the "+
			"clinic's network and that the server is running, then try again: %w", ErrServersUnreachable, v.XMPP, err)
	}
	return fmt.Errorf("%w: the clinic's chat server at %s made no account for this workstation: %w", ErrServersRefused, v.XMPP, err)
}

// keepXMPPPassword stores the workstation's XMPP password sealed with the
// device key, where the sync finds it (workstation.XMPPPassword).
func (s *Session) keepXMPPPassword(ctx context.Context, pass string) error {
	return s.keepSealed(ctx, secretXMPP, []byte(pass))
}

// accountInvite asks the clinic's XMPP server, through this workstation's
// own account, for a one-time account invite for a newcomer's token; ""
// when the profile names no servers or an open demo server.
func (s *Session) accountInvite(ctx context.Context) (string, error) {
	v := s.prof.Servers
	cfg, online := v.config()
	if !online || !v.InviteOnly {
		return "", nil
	}
	pass, err := workstation{s}.XMPPPassword(ctx)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	g, err := netsync.TokenGrants(ctx, cfg, s.prof.Device, pass)
	switch {
	case err == nil:
		if g.KuboSecret != "" {
			// The server's secret now: a new one since a revocation
			// this workstation has not needed yet.
			if err := s.useIPFSSecret(ctx, g.KuboSecret); err != nil {
				return "", err
			}
		}
		return g.Invite, nil
	case errors.Is(err, xmpp.ErrUnavailable):
		return "", fmt.Errorf("%w: a token needs an account invite from the clinic's chat server at %s, which does not "+
			"answer; try again when it runs: %w", ErrServersUnreachable, v.XMPP, err)
	}
	return "", fmt.Errorf("%w: the clinic's chat server at %s made no account invite for the token: %w", ErrServersRefused, v.XMPP, err)
}
