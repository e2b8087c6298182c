package app

import (
	"context"

	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
)

// A workstation restored from a backup (app/backup, issue 16) is the same
// device as the old computer, which may have written after the backup.
// While it syncs with the clinic's servers, it writes nothing until its
// first catch-up is done (netsync.Status.CaughtUp): it learns the old
// computer's last events first, so its own next event follows them
// instead of taking their place in the chain (a fork).

// ErrRestoredFetching refuses a write of a restored workstation that is
// still fetching what the old computer wrote after the backup.
var ErrRestoredFetching = replica.ErrRestoredFetching

// MarkRestored marks this workstation as restored from a backup
// (backup.Restore does, before anyone uses it): what the old computer wrote
// after the backup is taken as the rest of its chain until it writes, and
// while it syncs with the clinic's servers its writes wait for its first
// catch-up.
func (s *Session) MarkRestored(ctx context.Context) error {
	rep, err := s.live()
	if err != nil {
		return err
	}
	if err := rep.MarkRestored(ctx); err != nil {
		return err
	}
	// It moves at once onto a new chain of its own (move.go); its writes
	// wait for its first catch-up either way.
	s.mu.Lock()
	err = s.moveIfDue(ctx, true)
	rep = s.rep
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.holdRestored(rep, false)
	return nil
}

// holdRestored holds the writes of a restored workstation that has not
// caught up yet in this session, when it syncs: its profile names the
// clinic's servers, or a sync starts (syncing).
func (s *Session) holdRestored(rep *replica.Replica, syncing bool) {
	if _, restored := rep.Restored(); !restored || s.caughtUp.Load() {
		return
	}
	// A starting sync needs no look at the profile (SetServers may be
	// writing it meanwhile).
	if !syncing {
		if _, servers := s.prof.SyncConfig(); !servers {
			return
		}
	}
	rep.HoldWrites(ErrRestoredFetching)
}

// syncRestored holds a restored workstation's writes until y's first
// catch-up is done (StartSync).
func (s *Session) syncRestored(y *netsync.Syncer) {
	if rep, err := s.live(); err == nil {
		s.holdRestored(rep, true)
	}
	y.OnStatus(func(st netsync.Status) {
		if !st.CaughtUp || s.caughtUp.Swap(true) {
			return
		}
		if rep, err := s.live(); err == nil {
			rep.HoldWrites(nil)
		}
	})
}
