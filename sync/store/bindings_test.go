package store

import (
	"errors"
	"fmt"
	"testing"
)

// TestReadBindings: bindings read a page at a time answer Binding as one
// read each would: a stored binding, none for a record that has a number
// but no binding, none for an unknown record (which then gets its number
// and binding as usual); a binding written or deleted afterwards in the
// transaction is what Binding returns, and what is stored once committed.
func TestReadBindings(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	bound := make([]Binding, 70) // more than a page
	for i := range bound {
		bound[i] = Binding{Entity: fmt.Sprintf("%032x", i+1), Kind: "patient", Scope: "frontdesk", Lamport: uint64(i + 3), Device: "d1", Seq: uint64(i + 1)}
	}
	update(t, db, func(tx *Tx) error {
		for _, b := range bound {
			if err := tx.PutBinding(ctx, b); err != nil {
				return err
			}
		}
		return tx.PutEntity(ctx, Entity{ID: "numbered", Kind: "note", Scope: "clinical", State: []byte{1}})
	})
	fresh := Binding{Entity: "unknown", Kind: "appointment", Scope: "frontdesk", Lamport: 9, Device: "d2", Seq: 4}
	update(t, db, func(tx *Tx) error {
		ids := []string{"unknown", "numbered"}
		for _, b := range bound {
			ids = append(ids, b.Entity)
		}
		if err := tx.ReadBindings(ctx, ids); err != nil {
			return err
		}
		for _, want := range bound {
			if got, err := tx.Binding(ctx, want.Entity); err != nil || got != want {
				t.Errorf("binding %s: %+v, %v; want %+v", want.Entity, got, err, want)
			}
		}
		for _, id := range []string{"unknown", "numbered"} {
			if got, err := tx.Binding(ctx, id); !errors.Is(err, ErrNotFound) {
				t.Errorf("binding of %s: %+v, %v; want ErrNotFound", id, got, err)
			}
		}
		if err := tx.PutBinding(ctx, fresh); err != nil {
			return err
		}
		if got, err := tx.Binding(ctx, fresh.Entity); err != nil || got != fresh {
			t.Errorf("binding written after the read: %+v, %v", got, err)
		}
		if err := tx.DeleteBinding(ctx, bound[0].Entity); err != nil {
			return err
		}
		if _, err := tx.Binding(ctx, bound[0].Entity); !errors.Is(err, ErrNotFound) {
			t.Errorf("binding deleted after the read: %v, want ErrNotFound", err)
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		if got, err := tx.Binding(ctx, fresh.Entity); err != nil || got != fresh {
			t.Errorf("committed: %+v, %v; want %+v", got, err, fresh)
		}
		if _, err := tx.Binding(ctx, bound[0].Entity); !errors.Is(err, ErrNotFound) {
			t.Errorf("committed deletion: %v", err)
		}
		if got, err := tx.Binding(ctx, bound[69].Entity); err != nil || got != bound[69] {
			t.Errorf("committed: %+v, %v", got, err)
		}
		return nil
	})
}

// TestPutBindingHeld: bindings PutBinding holds (written a page per
// statement) read as stored by every statement of their transaction, and
// each new record gets the number it got when each binding was written at
// once (the same order), here against a store where a statement after
// each PutBinding writes it at once; a View cannot hold one.
func TestPutBindingHeld(t *testing.T) {
	ctx := t.Context()
	bound := make([]Binding, 150) // pages of 64, 16, 4 and 1
	for i := range bound {
		bound[i] = Binding{Entity: fmt.Sprintf("%032x", (i*7919)%1000+1), Kind: "patient", Scope: "frontdesk", Lamport: uint64(i + 3), Device: "d1", Seq: uint64(i + 1)}
	}
	numbers := func(db *DB) map[string]int64 {
		out := map[string]int64{}
		view(t, db, func(tx *Tx) error {
			for _, b := range bound {
				n, err := tx.entityNumber(ctx, b.Entity, false)
				if err != nil {
					return err
				}
				out[b.Entity] = n
			}
			return nil
		})
		return out
	}
	put := func(db *DB, atOnce bool) {
		update(t, db, func(tx *Tx) error {
			for i, b := range bound {
				if i == 40 {
					// A number given in between, by another write.
					if err := tx.PutEntity(ctx, Entity{ID: "between", Kind: "note", Scope: "clinical", State: []byte{1}}); err != nil {
						return err
					}
				}
				if err := tx.PutBinding(ctx, b); err != nil {
					return err
				}
				if i == 10 {
					again := b
					again.Lamport = 1 // replaced while held
					bound[i] = again
					if err := tx.PutBinding(ctx, again); err != nil {
						return err
					}
				}
				if atOnce {
					var one int
					if err := tx.tx.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
						return err
					}
				}
			}
			if n := len(tx.binding.rows); !atOnce && n == 0 {
				t.Errorf("no binding held at the end of the transaction")
			}
			// Every statement sees what is held.
			var count int
			if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM bindings`).Scan(&count); err != nil || count != len(bound) {
				t.Errorf("bindings read in the transaction: %d, %v; want %d", count, err, len(bound))
			}
			kinds, err := tx.BoundKinds(ctx)
			if err != nil || len(kinds) != len(bound) {
				t.Errorf("bound kinds: %d, %v", len(kinds), err)
			}
			return nil
		})
	}
	held, atOnce := openTest(t), openTest(t)
	put(held, false)
	put(atOnce, true)
	got, want := numbers(held), numbers(atOnce)
	for _, b := range bound {
		if got[b.Entity] == 0 || got[b.Entity] != want[b.Entity] {
			t.Errorf("number of %s: %d, written at once %d", b.Entity, got[b.Entity], want[b.Entity])
		}
	}
	view(t, held, func(tx *Tx) error {
		for _, b := range bound {
			if g, err := tx.Binding(ctx, b.Entity); err != nil || g != b {
				t.Errorf("committed %s: %+v, %v; want %+v", b.Entity, g, err, b)
			}
		}
		if err := tx.PutBinding(ctx, bound[0]); !errors.Is(err, ErrReadOnly) {
			t.Errorf("PutBinding in a View: %v, want ErrReadOnly", err)
		}
		return nil
	})
	// Binding of a held record, with nothing read before (entityNumber
	// writes it first).
	update(t, held, func(tx *Tx) error {
		b := Binding{Entity: "fresh-one", Kind: "note", Scope: "clinical", Lamport: 2, Device: "d2", Seq: 1}
		if err := tx.PutBinding(ctx, b); err != nil {
			return err
		}
		tx.bindings = nil
		if g, err := tx.Binding(ctx, b.Entity); err != nil || g != b {
			t.Errorf("held, read by its number: %+v, %v", g, err)
		}
		return nil
	})
	// A numbered record bound again while held, then read by Entities
	// (which forgets the numbers of the ids it reads until read: the
	// replica's TestHolds failed so, the held record numbered twice).
	update(t, held, func(tx *Tx) error {
		if _, err := tx.Entities(ctx, []string{"between"}); err != nil {
			return err
		}
		b := Binding{Entity: "between", Kind: "note", Scope: "clinical", Lamport: 5, Device: "d2", Seq: 2}
		if err := tx.PutBinding(ctx, b); err != nil {
			return err
		}
		got, err := tx.Entities(ctx, []string{"between", bound[0].Entity})
		if err != nil || len(got) != 1 {
			t.Errorf("entities of a record bound while held: %v, %v", got, err)
		}
		if g, err := tx.Binding(ctx, b.Entity); err != nil || g != b {
			t.Errorf("bound again: %+v, %v", g, err)
		}
		return nil
	})
}
