package replica

import (
	"context"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// rebind settles the kind and scope of a record after the events that
// claim it changed: winner is the claim that now wins, or nil to find it
// among the record's verified events. Events of the winning kind refused
// only for the binding are judged again; applied or sealed events of any
// other kind or scope are refused; then the record is rebuilt from the
// events that remain applied.
func (r *Replica) rebind(ctx context.Context, tx *store.Tx, entity string, winner *claim) error {
	rows, err := tx.EnvelopesForEntity(ctx, entity)
	if err != nil {
		return fmt.Errorf("replica: events of %s: %w", entity, err)
	}
	if winner == nil {
		// The best claim whose author may create its kind; failing that
		// (the directory changed since), the best of the rest.
		var best, fallback *claim
		for _, row := range rows {
			if !isRecordKind(row.Kind) || !isClaim(row) {
				continue
			}
			c := claim{Entity: entity, Kind: row.Kind, Scope: row.Scope, Lamport: row.Lamport, Device: row.Device, Seq: row.Seq}
			pick := &fallback
			if r.mayCreate(row) {
				pick = &best
			}
			if *pick == nil || beats(c, **pick) {
				*pick = &c
			}
		}
		winner = best
		if winner == nil {
			winner = fallback
		}
	}
	if winner == nil {
		err = tx.DeleteBinding(ctx, entity)
	} else {
		err = tx.PutBinding(ctx, *winner)
	}
	if err != nil {
		return fmt.Errorf("replica: binding of %s: %w", entity, err)
	}
	for _, row := range rows {
		if !isRecordKind(row.Kind) {
			continue
		}
		wins := winner != nil && row.Kind == winner.Kind && row.Scope == winner.Scope
		switch {
		case row.State == store.Rejected && row.Rule == ruleBinding && (wins || winner == nil):
			if err := r.setState(ctx, tx, row, verdict{state: store.Pending, reason: "the record's kind was settled again: judged again"}); err != nil {
				return err
			}
		case (row.State == store.Applied || row.State == store.Sealed) && winner != nil && !wins:
			v := refused(ruleBinding, "record %s is a %s record in the %s scope: a %s event in the %s scope may not change it",
				short(entity), winner.Kind, winner.Scope, row.Kind, row.Scope)
			if err := r.setState(ctx, tx, row, v); err != nil {
				return err
			}
		}
	}
	return r.rebuildEntity(ctx, tx, entity)
}

// isClaim reports whether a stored event counts as a claim on its record:
// verified and authorised (applied, sealed, or refused only for the
// binding or for a payload that does not open, which a workstation
// without the key cannot see).
func isClaim(row store.Envelope) bool {
	switch row.State {
	case store.Applied, store.Sealed:
		return true
	case store.Rejected:
		return row.Rule == ruleBinding || row.Rule == ruleContent
	}
	return false
}

// mayCreate reports whether the author of a stored event may create its
// kind, by the directory as this workstation knows it now.
func (r *Replica) mayCreate(row store.Envelope) bool {
	k, ok := roles.KindOf(row.Kind)
	if !ok {
		return false
	}
	r.state.RLock()
	m, isMember := r.members[row.Author]
	r.state.RUnlock()
	// With its scope, as apply judged it (judgeRole reads the scope:
	// session 14 review, E2).
	role, _, _, ok := r.authorize(headerOf(row), m, isMember)
	return ok && k.MayCreate(role)
}

// rebuildEntity rebuilds a record's state from its applied events (merge
// is order-free, so their order does not matter), after some of its events
// were refused. A record with no applied event left is removed.
func (r *Replica) rebuildEntity(ctx context.Context, tx *store.Tx, id string) error {
	if err := r.flushFolds(ctx, tx); err != nil {
		return err
	}
	rows, err := tx.EnvelopesForEntity(ctx, id)
	if err != nil {
		return fmt.Errorf("replica: events of %s: %w", id, err)
	}
	old, err := tx.Entity(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("replica: entity %s: %w", id, err)
	}
	if err := tx.DeleteEntity(ctx, id); err != nil {
		return fmt.Errorf("replica: rebuild %s: %w", id, err)
	}
	if r.reindex != nil {
		delete(r.reindex, id)
	}
	r.state.Lock()
	if old.Kind != "" {
		r.onChange = append(r.onChange, Changed{ID: id, Kind: old.Kind, Scope: old.Scope})
	}
	before := r.members[id]
	if old.Kind == KindMember {
		delete(r.members, id)
		r.dirty[id] = true
	}
	if old.Kind == KindKeyHeld {
		delete(r.held, id[len(heldEntityPrefix):])
	}
	if old.Kind == KindConfirms {
		delete(r.confirms, id[len(confirmsEntityPrefix):])
	}
	r.state.Unlock()
	for _, row := range rows {
		if row.State != store.Applied || !isRecordKind(row.Kind) {
			continue
		}
		env, fields, err := r.storedFields(row)
		if err != nil {
			return err
		}
		if err := r.mergeEntity(ctx, tx, env.Header, fields); err != nil {
			return err
		}
	}
	r.state.RLock()
	after, stands := r.members[id]
	r.state.RUnlock()
	if old.Kind == KindMember && !stands {
		// Her entry is gone (its events refused: say the role of the
		// administrator who admitted her was changed with heads from
		// before the admission): what she wrote waits for it again, as on
		// a workstation that never had it (session 16 review h-sec16c, B;
		// a revocation she wrote may still hold: hold.go).
		_, err := r.refuseFrom(ctx, tx, id, nil, pending("the author's directory entry is gone: waiting for it"))
		return err
	}
	if old.Kind == KindMember && before.Revoked() && widened(before.RevokedHeads, after) {
		// A revocation folded out (refused since, say its author was
		// revoked before it) may have swept what no standing revocation
		// refuses: those events are judged again (session 15 review, V1).
		// Only then: each judging reads her whole chain (h-sec15e).
		return r.judgeAgain(ctx, tx, id, ruleRevoked, "the member's revocations changed: judged again")
	}
	return nil
}

// sweepRevoked refuses, for each member revoked during this Apply, every
// event of theirs this workstation applied or sealed that their revocation
// does not cover (a seq above the last accepted one of its device; every
// event of a device it does not name), and rebuilds the records those
// events touched. So a revocation gives the same state whether it arrived
// before or after the events written after it.
func (r *Replica) sweepRevoked(ctx context.Context, tx *store.Tx) (bool, error) {
	if len(r.revoked) == 0 {
		return false, nil
	}
	fps := r.revoked
	r.revoked = map[string]bool{}
	swept := false
	for fp := range fps {
		r.state.RLock()
		m, ok := r.members[fp]
		r.state.RUnlock()
		if !ok || !m.Revoked() {
			continue
		}
		// Save an act of a mutual pair (mutual.go): judged by her entry
		// without the other act, it stands.
		var aerr error
		did, err := r.refuseWhere(ctx, tx, fp, m.RevokedHeads, refused(ruleRevoked, "written after the author's membership was revoked"),
			func(row store.Envelope) bool {
				if row.Kind != KindMember || row.Entity == fp || aerr != nil {
					return true
				}
				_, _, _, ok, err := r.authorizeAct(ctx, tx, row, headerOf(row), m, true)
				aerr = err
				return !ok
			})
		if err == nil {
			err = aerr
		}
		if err != nil {
			return swept, err
		}
		swept = swept || did
	}
	return swept, nil
}

// widened reports whether member m lets stand more of her devices' events
// than the heads she was revoked with: she is no longer revoked, or a
// device's head is higher (or named where it was not).
func widened(heads map[string]uint64, m Member) bool {
	if !m.Revoked() {
		return true
	}
	for d, seq := range m.RevokedHeads {
		if was, ok := heads[d]; !ok || seq > was {
			return true
		}
	}
	return false
}

// fillsOwnGap reports whether env, of this workstation's own device and
// missing from its store, is the event its chain holds a gap for: the
// store's next event of the chain names env's hash as its previous one,
// and env is signed with this workstation's own key. Only an event deleted
// from the file leaves such a gap (session 23, h-rejudge23: the seal's
// rebuild judges every event again, and the own events above a gap wait
// for it); the clinic's copy of it is kept as any device's event. A run of
// several missing events fills from the top, one an Apply.
func (r *Replica) fillsOwnGap(ctx context.Context, tx *store.Tx, env *crypto.Envelope, verified bool) (bool, error) {
	h := env.Header
	if h.Author != r.fp {
		return false, nil
	}
	next, err := tx.EnvelopeAt(ctx, h.Device, h.Seq+1)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("replica: own chain: %w", err)
	}
	if next.Prev != r.pre.hashOf(env) {
		return false, nil
	}
	return verified || env.Verify(r.p.Identity.Public()) == nil, nil
}

// trimAgain, in an Apply judging every stored event again in one
// transaction (rebuildRows), writes the records' changes and index terms
// queued so far and forgets the decisions it cached, every settleBudget
// decisions, within the transaction: what a budgeted Apply forgets at each
// of its commits. Without it the queue held every record's change of the
// store (100,000 patients: 469 MB of heap at the peak).
func (r *Replica) trimAgain(ctx context.Context, tx *store.Tx) error {
	if r.decided++; r.decided%settleBudget != 0 {
		return nil
	}
	if err := r.writeIndex(ctx, tx); err != nil {
		return err
	}
	r.reindex, r.settled = map[string][][]byte{}, map[chainPlace]store.Envelope{}
	return nil
}
