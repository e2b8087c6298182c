package store

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
)

func TestPutEntity(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	first := Entity{ID: "p1", Kind: "patient", Scope: "frontdesk", State: []byte("sealed v1"), Lamport: 3, Updated: 1000}
	tests := []struct {
		name string
		e    Entity
		want Entity
		err  error
	}{
		{"new", first, first, nil},
		{"replaced", Entity{ID: "p1", Kind: "patient", Scope: "frontdesk", State: []byte("sealed v2"), Lamport: 4, Updated: 2000},
			Entity{ID: "p1", Kind: "patient", Scope: "frontdesk", State: []byte("sealed v2"), Lamport: 4, Updated: 2000}, nil},
		{"empty state", Entity{ID: "p2", Kind: "patient"}, Entity{ID: "p2", Kind: "patient", State: []byte{}}, nil},
		{"largest lamport", Entity{ID: "p3", Kind: "note", State: []byte{1}, Lamport: math.MaxInt64},
			Entity{ID: "p3", Kind: "note", State: []byte{1}, Lamport: math.MaxInt64}, nil},
		{"lamport beyond int64", Entity{ID: "p4", Kind: "note", Lamport: math.MaxUint64}, Entity{}, ErrInvalid},
		{"no id", Entity{Kind: "patient"}, Entity{}, ErrInvalid},
		{"no kind", Entity{ID: "p5"}, Entity{}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Update(ctx, func(tx *Tx) error { return tx.PutEntity(ctx, tt.e) })
			if !errors.Is(err, tt.err) {
				t.Fatalf("PutEntity: %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			view(t, db, func(tx *Tx) error {
				got, err := tx.Entity(ctx, tt.e.ID)
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Errorf("Entity = %+v, %v; want %+v", got, err, tt.want)
				}
				return nil
			})
		})
	}
	view(t, db, func(tx *Tx) error {
		if _, err := tx.Entity(ctx, "missing"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Entity(missing): %v, want ErrNotFound", err)
		}
		return nil
	})
}

func TestEntitiesOfKind(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	update(t, db, func(tx *Tx) error {
		for i := 9; i >= 0; i-- { // stored out of order
			for _, kind := range []string{"patient", "appointment"} {
				e := Entity{ID: fmt.Sprintf("%s-%d", kind, i), Kind: kind, State: []byte{byte(i)}}
				if err := tx.PutEntity(ctx, e); err != nil {
					return err
				}
			}
		}
		return nil
	})
	idsOf := func(list []Entity) []string {
		var out []string
		for _, e := range list {
			out = append(out, e.ID)
		}
		return out
	}
	tests := []struct {
		name          string
		kind          string
		limit, offset int
		want          []string
	}{
		{"first page", "patient", 3, 0, []string{"patient-0", "patient-1", "patient-2"}},
		{"second page", "patient", 3, 3, []string{"patient-3", "patient-4", "patient-5"}},
		{"last page", "patient", 3, 9, []string{"patient-9"}},
		{"past the end", "patient", 3, 10, nil},
		{"no limit", "appointment", 0, 8, []string{"appointment-8", "appointment-9"}},
		{"negative offset", "appointment", 1, -5, []string{"appointment-0"}},
		{"unknown kind", "invoice", 10, 0, nil},
	}
	view(t, db, func(tx *Tx) error {
		for _, tt := range tests {
			got, err := tx.EntitiesOfKind(ctx, tt.kind, tt.limit, tt.offset)
			if err != nil || !reflect.DeepEqual(idsOf(got), tt.want) {
				t.Errorf("%s: %v, %v; want %v", tt.name, idsOf(got), err, tt.want)
			}
		}
		for kind, want := range map[string]int{"patient": 10, "appointment": 10, "invoice": 0, "": 20} {
			n, err := tx.CountEntities(ctx, kind)
			if err != nil || n != want {
				t.Errorf("CountEntities(%q) = %d, %v; want %d", kind, n, err, want)
			}
		}
		return nil
	})
}

