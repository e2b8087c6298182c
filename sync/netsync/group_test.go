package netsync

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// TestTakeGroup: a group is the oldest batch and those after it for the
// same replica, up to about applyChunk envelopes; the rest stay queued in
// order.
func TestTakeGroup(t *testing.T) {
	r1, r2 := new(replica.Replica), new(replica.Replica)
	batch := func(r *replica.Replica, n int) *groupBatch {
		return &groupBatch{r: r, raws: make([][]byte, n)}
	}
	tests := []struct {
		name      string
		queued    []*groupBatch
		took, was []int // indexes into queued: taken, left queued
		raws      int
	}{
		{"one", []*groupBatch{batch(r1, 3)}, []int{0}, nil, 3},
		{"all of one replica", []*groupBatch{batch(r1, 1), batch(r1, 2), batch(r1, 3)}, []int{0, 1, 2}, nil, 6},
		{"another replica waits", []*groupBatch{batch(r1, 1), batch(r2, 2), batch(r1, 3)}, []int{0, 2}, []int{1}, 4},
		{"the oldest's replica", []*groupBatch{batch(r2, 1), batch(r1, 2), batch(r2, 3)}, []int{0, 2}, []int{1}, 4},
		{"up to applyChunk", []*groupBatch{batch(r1, applyChunk-1), batch(r1, 2), batch(r1, 1)}, []int{0, 2}, []int{1}, applyChunk},
		{"a large batch alone", []*groupBatch{batch(r1, applyChunk+1), batch(r1, 1)}, []int{0}, []int{1}, applyChunk + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &groupApply{queued: append([]*groupBatch(nil), tt.queued...)}
			group, all := g.take()
			if len(all) != tt.raws {
				t.Errorf("%d envelopes taken, want %d", len(all), tt.raws)
			}
			same := func(what string, got []*groupBatch, want []int) {
				ok := len(got) == len(want)
				for i := 0; ok && i < len(want); i++ {
					ok = got[i] == tt.queued[want[i]]
				}
				if !ok {
					t.Errorf("%s %d batches, want %v", what, len(got), want)
				}
			}
			same("took", group, tt.took)
			same("left", g.queued, tt.was)
		})
	}
}

// TestApplyGrouped: batches of several workers queued while an Apply runs
// go together into the next Apply (one transaction), each worker gets its
// outcome, and every envelope is applied; a batch that finds nobody
// applying is applied at once. Real SQLite, no servers.
func TestApplyGrouped(t *testing.T) {
	ctx := context.Background()
	params, founder, second, third, here := fourStations(t)
	y := &Syncer{ws: here, ctx: ctx, cfg: Config{MinBackoff: 1, MaxBackoff: 1},
		asked: map[string]time.Time{}, answered: map[string]time.Time{}, behind: map[string]int{}}

	// An Apply is running (the test holds the apply lock): the workers'
	// batches queue.
	y.group.mu.Lock()
	stations := []station{founder, second, third}
	type outcome struct {
		changed bool
		err     error
	}
	outs := make([]outcome, len(stations))
	var wg sync.WaitGroup
	for i, s := range stations {
		raws := chainOf(t, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, outs[i].changed, outs[i].err = y.applyGrouped(here.r, raws, nil)
		}()
	}
	waitUntil(t, "three batches queued", time.Minute, func() bool {
		y.group.qmu.Lock()
		defer y.group.qmu.Unlock()
		return len(y.group.queued) == len(stations)
	})
	y.group.mu.Unlock()
	wg.Wait()
	for i, o := range outs {
		if o.err != nil || !o.changed {
			t.Errorf("batch %d: changed %v, %v", i, o.changed, o.err)
		}
	}
	if c := y.Counts(); c.Applies != 1 {
		t.Errorf("%d Applies, want the three batches in one", c.Applies)
	}
	appliedAll(t, here, stations...)

	// Nobody applying: a batch goes at once, alone.
	fourth := openNetStation(t, params)
	if _, changed, err := y.applyGrouped(here.r, chainOf(t, fourth), nil); err != nil || !changed {
		t.Errorf("a batch alone: changed %v, %v", changed, err)
	}
	if c := y.Counts(); c.Applies != 2 {
		t.Errorf("%d Applies, want 2", c.Applies)
	}
	if n := len(y.group.queued); n != 0 {
		t.Errorf("%d batches left queued", n)
	}
}

// appliedAll checks that here stores envelopes of every device of from
// and holds none pending or rejected.
func appliedAll(t *testing.T, here station, from ...station) {
	t.Helper()
	ctx := context.Background()
	for _, s := range from {
		if n := storedOf(t, here, s.r.Device()); n == 0 {
			t.Errorf("device %s: nothing stored", s.r.Device()[:8])
		}
	}
	var states map[store.EnvelopeState]int
	if err := here.r.DB().View(ctx, func(tx *store.Tx) error {
		var err error
		states, err = tx.CountEnvelopes(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if states[store.Pending] != 0 || states[store.Rejected] != 0 {
		t.Errorf("envelopes by state %v: want every one applied", states)
	}
}

// chainOf returns the raw envelopes of s's own chain, in order.
func chainOf(t *testing.T, s station) [][]byte {
	t.Helper()
	ctx := context.Background()
	var raws [][]byte
	err := s.r.DB().View(ctx, func(tx *store.Tx) error {
		for seq := uint64(1); ; seq++ {
			e, err := tx.EnvelopeAt(ctx, s.r.Device(), seq)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			raws = append(raws, e.Raw)
		}
	})
	if err != nil || len(raws) == 0 {
		t.Fatalf("%d envelopes of %s's chain: %v", len(raws), s.r.Device()[:8], err)
	}
	return raws
}
