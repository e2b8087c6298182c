package store

import (
	"reflect"
	"testing"
)

// TestSettleQueries: the fronts are the pending envelopes that do not wait
// for their predecessor, found in Lamport order a page at a time; a pending
// run stops at a gap; sealed envelopes reopen by scope; a chain counts as
// stored when every seq up to it is, pending or not.
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
	d3 := testEnvelope("d3", 1)
	d3.Reason, d3.Lamport = "author's public key not known yet", 0
	putEnvelopes(t, db, append(envs, gap, d2, d3)...)
	update(t, db, func(tx *Tx) error { return tx.SetEnvelopeState(ctx, envs[0].ID, Applied, "") })

	view(t, db, func(tx *Tx) error {
		var got []string
		for at := (Cursor{}); ; {
			page, err := tx.Fronts(ctx, at, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			at = Of(page[0])
			got = append(got, page[0].ID)
		}
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
	update(t, db, func(tx *Tx) error {
		if n, err := tx.Reopen(ctx, "key arrived", "frontdesk"); err != nil || n != 0 {
			t.Errorf("reopened %d of frontdesk, %v", n, err)
		}
		if n, err := tx.Reopen(ctx, "key arrived", "clinical", "admin"); err != nil || n != 1 {
			t.Errorf("reopened %d of clinical, %v", n, err)
		}
		e, err := tx.Envelope(ctx, d2.ID)
		if err != nil || e.State != Pending || e.Reason != "key arrived" {
			t.Errorf("reopened envelope %v %q, %v", e.State, e.Reason, err)
		}
		return nil
	})
}
