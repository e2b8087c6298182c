package replica

import (
	"context"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Searching the blind index. The store keeps the first 64 bits of each
// token (issue 17: a compact index), so two terms may share one: every
// entity found is checked against the terms after decryption.

// Search returns the ids of entities of scope carrying every term, at most
// limit (0 or less: all).
func (r *Replica) Search(ctx context.Context, scope roles.Scope, limit int, terms ...Term) ([]string, error) {
	found, _, err := r.Find(ctx, scope, "", limit, terms...)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(found))
	for i, e := range found {
		ids[i] = e.ID
	}
	return ids, nil
}

// Find returns the entities of scope carrying every term, decrypted, a
// page at a time: at most limit (0 or less: all) after the entity after
// ("" for the first page), and the entity to ask after for the next page
// ("" when there is none).
func (r *Replica) Find(ctx context.Context, scope roles.Scope, after string, limit int, terms ...Term) ([]EntityState, string, error) {
	tokens, ok := r.Tokens(scope, terms...)
	if !ok {
		return nil, "", fmt.Errorf("%w %s", ErrNoKey, scope)
	}
	var out []EntityState
	var next string
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		found, n, err := tx.LookupEntities(ctx, tokens, after, limit)
		if err != nil {
			return err
		}
		next = n
		for _, e := range found {
			st, err := r.openState(e)
			if err != nil {
				return err
			}
			if r.carries(e.Kind, st, terms) {
				out = append(out, EntityState{ID: e.ID, Kind: e.Kind, Scope: e.Scope, Lamport: e.Lamport, State: st})
			}
		}
		return nil
	})
	return out, next, err
}

// carries reports whether an entity's state has every one of terms among
// its index terms: not a false match of two terms sharing a token.
func (r *Replica) carries(kind string, st State, terms []Term) bool {
	if r.p.Index == nil {
		return true
	}
	has := map[Term]bool{}
	for _, t := range r.p.Index(kind, st) {
		has[t] = true
	}
	for _, t := range terms {
		if !has[t] {
			return false
		}
	}
	return true
}

// indexAgain writes the blind index again from every record, or from the
// records of the kinds it names, when the store asks for it
// (store.MetaReindex: the schema changed how tokens are kept, or what a
// kind's records are indexed by).
func (r *Replica) indexAgain(ctx context.Context) error {
	if r.p.Index == nil {
		return nil
	}
	var kinds []string // nil: every kind
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		v, err := tx.Meta(ctx, store.MetaReindex)
		kinds = store.ReindexKinds(v)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("replica: index: %w", err)
	}
	const page = 2000
	every := kinds == nil
	if every {
		kinds = []string{""}
	}
	for _, kind := range kinds {
		for after := ""; ; {
			var rows []store.Entity
			if err := r.p.DB.View(ctx, func(tx *store.Tx) error {
				if every {
					rows, err = tx.EntitiesAfter(ctx, after, page)
				} else {
					rows, err = tx.EntitiesOfKindAfter(ctx, kind, after, page)
				}
				return err
			}); err != nil {
				return fmt.Errorf("replica: index: %w", err)
			}
			if len(rows) == 0 {
				break
			}
			after = rows[len(rows)-1].ID
			if err := r.indexRows(ctx, rows); err != nil {
				return err
			}
		}
	}
	return r.p.DB.Update(ctx, func(tx *store.Tx) error { return tx.DeleteMeta(ctx, store.MetaReindex) })
}

// indexRows writes the index of one page of records again.
func (r *Replica) indexRows(ctx context.Context, rows []store.Entity) error {
	// Under mu: a write or an Apply running beside it (CheckIndex runs
	// after login) must not have its terms replaced by what was read
	// before it.
	r.mu.Lock()
	defer r.mu.Unlock()
	byEntity := map[string][][]byte{}
	for _, e := range rows {
		if !roles.Scope(e.Scope).Valid() {
			continue
		}
		st, err := r.openState(e)
		if err != nil {
			return err
		}
		if tokens, ok := r.Tokens(roles.Scope(e.Scope), r.p.Index(e.Kind, st)...); ok {
			byEntity[e.ID] = tokens
		}
	}
	if err := r.p.DB.Update(ctx, func(tx *store.Tx) error { return tx.SetIndexes(ctx, byEntity) }); err != nil {
		return fmt.Errorf("replica: index: %w", err)
	}
	return nil
}
