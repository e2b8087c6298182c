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
// (replica.OwnChain), so a backup carries it and nothing in
// profile.json can point it elsewhere.
//
// A workstation restored from a backup moves too, at once, from the chain
// it wrote in (its device id, bound or random, or the one it had moved
// onto) onto a new id bound to its member's key (session 22, F3): the old
// computer may have written past the backup, and what it wrote that any
// colleague holds stays its chain's; the restored one writes after none of
// it, so it cannot fork that chain whatever it has fetched (waiting for a
// catch-up did not help when nobody announced the old computer's last
// events). What the old computer wrote that no colleague received is
// lost: it existed only on the dead computer. The old chain ends for
// honest software: a copy of the profile left on it (the old disk)
// refuses to write once it hears of the move (replica.ErrMovedAway) and
// moves nowhere itself. A restore works offline alike: the move needs no
// sync. Only a restored workstation whose member is not an active member
// here (a backup from before her admission was applied) keeps the old
// rule (replica restored.go: its writes wait for the first catch-up).
// Since session 23 a store the seal finds put back or altered at its
// opening, its chain's tip not vouched for (replica.ChainSuspect: an older
// copy, its seal deleted or not matching, its own events deleted), moves
// the same way at that login (session.go open), before the checks after
// login, which run on the moved replica (replica.CarryAltered).

// newDeviceID makes a new workstation's device id (a variable: tests make
// workstations of before session 17, on random ids).
var newDeviceID = crypto.NewDeviceID

// moveIfDue moves this workstation's chain onto a new bound id when it is
// due: restored from a backup and not written since (from whatever chain
// it writes in), or its device id is random and it did not move yet, no
// other copy of the profile moved it (ErrMovedAway), its member's entry
// names that device (or names none) and every event of the old chain was
// sent; either way its member is active here. It reports why a move it
// tried failed; one not due yet waits for a later login. A restored
// workstation moves only when restore is set: at the restore
// (MarkRestored), or at the login that found its store put back or
// altered (open, replica.ChainSuspect), before the checks after login
// start (they run on the replica the session keeps); never at a later
// login. Callers hold s.mu or own s alone (open).
func (s *Session) moveIfDue(ctx context.Context, restore bool) error {
	rep := s.rep
	if rep == nil {
		return nil
	}
	from := rep.Device()
	_, restored := rep.Restored()
	if restored && (rep.RestoredMoved() || !restore) {
		return nil // moved for this restore already, or not at a restore
	}
	if !restored && (crypto.IsBoundDeviceID(from) || from != s.prof.Device || rep.MovedAway()) {
		return nil
	}
	m, ok := rep.Member(rep.Fingerprint())
	if !ok || !m.Active() {
		return nil
	}
	if !restored && len(m.Devices) > 0 && !containsDevice(m.Devices, from) {
		return nil
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		// A restored workstation moves at once: the old chain's events
		// it holds unsent are the old computer's, which sent them after
		// the backup or is gone.
		unsent, err := netsync.Unsent(ctx, tx, from)
		if err != nil || unsent > 0 && !restored {
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
	from = rep.Device()
	moved, err := replica.Open(ctx, s.replicaParams(s.db, crypto.NewDeviceID(rep.Fingerprint()), rep.Identity(), s.deviceKey()))
	if err != nil {
		return wrapMove(err)
	}
	if _, err := moved.MoveFrom(ctx, from); err != nil {
		return wrapMove(err)
	}
	if restored {
		// Its writes still wait for its first catch-up (restored.go).
		if err := moved.KeepRestored(ctx); err != nil {
			return wrapMove(err)
		}
	}
	s.rep = moved // the old replica shares the keys: dropped, not wiped
	s.holdRestored(moved, false)
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
