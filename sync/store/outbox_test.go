package store

import (
	"errors"
	"reflect"
	"testing"
)

func TestOutbox(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	e1, e2, e3 := testEnvelope("d", 1), testEnvelope("d", 2), testEnvelope("d", 3)
	putEnvelopes(t, db, e1, e2, e3)
	update(t, db, func(tx *Tx) error {
		for _, id := range []string{e2.ID, e1.ID, e3.ID} { // enqueue order, all due at 100
			if err := tx.Enqueue(ctx, id, 100); err != nil {
				return err
			}
		}
		return tx.Enqueue(ctx, e2.ID, 50) // again: changes nothing
	})
	if err := db.Update(ctx, func(tx *Tx) error { return tx.Enqueue(ctx, "not stored", 100) }); !errors.Is(err, ErrNotFound) {
		t.Errorf("Enqueue of an unknown envelope: %v, want ErrNotFound", err)
	}

	due := func(now int64, limit int) []OutboxItem {
		t.Helper()
		var items []OutboxItem
		view(t, db, func(tx *Tx) (err error) {
			items, err = tx.Due(ctx, now, limit)
			return err
		})
		return items
	}
	length := func() int {
		t.Helper()
		var n int
		view(t, db, func(tx *Tx) (err error) {
			n, err = tx.OutboxLen(ctx)
			return err
		})
		return n
	}
	item := func(e Envelope, attempts int, next int64, lastError string) OutboxItem {
		return OutboxItem{EnvelopeID: e.ID, Attempts: attempts, NextAttempt: next, LastError: lastError}
	}

	steps := []struct {
		name  string
		act   func(tx *Tx) error
		now   int64
		limit int
		want  []OutboxItem
		len   int
	}{
		{"not due yet", nil, 99, 0, nil, 3},
		{"due in enqueue order", nil, 100, 0, []OutboxItem{item(e2, 0, 100, ""), item(e1, 0, 100, ""), item(e3, 0, 100, "")}, 3},
		{"limit", nil, 100, 2, []OutboxItem{item(e2, 0, 100, ""), item(e1, 0, 100, "")}, 3},
		{"failed one waits for its retry", func(tx *Tx) error { return tx.MarkFailed(ctx, e2.ID, "ipfs: connection refused", 200) },
			150, 0, []OutboxItem{item(e1, 0, 100, ""), item(e3, 0, 100, "")}, 3},
		{"sent one leaves", func(tx *Tx) error { return tx.MarkSent(ctx, e1.ID) },
			150, 0, []OutboxItem{item(e3, 0, 100, "")}, 2},
		{"retry comes due after earlier ones", func(tx *Tx) error { return tx.MarkFailed(ctx, e2.ID, "timeout", 120) },
			150, 0, []OutboxItem{item(e3, 0, 100, ""), item(e2, 2, 120, "timeout")}, 2},
		{"sent twice is fine", func(tx *Tx) error {
			if err := tx.MarkSent(ctx, e3.ID); err != nil {
				return err
			}
			return tx.MarkSent(ctx, e3.ID)
		}, 1000, 0, []OutboxItem{item(e2, 2, 120, "timeout")}, 1},
		{"re-enqueued after sending", func(tx *Tx) error { return tx.Enqueue(ctx, e1.ID, 130) },
			1000, 0, []OutboxItem{item(e2, 2, 120, "timeout"), item(e1, 0, 130, "")}, 2},
	}
	for _, s := range steps {
		if s.act != nil {
			update(t, db, s.act)
		}
		if got := due(s.now, s.limit); !reflect.DeepEqual(got, s.want) {
			t.Errorf("%s: Due(%d) = %+v, want %+v", s.name, s.now, got, s.want)
		}
		if n := length(); n != s.len {
			t.Errorf("%s: OutboxLen = %d, want %d", s.name, n, s.len)
		}
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.MarkFailed(ctx, e3.ID, "x", 1) }); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkFailed of an item not waiting: %v, want ErrNotFound", err)
	}
}
