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
// authentic when its own signature verifies, or when the next envelope of
// its device's chain has the same author, names its hash as Prev and is
// authentic itself. The rule is the same everywhere (check at arrival,
// preverify before settling, try, Verify); it accepts nothing but what a
// key's holder signed, and only one case more than checking each
// signature: an event its own author signed badly, then vouched for by
// signing the next one. Honest software never writes one.
//
// A catch-up batch holds long runs of one author's events in one chain,
// so it checks one signature per run (the run's last event, its top) and
// only hashes the rest: the signature check was a third of a newcomer's
// CPU (docs/PERFORMANCE.md). An altered envelope hashes differently, so
// the next one does not link to it and its own signature is checked.

// vouching is what a batch's signatures vouch for: err[i] is nil when a
// signature that verifies vouches for envelope i, else why its own does
// not verify. Envelopes whose author's key is not given are not checked
// (err nil, checked false).
type vouching struct {
	err     []error
	checked []bool
}

// vouchBatch checks the signatures of a batch of envelopes (nil entries are
// skipped) with the authors' keys in keys, one per run of an author's
// events that link to each other by hash in one device's chain, the tops
// on every core. A run whose top does not verify is checked downwards one
// by one until a signature verifies; everything below that is vouched for.
func vouchBatch(envs []*crypto.Envelope, keys map[string]*crypto.PublicKey) vouching {
	n := len(envs)
	v := vouching{err: make([]error, n), checked: make([]bool, n)}
	hashes := make([]string, n)
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
			v.checked[i] = true
		}
	}
	verify := func(i int) error { return envs[i].Verify(keys[envs[i].Header.Author]) }
	onEveryCore(len(tops), 1, func(t int) { v.err[tops[t]] = verify(tops[t]) })
	for _, top := range tops {
		good := v.err[top] == nil
		for i := below[top]; i >= 0; i = below[i] {
			v.checked[i] = true
			if !good {
				v.err[i] = verify(i)
				good = v.err[i] == nil
			}
		}
	}
	return v
}

// maxVouchDepth bounds how far vouchedByStored follows stored pending
// events that did not verify themselves: only an author who signs his
// own events badly makes such runs, and past it his event waits.
const maxVouchDepth = 64

// vouchedByStored reports whether the events stored after env in its
// device's chain vouch for it (an envelope whose own signature does not
// verify, see above): the next one has the same author, names env's hash
// as Prev, and is authentic: judged already (applied, sealed, or refused
// by a rule of policy, all of which verified it first), or pending with a
// signature that verifies, or vouched for in turn.
func (r *Replica) vouchedByStored(ctx context.Context, tx *store.Tx, env *crypto.Envelope) (bool, error) {
	h, hash := env.Header, env.Hash()
	r.state.RLock()
	pub := r.pubkeys[h.Author]
	r.state.RUnlock()
	for range maxVouchDepth {
		next, err := tx.EnvelopeAt(ctx, h.Device, h.Seq+1)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("replica: the event after %s in its chain: %w", short(h.ID), err)
		case next.Author != h.Author || next.Prev != hash:
			return false, nil
		case next.State == store.Applied || next.State == store.Sealed || (next.State == store.Rejected && next.Rule != ""):
			return true, nil
		case next.State != store.Pending || pub == nil:
			return false, nil
		}
		if _, ok := r.verified[next.Hash]; ok {
			return true, nil
		}
		e, err := crypto.ParseEnvelope(next.Raw)
		if err != nil || e.Header.Author != h.Author {
			return false, nil
		}
		if e.Verify(pub) == nil {
			return true, nil
		}
		h, hash = e.Header, next.Hash
	}
	return false, nil
}
