package app

import (
	"context"
	"errors"
	"log"

	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// The network sync (sync/netsync) runs for a logged-in session: the
// session starts it, and it stops with Stop. It gets what it needs of the
// workstation through workstation below, and carries the staff chat
// (app/chat) through the hooks the caller passes.

// secretXMPP names the workstation's XMPP password among its sealed
// secrets.
const secretXMPP = "sync/xmpp-password"

// StartSync connects the session to the clinic's Kubo and Prosody and keeps
// it in sync until Stop; the staff chat rides on it through chat (the
// session's chat.New(s.Core()).SyncHooks(); nil: no chat). It returns at
// once; connection trouble shows in Status and is retried. Incomplete or
// wrong settings give an error wrapping netsync.ErrInvalidConfig.
func (s *Session) StartSync(ctx context.Context, cfg netsync.Config, chat netsync.Chat) (*netsync.Syncer, error) {
	// Before the sync's first upkeep: no first key until its first
	// catch-up (firstkey.go).
	s.syncing.Store(true)
	cfg.OnIPFSSecret = func(secret string) {
		if err := s.useIPFSSecret(ctx, secret); err != nil {
			log.Printf("medihaven: the clinic's new storage secret is used but could not be kept for the next start: %v", err)
		}
	}
	y, err := netsync.Start(ctx, cfg, workstation{s}, chat)
	if err != nil {
		s.syncing.Store(false)
		return nil, err
	}
	s.onAppend(y.Kick)
	s.syncRestored(y) // restored.go
	return y, nil
}

// workstation is the session as the network sync uses it
// (netsync.Workstation).
type workstation struct{ s *Session }

// Replica returns the session's replica, or ErrLocked.
func (w workstation) Replica() (*replica.Replica, error) { return w.s.live() }

// Upkeep runs Maintain, and on an administrator's workstation gives the
// clinic's administrators the chat server's right to invite
// (serveradmins.go); a locked session has none to run.
func (w workstation) Upkeep(ctx context.Context) error {
	if _, err := w.s.Maintain(ctx); err != nil && !errors.Is(err, ErrLocked) {
		return err
	}
	w.s.logServerAdmins(ctx)
	return nil
}

// XMPPPassword returns this workstation's XMPP account password, made on
// first use and kept sealed with the device key.
func (w workstation) XMPPPassword(ctx context.Context) (string, error) {
	r, err := w.s.live()
	if err != nil {
		return "", err
	}
	dk := w.s.deviceKey()
	var pass string
	err = r.DB().Update(ctx, func(tx *store.Tx) error {
		sealed, err := tx.Secret(ctx, secretXMPP)
		if errors.Is(err, store.ErrNotFound) {
			pass = newID(24)
			sealed, err := dk.Seal([]byte(pass), []byte(secretXMPP))
			if err != nil {
				return err
			}
			return tx.PutSecret(ctx, secretXMPP, sealed)
		}
		if err != nil {
			return err
		}
		plain, err := dk.Open(sealed, []byte(secretXMPP))
		pass = string(plain)
		return err
	})
	return pass, err
}
