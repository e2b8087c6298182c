package replica

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// A device that signs two different events for one place of its chain (or
// two events with one id) forks it: modified software can hand one branch
// to some workstations and the other to the rest. Each workstation would
// keep the branch it got first, and the clinic would differ for good
// (session 15 review, H1). Once both signed events are seen, the device's
// chain is refused from the first place they clash, on every workstation
// that sees them, whichever came first: the verdict depends on the set of
// envelopes, not their order. Each branch is announced in the sync room,
// so every workstation comes to see both. The device's member stays
// whatever she was; an administrator revokes her and issues a new token.

// forkedMeta is the store meta key of the forked devices: a JSON object of
// device id to the first place of its chain that was signed twice.
const forkedMeta = "forked-devices"

// forkReason is what a refused event of a forked chain says.
const forkReason = "its device signed two different events for one place of its chain (seq %d): everything it wrote from there is refused on every workstation; an administrator revokes the member and issues a new token"

// loadForks reads the forked devices.
func (r *Replica) loadForks(ctx context.Context, tx *store.Tx) error {
	r.forks = map[string]uint64{}
	v, err := tx.Meta(ctx, forkedMeta)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err == nil {
		err = json.Unmarshal(v, &r.forks)
	}
	if err != nil {
		return fmt.Errorf("replica: forked devices: %w", err)
	}
	return nil
}

// forkedAt returns where device's chain was signed twice, if it was.
func (r *Replica) forkedAt(device string) (uint64, bool) {
	r.state.RLock()
	defer r.state.RUnlock()
	seq, ok := r.forks[device]
	return seq, ok
}

// signedTwice reports whether old, stored at env's place in its chain or
// under its id, is another event env's author signed: a fork, not altered
// bytes or a forgery, which give way to env (replaceUnverified).
func (r *Replica) signedTwice(old store.Envelope, env *crypto.Envelope) bool {
	if old.Hash == env.Hash() || old.Author != env.Header.Author {
		return false
	}
	r.state.RLock()
	pub := r.pubkeys[env.Header.Author]
	r.state.RUnlock()
	prior, err := crypto.ParseEnvelope(old.Raw)
	return pub != nil && err == nil && prior.Header.Author == env.Header.Author && prior.Verify(pub) == nil
}

// markFork records that device's chain was signed twice at seq, and
// refuses what this workstation applied or sealed of it from there on
// (what is pending is refused when it is judged: try).
func (r *Replica) markFork(ctx context.Context, tx *store.Tx, author, device string, seq uint64) error {
	if was, ok := r.forkedAt(device); ok && was <= seq {
		return nil
	}
	r.state.Lock()
	r.forks[device] = seq
	v, err := json.Marshal(r.forks)
	r.state.Unlock()
	if err != nil {
		return err
	}
	if err := tx.SetMeta(ctx, forkedMeta, v); err != nil {
		return fmt.Errorf("replica: record a forked chain: %w", err)
	}
	touched := map[string]bool{}
	if _, err := r.refuseAfter(ctx, tx, author, device, seq-1, refused(ruleForked, forkReason, seq), touched); err != nil {
		return err
	}
	return r.rebindAll(ctx, tx, touched)
}
