package store

import (
	"context"
	"testing"
)

// TestUpdateIsDurable: an Update's commit is synced to the disk
// (synchronous=FULL in effect for its transaction), an UpdateRefetchable's
// is not (NORMAL), in any order, and a refetchable one never leaves the
// writer at NORMAL for the Update after it.
func TestUpdateIsDurable(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	type write func(context.Context, func(*Tx) error) error
	durable, refetchable := write(db.Update), write(db.UpdateRefetchable)
	steps := []struct {
		name string
		do   write
		want int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{
		{"first update", durable, 2},
		{"an apply of others' envelopes", refetchable, 1},
		{"another apply", refetchable, 1},
		{"an own write after applies", durable, 2},
		{"an own write again", durable, 2},
		{"an apply after own writes", refetchable, 1},
	}
	for _, s := range steps {
		var got int
		err := s.do(ctx, func(tx *Tx) error {
			if err := tx.SetMeta(ctx, "step", []byte(s.name)); err != nil {
				return err
			}
			return tx.tx.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got)
		})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.want {
			t.Errorf("%s: synchronous = %d in its transaction, want %d", s.name, got, s.want)
		}
	}
	// A refetchable write whose context ends before it begins leaves the
	// next Update durable.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.UpdateRefetchable(cancelled, func(*Tx) error { return nil }); err == nil {
		t.Error("an update with an ended context ran")
	}
	var got int
	if err := db.Update(ctx, func(tx *Tx) error {
		return tx.tx.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&got)
	}); err != nil || got != 2 {
		t.Errorf("the update after: synchronous = %d, %v; want 2", got, err)
	}
}
