package replica

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Where a key came from (session 11 review, findings 11 and 4). Any
// physician may write a grant of the clinical scope, including one nobody
// confirmed (an administrator's stand-in): her grant may carry a key she
// made up, under a new number or under a genuine epoch's. So for a scope
// that needs confirmation (roles.NeedsConfirmation) this workstation
// takes a granted key only from a colleague it reaches by confirmations
// (confirm.go: reachedLocked, whatever her status now), and remembers
// whose it is (its source: this member for a key made here or granted to
// herself). A grant from anyone else is checked as before (it must open
// and name its own key) and then waits aside, applied but unused, until
// its author is reached; the reckoning is judged again at every settle
// round (adoptAside), since a colleague may be confirmed later than her
// grant arrives. An epoch held from a source no longer reached is taken
// again from a reached colleague's grant.
//
// The verdict does not depend on the order events came in: whether a key
// is held, and from whom, follows from the set of applied grants to this
// member and the confirmations records (which every workstation of the
// member folds alike), judged again at every settle round that has a
// grant aside, after the records that arrived were merged; reached counts
// former members too, so a colleague's grant that arrives after her
// revocation is taken as one that came before it. Confirmations only grow:
// every workstation refuses a confirms field written otherwise than true
// (roles.Keyed.Set; session 12 review, F4), so no member withdraws one.
// So a stranger's key is never the newest (her planted epoch opens no
// window before the upkeep), and her made-up key for a genuine epoch never
// blinds a newcomer: the newcomer does not say she holds that epoch, so
// her colleagues grant it, and their grant is taken.
//
// New writes use, in such a scope, only a key whose source this
// workstation counts as confirmed now (newestKey, writableLocked): one
// made here, or granted by an active confirmed colleague.

// keySourceMeta is the store meta key naming the source of epoch of scope.
func keySourceMeta(scope string, epoch uint32) string {
	return fmt.Sprintf("key-from/%s/%d", scope, epoch)
}

// setSource records whose key epoch of scope is (under state).
func (r *Replica) setSource(scope string, epoch uint32, from string) {
	if r.source[scope] == nil {
		r.source[scope] = map[uint32]string{}
	}
	r.source[scope][epoch] = from
}

// holdAside notes an applied grant to this member whose key is not taken
// (yet): its author is not reached (under mu).
func (r *Replica) holdAside(ref keyRef, author string) {
	if r.aside[ref] == nil {
		r.aside[ref] = map[string]bool{}
	}
	r.aside[ref][author] = true
}

// heldFrom reports whether this workstation holds epoch of scope from a
// source in trusted (or made it itself). Under state.
func (r *Replica) heldFrom(scope string, epoch uint32, trusted map[string]bool) bool {
	if _, held := r.keys[scope][epoch]; !held {
		return false
	}
	src := r.source[scope][epoch]
	return src == r.fp || trusted[src]
}

// writableLocked reports, for scope, which held epochs new writes may use
// by their source (retirement aside): every one for a scope that needs no
// confirmation, else those made here or granted by a member this
// workstation counts as confirmed now. Under state.
func (r *Replica) writableLocked(scope string) func(epoch uint32) bool {
	if !roles.NeedsConfirmation(roles.Scope(scope)) {
		return func(uint32) bool { return true }
	}
	in := r.confirmedLocked(roles.Scope(scope))
	return func(epoch uint32) bool { return r.heldFrom(scope, epoch, in) }
}

// Trusted reports whether this workstation holds epoch of scope from a
// source it trusts now (writableLocked): made here, or taken from a
// colleague it counts as confirmed. Only such keys are handed on to
// colleagues (app's grant pass): a key an older version kept from a
// stranger may not be the epoch's real key, and one an administrator saw
// whole (KeepRecovered) is never handed on.
func (r *Replica) Trusted(scope roles.Scope, epoch uint32) bool {
	r.state.RLock()
	defer r.state.RUnlock()
	_, held := r.keys[string(scope)][epoch]
	return held && !r.seen[string(scope)][epoch] && r.writableLocked(string(scope))(epoch)
}

