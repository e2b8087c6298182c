package recovery

// A new epoch after a shareholder leaves (session 12 review, finding 8):
// an administrator who is revoked (or moved to another role) keeps the
// recovery shares she was sent. The keys this workstation escrowed went
// only to splits it trusted (escrowKeys), so it remembers the
// administrators those splits named (its shareholders) and, the first
// time it sees one of them no longer an active administrator, starts one
// new epoch of each recoverable scope it holds: what she kept opens
// nothing written after that. The upkeep's grant pass hands the new epochs
// on. Directory entries of administrators no split this workstation
// trusted ever named (an administrator can write any number) start
// nothing.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Store meta keys: the administrators named in a split this workstation
// escrowed keys to, and those of them it started new epochs for (each a
// space-separated list of fingerprints).
const (
	shareholdersMeta = "recovery/shareholders"
	rotatedForMeta   = "recovery/rotated-for"
)

// readSet reads a fingerprint list kept under meta key; found is false
// when there is none yet.
func readSet(ctx context.Context, tx *store.Tx, key string) (set map[string]bool, found bool, err error) {
	v, err := tx.Meta(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return map[string]bool{}, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("recovery: read %s: %w", key, err)
	}
	set = map[string]bool{}
	for _, fp := range strings.Fields(string(v)) {
		set[fp] = true
	}
	return set, true, nil
}

// addToSet adds fps to the fingerprint list kept under meta key.
func addToSet(ctx context.Context, r *replica.Replica, key string, fps ...string) error {
	return changeSet(ctx, r, key, fps, nil)
}

// changeSet adds add to, and takes drop from, the fingerprint list kept
// under meta key.
func changeSet(ctx context.Context, r *replica.Replica, key string, add, drop []string) error {
	err := r.DB().Update(ctx, func(tx *store.Tx) error {
		set, found, err := readSet(ctx, tx, key)
		if err != nil {
			return err
		}
		was := strings.Join(slices.Sorted(maps.Keys(set)), " ")
		for _, fp := range add {
			set[fp] = true
		}
		for _, fp := range drop {
			delete(set, fp)
		}
		now := strings.Join(slices.Sorted(maps.Keys(set)), " ")
		if found && now == was {
			return nil
		}
		return tx.SetMeta(ctx, key, []byte(now))
	})
	if err != nil {
		return fmt.Errorf("recovery: remember who shares the recovery: %w", err)
	}
	return nil
}

// shareholders returns the administrators named in a split this workstation
// escrowed keys to. A profile from before they were kept reads them once
// from the escrows this member wrote (a read of the whole log), when it
// first holds a recoverable key (an administrator's never does).
func shareholders(ctx context.Context, r *replica.Replica) (map[string]bool, error) {
	var set map[string]bool
	var found bool
	err := r.DB().View(ctx, func(tx *store.Tx) (err error) {
		set, found, err = readSet(ctx, tx, shareholdersMeta)
		return err
	})
	if err != nil || found || !slices.ContainsFunc(recoverable, r.Holds) {
		return set, err
	}
	mine, err := escrowsBy(ctx, r, r.Fingerprint())
	if err != nil {
		return nil, err
	}
	for _, e := range mine {
		for fp := range e.Shares {
			set[fp] = true
		}
	}
	return set, addToSet(ctx, r, shareholdersMeta, slices.Collect(maps.Keys(set))...)
}

// escrowsBy returns the escrows author wrote.
func escrowsBy(ctx context.Context, r *replica.Replica, author string) ([]escrow, error) {
	es, err := escrowsFor(ctx, r, "")
	return slices.DeleteFunc(es, func(e escrow) bool { return e.author != author }), err
}

// rotateForFormerShareholders starts one new epoch of each recoverable
// scope this workstation holds when it first sees that an administrator a
// split it escrowed to named is no longer an active administrator, and
// again after each time it sees her made an administrator once more. It
// returns how many epochs it started.
func rotateForFormerShareholders(ctx context.Context, r *replica.Replica) (int, error) {
	if m, ok := r.Member(r.Fingerprint()); !ok || !m.Active() {
		return 0, nil
	}
	named, err := shareholders(ctx, r)
	if err != nil || len(named) == 0 {
		return 0, err
	}
	var done map[string]bool
	err = r.DB().View(ctx, func(tx *store.Tx) (err error) {
		done, _, err = readSet(ctx, tx, rotatedForMeta)
		return err
	})
	if err != nil {
		return 0, err
	}
	var gone, back []string
	for fp := range named {
		m, ok := r.Member(fp)
		switch admin := ok && m.Active() && m.Role == roles.Administrator; {
		case ok && !admin && !done[fp]:
			gone = append(gone, fp)
		case admin && done[fp]:
			// Made an administrator again: her next departure rotates
			// again (session 13 review, O1), since her shares of what
			// was escrowed meanwhile would open it.
			back = append(back, fp)
		}
	}
	if len(gone) == 0 {
		return 0, changeSet(ctx, r, rotatedForMeta, nil, back)
	}
	n := 0
	for _, scope := range recoverable {
		if !r.Holds(scope) {
			continue
		}
		if _, err := r.NewEpoch(ctx, scope); err != nil {
			return n, fmt.Errorf("recovery: new %s key after an administrator who shares the recovery left: %w", scope, err)
		}
		n++
	}
	return n, changeSet(ctx, r, rotatedForMeta, gone, back)
}
