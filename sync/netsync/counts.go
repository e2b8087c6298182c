package netsync

import (
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Counts is what the sync's catch-up did so far: the measure of issue 17's
// join (a walk must never hand the replica an envelope it already stores,
// nor fetch a pack again for every older head the sync room replays).
type Counts struct {
	Fetches int64 // packs read from IPFS
	Handed  int64 // envelopes handed to the replica's Apply
	New     int64 // of those, not stored before
	Skipped int64 // envelopes of fetched packs already stored: not handed again
	Stale   int64 // heads that named nothing this workstation does not store
	Heard   int64 // heads heard in the sync room (believed or not)
	// Applies counts the replica's Apply calls: heads heard while busy
	// are applied together, several in one (together.go).
	Applies int64
}

// Counts returns what the catch-up did so far.
func (y *Syncer) Counts() Counts {
	return Counts{Fetches: y.fetches.Load(), Handed: y.handed.Load(), New: y.fresh.Load(),
		Skipped: y.skipped.Load(), Stale: y.stale.Load(), Heard: y.heardN.Load(), Applies: y.applies.Load()}
}

// notStored returns the envelopes of own (of step s of device's chain)
// that this workstation does not store yet: a pack that overlaps what a
// walk reached (a pack sent again, a catch-up cut short) is not applied
// twice.
func (y *Syncer) notStored(r *replica.Replica, device string, s *walkStep, own [][]byte) ([][]byte, error) {
	var have map[uint64]string
	err := r.DB().View(y.ctx, func(tx *store.Tx) error {
		var err error
		have, err = tx.StoredHashes(y.ctx, device, s.from, s.to)
		return err
	})
	if err != nil {
		return nil, err
	}
	return y.freshOf(own, have), nil
}

// freshOf returns the envelopes of own whose seq and hash are not among
// have (what this workstation stores of their device's chain there).
func (y *Syncer) freshOf(own [][]byte, have map[uint64]string) [][]byte {
	if len(have) == 0 {
		return own
	}
	fresh := own[:0:0]
	for _, raw := range own {
		e, err := crypto.ParseEnvelope(raw)
		if err == nil && have[e.Header.Seq] == e.Hash() {
			continue
		}
		fresh = append(fresh, raw)
	}
	y.skipped.Add(int64(len(own) - len(fresh)))
	return fresh
}