// takeGrant applies a grant addressed to this member: it keeps the key
// when its author is a source this workstation takes keys from, else it
// holds the grant aside (see the file comment). A grant that does not
// open, or carries another key than its header names, is refused
// whoever wrote it.
func (r *Replica) takeGrant(ctx context.Context, tx *store.Tx, env *crypto.Envelope) (store.EnvelopeState, keyRef, error) {
	h := env.Header
	ref := keyRef{h.Scope, h.Epoch}
	confirm := roles.NeedsConfirmation(roles.Scope(h.Scope))
	r.state.RLock()
	from := r.pubkeys[h.Author]
	_, have := r.keys[h.Scope][h.Epoch]
	var reached map[string]bool
	if confirm {
		reached = r.reachedLocked(roles.Scope(h.Scope))
		have = r.heldFrom(h.Scope, h.Epoch, reached)
	}
	r.state.RUnlock()
	if have {
		return store.Applied, keyRef{}, nil
	}
	k, err := crypto.OpenGrant(env.Ciphertext, r.p.Identity, from)
	if err != nil {
		return 0, keyRef{}, badContent{"grant cannot be opened: " + err.Error()}
	}
	if k.Scope != h.Scope || k.Epoch != h.Epoch {
		return 0, keyRef{}, badContent{"grant carries another key than its header names"}
	}
	if confirm && h.Author != r.fp && !reached[h.Author] {
		r.holdAside(ref, h.Author)
		return store.Applied, keyRef{}, nil
	}
	if err := r.keepKeyFrom(ctx, tx, k, h.Author); err != nil {
		return 0, keyRef{}, err
	}
	delete(r.aside, ref)
	return store.Applied, ref, nil
}

// adoptAside takes the keys of grants held aside whose author this
// workstation now reaches by confirmations, and has the envelopes kept
// sealed for them opened (keysIn). It reports whether it took any.
func (r *Replica) adoptAside(ctx context.Context, tx *store.Tx) (bool, error) {
	if len(r.aside) == 0 {
		return false, nil
	}
	// Confirmations records are merged at the transaction's end with the
	// other records (merge.go, later): what arrived so far counts now.
	if err := r.flushFolds(ctx, tx); err != nil {
		return false, err
	}
	r.state.RLock()
	reachedIn := r.reachedByScope()
	due := map[keyRef]bool{}
	pubs := map[string]map[string]*crypto.PublicKey{} // by scope: only a colleague reached for it
	for ref, authors := range r.aside {
		reached := reachedIn(ref.scope)
		if pubs[ref.scope] == nil {
			pubs[ref.scope] = map[string]*crypto.PublicKey{}
			for fp := range reached {
				pubs[ref.scope][fp] = r.pubkeys[fp]
			}
		}
		if r.heldFrom(ref.scope, ref.epoch, reached) {
			delete(r.aside, ref) // a reached colleague's key came meanwhile
			continue
		}
		for a := range authors {
			if reached[a] {
				due[ref] = true
			}
		}
	}
	r.state.RUnlock()
	if len(due) == 0 {
		return false, nil
	}
	rows, err := tx.EnvelopesForEntity(ctx, r.fp)
	if err != nil {
		return false, fmt.Errorf("replica: key grants held aside: %w", err)
	}
	// The same grant whatever order they came in: the first by author,
	// device and sequence.
	slices.SortFunc(rows, func(a, b store.Envelope) int {
		return cmp.Or(strings.Compare(a.Author, b.Author), strings.Compare(a.Device, b.Device), cmp.Compare(a.Seq, b.Seq))
	})
	took := false
	for _, row := range rows {
		ref := keyRef{row.Scope, row.Epoch}
		if row.Kind != KindGrant || row.State != store.Applied || !due[ref] || pubs[ref.scope][row.Author] == nil {
			continue
		}
		env, err := crypto.ParseEnvelope(row.Raw)
		if err != nil {
			continue // it was checked when it was applied: not this one
		}
		k, err := crypto.OpenGrant(env.Ciphertext, r.p.Identity, pubs[ref.scope][row.Author])
		if err != nil || k.Scope != ref.scope || k.Epoch != ref.epoch {
			continue
		}
		if err := r.keepKeyFrom(ctx, tx, k, row.Author); err != nil {
			return took, err
		}
		delete(due, ref)
		delete(r.aside, ref)
		r.keysIn[ref] = true
		took = true
	}
	return took, nil
}

