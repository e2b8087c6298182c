package store

import (
	"reflect"
	"testing"
)

// TestSettleQueries: the fronts are the pending envelopes that do not wait
// for their predecessor, found in Lamport order a page at a time; a pending
// run stops at a gap; sealed envelopes of a scope's epoch come newest first
// a page at a time; a chain counts as stored when every seq up to it is,
// pending or not; an id or a place taken counts as placed.
func TestSettleQueries(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	var envs []Envelope
	for seq := uint64(1); seq <= 6; seq++ {
		e := testEnvelope("d1", seq)
		if seq >= 3 {
			e.Reason = ChainWait + "2 of this device"
		}
		envs = append(envs, e)
	}
	gap := testEnvelope("d1", 8) // 7 is missing
	d2 := testEnvelope("d2", 1)
	d2.State, d2.Scope = Sealed, "clinical"
	d2b := testEnvelope("d2", 2)
	d2b.State, d2b.Scope = Sealed, "clinical"
	d2c := testEnvelope("d2", 3)
	d2c.State, d2c.Scope, d2c.Epoch = Sealed, "clinical", 2
	d3 := testEnvelope("d3", 1)
	d3.Reason, d3.Lamport = "author's public key not known yet", 0
	putEnvelopes(t, db, append(envs, gap, d2, d2b, d2c, d3)...)
	update(t, db, func(tx *Tx) error { return tx.SetEnvelopeState(ctx, envs[0].ID, Applied, "") })

	view(t, db, func(tx *Tx) error {
		got := pages(t, func(at Cursor) ([]Envelope, error) { return tx.Fronts(ctx, at, 1) })
		if want := []string{d3.ID, envs[1].ID, gap.ID}; !reflect.DeepEqual(got, want) {
			t.Errorf("fronts %v, want %v (d3 at Lamport 0, d1/2, the gap's d1/8)", got, want)
		}
		run, err := tx.PendingRun(ctx, "d1", 2, 0)
		if err != nil || len(run) != 5 || run[4].Seq != 6 {
			t.Errorf("pending run from d1/2: %d envelopes, %v; want 2..6", len(run), err)
		}
		if run, err := tx.PendingRun(ctx, "d1", 3, 2); err != nil || len(run) != 2 {
			t.Errorf("pending run with a limit: %d, %v", len(run), err)
		}
		if n, err := tx.CountPending(ctx); err != nil || n != 7 {
			t.Errorf("%d pending, %v; want 7", n, err)
		}
		for _, tt := range []struct {
			seq  uint64
			want bool
		}{{6, true}, {8, false}, {9, false}} {
			if got, err := tx.ChainStored(ctx, "d1", tt.seq); err != nil || got != tt.want {
				t.Errorf("ChainStored(d1, %d) = %v, %v", tt.seq, got, err)
			}
		}
		hashes, err := tx.StoredHashes(ctx, "d1", 5, 9)
		if err != nil || len(hashes) != 3 || hashes[8] != gap.Hash {
			t.Errorf("stored hashes of d1/5..9: %v, %v", hashes, err)
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		got := pages(t, func(at Cursor) ([]Envelope, error) { return tx.Sealed(ctx, "clinical", 1, at, 1) })
		if want := []string{d2b.ID, d2.ID}; !reflect.DeepEqual(got, want) {
			t.Errorf("sealed of clinical/1 %v, want %v (newest first, not epoch 2)", got, want)
		}
		for _, tt := range []struct {
			scope string
			epoch uint32
			want  bool
		}{{"clinical", 1, true}, {"clinical", 2, true}, {"clinical", 3, false}, {"frontdesk", 1, false}} {
			if got, err := tx.AnySealed(ctx, tt.scope, tt.epoch); err != nil || got != tt.want {
				t.Errorf("AnySealed(%s, %d) = %v, %v", tt.scope, tt.epoch, got, err)
			}
			if n, err := tx.CountSealed(ctx, tt.scope, tt.epoch); err != nil || (n > 0) != tt.want {
				t.Errorf("CountSealed(%s, %d) = %d, %v", tt.scope, tt.epoch, n, err)
			}
		}
		for _, tt := range []struct {
			id, device string
			seq        uint64
			want       bool
		}{{d3.ID, "elsewhere", 9, true}, {"new", "d1", 8, true}, {"new", "d1", 7, false}, {"new", "d9", 1, false}} {
			if got, err := tx.Placed(ctx, tt.id, tt.device, tt.seq); err != nil || got != tt.want {
				t.Errorf("Placed(%s, %s, %d) = %v, %v", tt.id, tt.device, tt.seq, got, err)
			}
		}
		return nil
	})
}

// pages reads a query page by page of one envelope from the zero Cursor
// and returns the ids in order.
func pages(t *testing.T, page func(Cursor) ([]Envelope, error)) []string {
	t.Helper()
	var got []string
	for at := (Cursor{}); ; {
		rows, err := page(at)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			return got
		}
		at = Of(rows[0])
		got = append(got, rows[0].ID)
	}
}