// TestEntitiesByPage: Entities finds, more than a page at a time, the
// stored records (ids in hex or not), leaves out a record known only by
// its binding and one the store has never seen, and what it learned holds
// in the same transaction: the bound record has no state, the unknown one
// can be stored, and records with and without index terms are indexed
// anew.
func TestEntitiesByPage(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	var stored []Entity
	update(t, db, func(tx *Tx) error {
		for i := range 70 {
			e := Entity{ID: fmt.Sprintf("%032x", i+1), Kind: "patient", Scope: "frontdesk", State: []byte{byte(i)}, Lamport: uint64(i), Updated: int64(i)}
			if i == 5 {
				e.ID = "key/frontdesk" // not hex
			}
			if err := tx.PutEntity(ctx, e); err != nil {
				return err
			}
			stored = append(stored, e)
		}
		if err := tx.SetIndex(ctx, stored[0].ID, toks("okafor", "amara")); err != nil {
			return err
		}
		return tx.PutBinding(ctx, Binding{Entity: "bound-only", Kind: "note", Scope: "clinical", Lamport: 1, Device: "d1", Seq: 1})
	})
	update(t, db, func(tx *Tx) error {
		ids := []string{"bound-only", "never-seen"}
		for _, e := range stored {
			ids = append(ids, e.ID)
		}
		got, err := tx.Entities(ctx, ids)
		if err != nil {
			return err
		}
		if len(got) != len(stored) {
			t.Errorf("%d entities found, want %d", len(got), len(stored))
		}
		for _, want := range stored {
			if e, ok := got[want.ID]; !ok || !reflect.DeepEqual(e, want) {
				t.Errorf("entity %s: %+v, %v; want %+v", want.ID, e, ok, want)
			}
		}
		if _, err := tx.Entity(ctx, "bound-only"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a record known by its binding only: %v, want ErrNotFound", err)
		}
		// One record had index terms, the others none: both are indexed
		// anew as they were before.
		if err := tx.SetIndexes(ctx, map[string][][]byte{stored[0].ID: toks("amara", "lagos"), stored[1].ID: toks("okafor")}); err != nil {
			return err
		}
		return tx.PutEntity(ctx, Entity{ID: "never-seen", Kind: "patient", Scope: "frontdesk", State: []byte{1}})
	})
	view(t, db, func(tx *Tx) error {
		if e, err := tx.Entity(ctx, "never-seen"); err != nil || e.Kind != "patient" {
			t.Errorf("the record stored after Entities: %+v, %v", e, err)
		}
		for term, want := range map[string][]string{"okafor": {stored[1].ID}, "amara": {stored[0].ID}, "lagos": {stored[0].ID}} {
			if got, err := tx.Lookup(ctx, toks(term), 0); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("lookup %s: %v, %v; want %v", term, got, err, want)
			}
		}
		return nil
	})
}

// TestEntitiesChangedAgain: the records of a kind more than one applied
// event changed, whatever other kinds and states hold.
func TestEntitiesChangedAgain(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	var envs []Envelope
	for i, e := range []struct {
		entity, kind string
		state        EnvelopeState
	}{
		{"twice", "patient", Applied}, {"twice", "patient", Applied},
		{"once", "patient", Applied}, {"once", "patient", Rejected},
		{"sealed", "patient", Applied}, {"sealed", "patient", Sealed},
		{"note", "note", Applied}, {"note", "note", Applied},
	} {
		env := testEnvelope("d1", uint64(i+1))
		env.Entity, env.Kind, env.State = e.entity, e.kind, e.state
		envs = append(envs, env)
	}
	putEnvelopes(t, db, envs...)
	var got []string
	if err := db.View(ctx, func(tx *Tx) error {
		var err error
		got, err = tx.EntitiesChangedAgain(ctx, "patient")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "twice" {
		t.Errorf("EntitiesChangedAgain(patient) = %v, want [twice]", got)
	}
}