// loadKeySources reads the source of every key held of a scope that needs
// confirmation, and the grants to this member held aside. A key kept
// before sources were recorded (an older profile) is taken to come from
// this member when no grant to her names its epoch, or one she wrote does;
// else, when an author of a grant of it is not reached, from her (her key
// may be the one an older version kept: it is not used for new writes,
// and a reached colleague's grant of that epoch is taken again); else
// from the first author.
func (r *Replica) loadKeySources(ctx context.Context, tx *store.Tx) error {
	r.source, r.aside = map[string]map[uint32]string{}, map[keyRef]map[string]bool{}
	var older []keyRef
	for scope, epochs := range r.keys {
		if !roles.NeedsConfirmation(roles.Scope(scope)) {
			continue
		}
		for e := range epochs {
			v, err := tx.Meta(ctx, keySourceMeta(scope, e))
			switch {
			case errors.Is(err, store.ErrNotFound):
				older = append(older, keyRef{scope, e})
			case err != nil:
				return fmt.Errorf("replica: key sources: %w", err)
			default:
				r.setSource(scope, e, string(v))
			}
		}
	}
	grants, err := tx.GrantsAbout(ctx, r.fp)
	if err != nil {
		return fmt.Errorf("replica: key sources: %w", err)
	}
	authors := map[keyRef][]string{}
	for _, g := range grants {
		if g.State == store.Applied && roles.NeedsConfirmation(roles.Scope(g.Scope)) {
			ref := keyRef{g.Scope, g.Epoch}
			authors[ref] = append(authors[ref], g.Author)
		}
	}
	reachedIn := r.reachedByScope()
	for _, ref := range older {
		reached := reachedIn(ref.scope)
		from := authors[ref]
		slices.Sort(from)
		src := r.fp
		if len(from) > 0 && !slices.Contains(from, r.fp) {
			src = from[0]
			if i := slices.IndexFunc(from, func(a string) bool { return !reached[a] }); i >= 0 {
				src = from[i] // it may be hers that was kept
			}
		}
		r.setSource(ref.scope, ref.epoch, src)
	}
	for ref, from := range authors {
		if r.heldFrom(ref.scope, ref.epoch, reachedIn(ref.scope)) {
			continue
		}
		for _, a := range from {
			r.holdAside(ref, a)
		}
	}
	return nil
}

// reachedByScope returns reachedLocked for each scope, worked out once a
// scope (under state).
func (r *Replica) reachedByScope() func(scope string) map[string]bool {
	by := map[string]map[string]bool{}
	return func(scope string) map[string]bool {
		if by[scope] == nil {
			by[scope] = r.reachedLocked(roles.Scope(scope))
		}
		return by[scope]
	}
}

// GaveKeys returns the members who granted this member a key of scope
// that is the very key it holds of that epoch: they held the key itself,
// so someone trusted them with it. Neither a member's own claim to hold a
// key (her key-held record) nor a grant carrying a key of her own making
// for a genuine epoch proves that. For the one-time confirmation of an
// older profile's colleagues (app), never for taking keys.
func (r *Replica) GaveKeys(ctx context.Context, scope roles.Scope) (map[string]bool, error) {
	var rows []store.Envelope
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		var err error
		rows, err = tx.EnvelopesForEntity(ctx, r.fp)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("replica: who granted this member keys of %s: %w", scope, err)
	}
	r.state.RLock()
	defer r.state.RUnlock()
	out := map[string]bool{}
	for _, row := range rows {
		held, ok := r.keys[string(scope)][row.Epoch]
		from := r.pubkeys[row.Author]
		if row.Kind != KindGrant || row.State != store.Applied || row.Scope != string(scope) || !ok || from == nil || row.Author == r.fp {
			continue
		}
		env, err := crypto.ParseEnvelope(row.Raw)
		if err != nil {
			continue
		}
		if k, err := crypto.OpenGrant(env.Ciphertext, r.p.Identity, from); err == nil && k == held {
			out[row.Author] = true
		}
	}
	return out, nil
}

// GrantAuthors returns the members whose grants of a key of scope to
// recipient were applied here (each signed by its author: nobody writes
// one in another's name). For the one-time confirmation of an older
// profile's colleagues (app): a colleague this workstation trusts trusted
// the recipient with the key.
func (r *Replica) GrantAuthors(ctx context.Context, recipient string, scope roles.Scope) (map[string]bool, error) {
	var grants []store.GrantAbout
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		var err error
		grants, err = tx.GrantsAbout(ctx, recipient)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("replica: who granted %s keys of %s: %w", short(recipient), scope, err)
	}
	out := map[string]bool{}
	for _, g := range grants {
		if g.State == store.Applied && g.Scope == string(scope) && g.Author != recipient {
			out[g.Author] = true
		}
	}
	return out, nil
}
