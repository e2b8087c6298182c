package replica

// chainclock.go: a chain's clocks never go down (session 28, h-secb28).
//
// Every workstation refuses an event whose Lamport clock is below that of
// the event before it in its device's chain, whatever that event's fate
// (checkClock, rule "clock"; the chain stays whole, so the events after
// it are judged on their own). Honest software writes each event one
// above the highest clock it applied, and at or above its own chain's
// last event (clockPastTip): across a move (the bound chain begins anew,
// at the clinic's clock), a restore (it follows the events the old
// computer wrote since, then writes above them), a store rebuilt from its
// log (read again, then the same), a fork (each branch is judged against
// its own predecessor by hash) and an import (written as any change, at
// the next clock). Judged from the header, so on apply and before a
// sealed event is kept: it never waits for a key.
//
// What it closes: "the event that made a record" is its earliest claim by
// clock, and a value kept as first written (roles.Kind.Once: an older
// patient's MRN, an older appointment's patient, who booked it) is that
// of the earliest event by clock, which a member chose by clocking her
// event below the record's making. She is now bounded by her own chain:
// from a workstation whose chain passed the record's making she can write
// nothing before it. Still open: a chain whose last event came before the
// making (a workstation she kept quiet since, a new one her entry names;
// a new device's first event has no predecessor and takes any clock).
//
// Workstations of an older version applied such events: mendChainClocks
// looks for one once per store, and if it finds one judges every event
// again (rebuildRows, as after a store altered), since a refused event
// may have been any kind's (a directory entry, a key grant) and no cheaper
// mend reaches all of them. Honest workstations of those versions went
// down only when the last events of their chain had been refused after
// they were written and the workstation was opened again before another
// event passed them (TestChainClockPastARefusedTip); those events are
// refused now too.

import (
	"context"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/sync/store"
)

// metaChainClock marks a store whose events were judged by the chain
// rule (mendChainClocks).
const metaChainClock = "replica/chain-clock"

// mendChainClocks judges every event again when the store holds an event
// applied or sealed whose clock is below its predecessor's in its chain
// (an older version's verdict), once per store.
func (r *Replica) mendChainClocks(ctx context.Context) error {
	low, done := false, false
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		switch _, err := tx.Meta(ctx, metaChainClock); {
		case err == nil:
			done = true
			return nil
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		var device string
		var seq, lamport uint64
		errFound := errors.New("found")
		err := tx.EachEnvelope(ctx, func(e store.Envelope) error {
			if e.Device == device && e.Seq == seq+1 && e.Lamport < lamport && (e.State == store.Applied || e.State == store.Sealed) {
				low = true
				return errFound
			}
			device, seq, lamport = e.Device, e.Seq, e.Lamport
			return nil
		})
		if errors.Is(err, errFound) {
			return nil
		}
		return err
	})
	if err != nil {
		err = fmt.Errorf("replica: chain clocks: %w", err)
	}
	if err != nil || done {
		return err
	}
	if low {
		if err := r.rebuildRows(ctx); err != nil {
			return fmt.Errorf("replica: chain clocks: %w", err)
		}
	}
	return r.p.DB.Update(ctx, func(tx *store.Tx) error { return tx.SetMeta(ctx, metaChainClock, []byte("1")) })
}
