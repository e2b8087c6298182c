package replica

import (
	"context"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// chainsig.go: one signature check vouches for a run of its author's
// events (session 18, issue 17's apply rate).
//
// Every envelope is signed, and what its author signs includes its header,
// whose Prev is the SHA-256 of the device's previous envelope, signature
// included. An author who signs event n of a chain therefore signs, by
// hash, event n-1 too, and through it every earlier one. So an envelope is
// authentic when its own signature verifies, or when one of the next
// maxVouchDepth envelopes of its device's chain does, each of them by the
// same author and naming the one before's hash as Prev. The rule is the
// same everywhere (check at arrival, preverify before settling, try,
// Verify) and depends on the chain alone, not on the batches it came in;
// it accepts nothing but what a key's holder signed, and only one case
// more than checking each signature: an event its own author signed
// badly, then vouched for by signing one of the next. Honest software
// never writes one.
//
// A catch-up batch holds long runs of one author's events in one chain,
// so it checks one signature in maxVouchDepth of a run (its last event,
// the top, then every maxVouchDepth-th below) and only hashes the rest:
// the signature check was a third of a newcomer's CPU
// (docs/PERFORMANCE.md). An altered envelope hashes differently, so the
// next one does not link to it and its own signature is checked.

// vouching is what a batch's signatures vouch for: err[i] is nil when a
// signature that verifies vouches for envelope i, else why its own does
// not verify. Envelopes whose author's key is not given are not checked
// (err nil, checked false). top[i] is the newest envelope of i's linked
// run in the batch and above[i] how many envelopes of the run are above
// i: one whose err is not nil may still be vouched for by what is stored
// after the top, within maxVouchDepth of it (arrive).
type vouching struct {
	err     []error
	checked []bool
	top     []int
	above   []int
	hash    []string // each envelope's hash (Envelope.Hash), "" when not checked
}

// vouchBatch checks the signatures of a batch of envelopes (nil entries are
// skipped) with the authors' keys in keys, by runs of an author's events
// that link to each other by hash in one device's chain, the tops on
// every core. Going down a run, an envelope within maxVouchDepth below
// one whose signature verifies is vouched for; the one at that distance
// is checked itself, and when it does not verify the ones above it are,
// lowest first, until one does. So an honest run costs one check in
// maxVouchDepth, and the verdict on every envelope is the rule's: its
// own signature, or one of the next maxVouchDepth linked ones'.
func vouchBatch(envs []*crypto.Envelope, keys map[string]*crypto.PublicKey) vouching {
	n := len(envs)
	v := vouching{err: make([]error, n), checked: make([]bool, n), top: make([]int, n), above: make([]int, n)}
	hashes := make([]string, n)
	v.hash = hashes
	onEveryCore(n, 64, func(i int) {
		if envs[i] != nil && keys[envs[i].Header.Author] != nil {
			hashes[i] = envs[i].Hash()
		}
	})
	// Each chain place held by one envelope of the batch: two in one
	// place (a fork, a copy) link to nothing and are checked on their own.
	place := make(map[chainPlace]int, n)
	for i, e := range envs {
		if hashes[i] == "" {
			continue
		}
		p := chainPlace{e.Header.Device, e.Header.Seq}
		if _, twice := place[p]; twice {
			place[p] = -1
			continue
		}
		place[p] = i
	}
	below := make([]int, n) // the envelope the next one vouches for, or -1
	linked := make([]bool, n)
	for i := range below {
		below[i] = -1
	}
	for i, e := range envs {
		if hashes[i] == "" || place[chainPlace{e.Header.Device, e.Header.Seq}] != i {
			continue
		}
		j, ok := place[chainPlace{e.Header.Device, e.Header.Seq + 1}]
		if !ok || j < 0 {
			continue
		}
		if f := envs[j].Header; f.Author == e.Header.Author && f.Prev == hashes[i] {
			below[j], linked[i] = i, true
		}
	}
	var tops []int
	for i := range envs {
		if hashes[i] != "" && !linked[i] {
			tops = append(tops, i)
		}
	}
	verify := func(i int) error { return envs[i].Verify(keys[envs[i].Header.Author]) }
	onEveryCore(len(tops), 1, func(t int) { v.err[tops[t]] = verify(tops[t]) })
	for _, top := range tops {
		run := []int{top} // newest first
		for i := below[top]; i >= 0; i = below[i] {
			run = append(run, i)
		}
		good := -1 // the lowest in run known to verify
		if v.err[top] == nil {
			good = 0
		}
		for d, i := range run {
			v.checked[i], v.top[i], v.above[i] = true, top, d
			switch {
			case d == 0:
			case good >= 0 && d-good < maxVouchDepth:
			case good >= 0 && d-good == maxVouchDepth:
				// The last one good vouches for: check it, or find the
				// lowest above it that verifies, for the ones below.
				if v.err[i] = verify(i); v.err[i] == nil {
					good = d
					continue
				}
				v.err[i] = nil
				for u := d - 1; u > good; u-- {
					if verify(run[u]) == nil {
						good = u
						break
					}
				}
			default:
				if v.err[i] = verify(i); v.err[i] == nil {
					good = d
				}
			}
		}
	}
	return v
}

// maxVouchDepth is how far below an envelope whose signature verifies its
// author's linked events are vouched for by it: past it an envelope needs
// a signature of its own, or one nearer. A bound rather than the whole run
// so that whatever the batches, and whatever stored events a check may
// follow, a workstation checks at most this many signatures for one, and
// every workstation keeps the same events (session 18 review h-sec18c:
// with a bound on the stored ones only, a run longer than it was kept by
// a newcomer with one batch and by none that got it in packs).
const maxVouchDepth = 64

// vouchedByStored reports whether the events stored after env in its
// device's chain vouch for it (an envelope whose own signature does not
// verify, see above): one of the next maxVouchDepth-skip, each by env's
// author naming the one before's hash as Prev, has a signature that
// verifies. skip is how many linked events of env's batch above it were
// checked already (vouching.above); env is then the top of its run.
func (r *Replica) vouchedByStored(ctx context.Context, tx *store.Tx, env *crypto.Envelope, skip int) (bool, error) {
	h, hash := env.Header, env.Hash()
	r.state.RLock()
	pub := r.pubkeys[h.Author]
	r.state.RUnlock()
	if pub == nil {
		return false, nil
	}
	for range maxVouchDepth - skip {
		next, err := tx.EnvelopeAt(ctx, h.Device, h.Seq+1)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("replica: the event after %s in its chain: %w", short(h.ID), err)
		case next.Author != h.Author || next.Prev != hash:
			return false, nil
		}
		e, err := crypto.ParseEnvelope(next.Raw)
		if err != nil || e.Header.Author != h.Author || e.Hash() != next.Hash {
			return false, nil
		}
		if e.Verify(pub) == nil {
			return true, nil
		}
		h, hash = e.Header, next.Hash
	}
	return false, nil
}
