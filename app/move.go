package app

import (
	"context"
	"fmt"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// A workstation made before session 17 has a random device id, whose
// chain the directory-and-arrival rules of ownership decide (an active
// hostile administrator can still play them: ARCHITECTURE.md Known
// limits). At a login once its member's directory entry is applied here,
// it moves onto an id bound to her key (sync/replica move.go): it writes
// the move as the first event of the new chain and writes there from then
// on. What is named by the device id stays under the old one, which the
// profile keeps (Profile.Device): the device key's wrapping, the keyring
// entries, and the XMPP account (replica.Account: the clinic's server
// knows no other, and a workstation that is no administrator cannot make
// one). The store says which chain the workstation writes in
// (replica.MovedChain), so a backup carries it and nothing in
// profile.json can point it elsewhere.

// newDeviceID makes a new workstation's device id (a variable: tests make
// workstations of before session 17, on random ids).
var newDeviceID = crypto.NewDeviceID

// moveIfDue moves this workstation's chain onto a bound id when it is
// due: its device id is random, it did not move yet, its member's entry
// is applied here and names that device (or names none), every event of
// the old chain was sent, and a restored workstation has caught up. It
// reports why a move it tried failed; one not due yet waits for a later
// login. Callers hold s.mu or own s alone (open).
func (s *Session) moveIfDue(ctx context.Context) error {
	rep, from := s.rep, s.prof.Device
	if rep == nil || crypto.IsBoundDeviceID(from) || rep.Device() != from {
		return nil
	}
	m, ok := rep.Member(rep.Fingerprint())
	if !ok || !m.Active() {
		return nil
	}
	if len(m.Devices) > 0 && !containsDevice(m.Devices, from) {
		return nil
	}
	if _, restored := rep.Restored(); restored {
		return nil // what the old computer wrote after the backup first
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		unsent, err := netsync.Unsent(ctx, tx, from)
		if err != nil || unsent > 0 {
			return err
		}
		// The packs sent so far are the old chain's: the new one's
		// start from nothing (netsync push).
		if err := netsync.MoveChain(ctx, tx); err != nil {
			return err
		}
		from = ""
		return nil
	})
	if err != nil || from != "" {
		return wrapMove(err)
	}
	from = s.prof.Device
	moved, err := replica.Open(ctx, s.replicaParams(s.db, crypto.NewDeviceID(rep.Fingerprint()), rep.Identity(), s.deviceKey()))
	if err != nil {
		return wrapMove(err)
	}
	if _, err := moved.MoveFrom(ctx, from); err != nil {
		return wrapMove(err)
	}
	s.rep = moved // the old replica shares the keys: dropped, not wiped
	return nil
}

func wrapMove(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("app: this workstation stays on its old device id until a later login (moving it onto an id bound to your key failed): %w", err)
}

func containsDevice(devices []string, d string) bool {
	for _, x := range devices {
		if x == d {
			return true
		}
	}
	return false
}
