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
