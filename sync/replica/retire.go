package replica

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Retired keys. A scope's epoch key is no longer used for new writes once
// a member who may not read the scope now (revoked, moved to a role
// without it, or never confirmed where the scope needs it) could know it:
// a grant of it was addressed to her (by someone not such a stranger) and
// applied, this workstation took it from her, or, for a former member,
// she wrote a grant of it (she made it, or passed it on) or her key-held
// record names it. It is still kept and granted, to read what was written
// with it.
//
// The decision reads only the set of applied events (grant headers, the
// directory, key-held records, and the confirmations records that say
// whom a key came from: keysource.go), never the order they came in or an
// epoch's number: a member who expects to be revoked cannot make an epoch
// outlive her by numbering it high, and workstations that hold the same
// events retire the same keys. Retiring only grows: a key once exposed
// stays so.

// retiredMeta is the store meta key listing scope's retired epochs.
func retiredMeta(scope string) string { return "retired-epochs/" + scope }

// seenMeta is the store meta key listing scope's epochs someone outside
// the scope saw whole (KeepRecovered).
func seenMeta(scope string) string { return "seen-epochs/" + scope }

// loadRetired reads the retired (and seen) epochs of every scope this
// workstation holds keys of.
func (r *Replica) loadRetired(ctx context.Context, tx *store.Tx) error {
	r.retired, r.seen = map[string]map[uint32]bool{}, map[string]map[uint32]bool{}
	for scope := range r.keys {
		for _, set := range []struct {
			meta string
			in   map[string]map[uint32]bool
		}{{retiredMeta(scope), r.retired}, {seenMeta(scope), r.seen}} {
			v, err := tx.Meta(ctx, set.meta)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("replica: retired keys of %s: %w", scope, err)
			}
			for _, f := range strings.Fields(string(v)) {
				e, err := strconv.ParseUint(f, 10, 32)
				if err != nil {
					return fmt.Errorf("replica: retired keys of %s: %w", scope, err)
				}
				addEpoch(set.in, scope, uint32(e))
			}
		}
	}
	return nil
}

func (r *Replica) retire(scope string, epoch uint32) { addEpoch(r.retired, scope, epoch) }

// addEpoch adds epoch of scope to set.
func addEpoch(set map[string]map[uint32]bool, scope string, epoch uint32) {
	if set[scope] == nil {
		set[scope] = map[uint32]bool{}
	}
	set[scope][epoch] = true
}

// Retired reports whether epoch of scope is retired (see RetireExposed).
func (r *Replica) Retired(scope roles.Scope, epoch uint32) bool {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.retired[string(scope)][epoch]
}

// RetireExposed retires every epoch key of scope this workstation holds
// that a member who may not read scope now could know, and reports
// whether a key of scope is left for new writes (none: the caller starts
// a new epoch, NewEpoch, and grants it to the scope's members).
func (r *Replica) RetireExposed(ctx context.Context, scope roles.Scope) (fresh bool, err error) {
	s := string(scope)
	r.state.RLock()
	// Outsiders: former members, members of a role without the scope, and
	// for a scope that needs confirmation the members nobody here
	// confirmed (confirm.go): strangers. A former member's key-held claims
	// and the grants she wrote count (she held keys once); a stranger's
	// do not (she never did, and may name any epoch to make every
	// workstation start new ones: session 11 review, finding 4). What a
	// stranger could know came to her in a grant addressed to her from
	// someone who is not a stranger, which counts; a key she made is
	// never taken from her (keysource.go), and one held here from a
	// source that is an outsider now counts as hers.
	outsiders, formers := map[string]bool{}, map[string]bool{}
	var confirmed map[string]bool
	if roles.NeedsConfirmation(scope) {
		confirmed = r.confirmedLocked(scope)
	}
	var members []string
	for fp, m := range r.members {
		members = append(members, fp)
		switch {
		case !m.Active() || !m.Role.Holds(scope):
			// A former holder only if some role of hers held the
			// scope: a receptionist who never did may name any epoch
			// in her key-held record, every one read from a clear
			// header (session 17 review h-sec17b).
			outsiders[fp] = true
			if everIn(m, func(r roles.Role) bool { return r.Holds(scope) }) {
				formers[fp] = true
			}
		case confirmed != nil && !confirmed[fp]:
			outsiders[fp] = true
		}
	}
	exposed := map[uint32]bool{}
	live := 0
	for e := range r.keys[s] {
		if r.retired[s][e] {
			continue
		}
		live++
		if src := r.source[s][e]; src != "" && src != r.fp && outsiders[src] {
			exposed[e] = true
		}
		for o := range formers {
			if r.held[o][heldField(s, e)] {
				exposed[e] = true
			}
		}
	}
	// The grant headers are read again only when grants were applied, the
	// directory's outsiders changed or keys arrived since the last look.
	sort.Strings(members)
	var names []string
	for _, fp := range members {
		if outsiders[fp] {
			names = append(names, fp)
		}
	}
	stamp := fmt.Sprint(r.grantsSeen.Load(), names, len(r.keys[s]))
	checked := r.exposureChecked[s] == stamp
	r.state.RUnlock()
	if len(outsiders) > 0 && len(exposed) < live && !checked {
		err := r.p.DB.View(ctx, func(tx *store.Tx) error {
			for _, fp := range members {
				grants, err := tx.GrantsAbout(ctx, fp)
				if err != nil {
					return err
				}
				for _, g := range grants {
					stranger := outsiders[g.Author] && !formers[g.Author]
					if g.Scope == s && g.State == store.Applied && ((outsiders[fp] && !stranger) || formers[g.Author]) {
						exposed[g.Epoch] = true
					}
				}
			}
			return nil
		})
		if err != nil {
			return false, fmt.Errorf("replica: which keys of %s a former member knows: %w", s, err)
		}
	}
	r.state.Lock()
	var add []uint32
	for e := range exposed {
		if _, held := r.keys[s][e]; held && !r.retired[s][e] {
			add = append(add, e)
		}
	}
	r.state.Unlock()
	if len(add) > 0 {
		if err := r.keepRetired(ctx, s, add); err != nil {
			return false, err
		}
	}
	r.state.Lock()
	defer r.state.Unlock()
	_, fresh = r.newestKey(s)
	r.exposureChecked[s] = stamp
	return fresh, nil
}

// KeepRecovered keeps keys an administrator recovered for this member
// (app/recovery), each with the member who escrowed it as its source
// (from: keysource.go judges it as a grant of hers), and retires them: the
// administrator who coordinated the recovery saw them whole although no
// grant header says so. They are kept for reading, never used for new
// writes (the next upkeep starts a new epoch when no other key of the
// scope is left), and marked seen: this workstation never hands them on
// (Trusted is false), so a key an administrator saw whole never reaches a
// colleague who would not know to retire it and would write with it.
func (r *Replica) KeepRecovered(ctx context.Context, from string, keys ...crypto.ScopeKey) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.p.DB.Update(ctx, func(tx *store.Tx) error {
		for _, k := range keys {
			if err := r.keepKeyFrom(ctx, tx, k, from); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replica: keep recovered keys: %w", err)
	}
	by := map[string][]uint32{}
	for _, k := range keys {
		by[k.Scope] = append(by[k.Scope], k.Epoch)
	}
	for scope, epochs := range by {
		if err := r.addEpochsLocked(ctx, seenMeta(scope), r.seen, scope, epochs); err != nil {
			return err
		}
		if err := r.addEpochsLocked(ctx, retiredMeta(scope), r.retired, scope, epochs); err != nil {
			return err
		}
	}
	return nil
}

// keepRetired adds epochs to scope's retired keys, in the store first.
func (r *Replica) keepRetired(ctx context.Context, scope string, epochs []uint32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.addEpochsLocked(ctx, retiredMeta(scope), r.retired, scope, epochs)
}

// addEpochsLocked adds epochs of scope to set, kept under meta in the
// store first (under mu).
func (r *Replica) addEpochsLocked(ctx context.Context, meta string, set map[string]map[uint32]bool, scope string, epochs []uint32) error {
	r.state.RLock()
	all := slices.Clone(epochs)
	for e := range set[scope] {
		all = append(all, e)
	}
	r.state.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	all = slices.Compact(all)
	words := make([]string, len(all))
	for i, e := range all {
		words[i] = strconv.FormatUint(uint64(e), 10)
	}
	err := r.p.DB.Update(ctx, func(tx *store.Tx) error {
		return tx.SetMeta(ctx, meta, []byte(strings.Join(words, " ")))
	})
	if err != nil {
		return fmt.Errorf("replica: retire keys of %s: %w", scope, err)
	}
	r.state.Lock()
	for _, e := range epochs {
		addEpoch(set, scope, e)
	}
	r.state.Unlock()
	return nil
}
