package netsync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	params, founder, second, third, here := fourStations(t)
	y := applySyncer(here)
	stations := []station{founder, second, third}
	for i, o := range applyQueued(t, y, here, stations...) {
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

// TestApplyGroupedFailingBatch: when a group's Apply fails, each batch is
// applied alone, once, in queue order, and gets its own outcome: a good
// batch grouped with a failing one is applied, only the failing one gets
// the error. The failure is the real store's: a trigger in the receiving
// workstation's database refuses the failing chain's envelopes, as a disk
// refuses a write (sync/replica's TestUnsealFailedWrite does the same).
func TestApplyGroupedFailingBatch(t *testing.T) {
	tests := []struct {
		name    string
		batches int   // the chains of the founder, the second, the third, queued in that order
		fail    []int // the batches whose envelopes the store refuses
		applies int64 // Apply calls in all
	}{
		{"none fails: one Apply", 3, nil, 1},
		{"the second of two fails", 2, []int{1}, 3},
		{"the first of two fails", 2, []int{0}, 3},
		{"the middle one of three fails", 3, []int{1}, 4},
		{"both fail", 2, []int{0, 1}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, founder, second, third, here := fourStations(t)
			stations := []station{founder, second, third}[:tt.batches]
			failing := map[int]bool{}
			for _, i := range tt.fail {
				failing[i] = true
				refuseDevice(t, here, stations[i].r.Device())
			}
			y := applySyncer(here)
			outs := applyQueued(t, y, here, stations...)
			for i, o := range outs {
				stored := storedOf(t, here, stations[i].r.Device())
				switch {
				case failing[i] && (o.err == nil || stored != 0):
					t.Errorf("batch %d, refused by the store: error %v, %d envelopes stored; want an error and none", i, o.err, stored)
				case !failing[i] && (o.err != nil || !o.changed || stored == 0):
					t.Errorf("batch %d: changed %v, %v, %d envelopes stored; want it applied", i, o.changed, o.err, stored)
				}
			}
			if c := y.Counts(); c.Applies != tt.applies {
				t.Errorf("%d Applies, want %d", c.Applies, tt.applies)
			}
			if n := len(y.group.queued); n != 0 {
				t.Errorf("%d batches left queued", n)
			}
		})
	}
}

// refuseDevice makes s's store refuse every envelope of device, with a
// trigger on its database file.
func refuseDevice(t *testing.T, s station, device string) {
	t.Helper()
	disk, err := sql.Open("sqlite3", s.r.DB().Path())
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	if _, err := disk.Exec(fmt.Sprintf(`CREATE TRIGGER "test_refuse_%s" BEFORE INSERT ON envelopes
		WHEN NEW.device = '%s' BEGIN SELECT RAISE(ABORT, 'the disk refuses'); END`, device, device)); err != nil {
		t.Fatal(err)
	}
}

// applySyncer is a Syncer of here that applies, with no servers.
func applySyncer(here station) *Syncer {
	return &Syncer{ws: here, ctx: context.Background(), cfg: Config{MinBackoff: 1, MaxBackoff: 1},
		asked: map[string]time.Time{}, answered: map[asker]time.Time{}, behind: map[string]int{}}
}

// applyOutcome is what applyGrouped returned to one worker.
type applyOutcome struct {
	changed bool
	err     error
}

// applyQueued queues the chain of each of from, in that order, while an
// Apply runs (the test holds the apply lock), as the fetch workers would,
// then lets them be applied and returns each worker's outcome.
func applyQueued(t *testing.T, y *Syncer, here station, from ...station) []applyOutcome {
	t.Helper()
	y.group.mu.Lock()
	outs := make([]applyOutcome, len(from))
	var wg sync.WaitGroup
	for i, s := range from {
		raws := chainOf(t, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, outs[i].changed, outs[i].err = y.applyGrouped(here.r, raws, nil)
		}()
		waitUntil(t, fmt.Sprintf("%d batches queued", i+1), time.Minute, func() bool {
			y.group.qmu.Lock()
			defer y.group.qmu.Unlock()
			return len(y.group.queued) == i+1
		})
	}
	y.group.mu.Unlock()
	wg.Wait()
	return outs
}

// TestAwaitComing: while the next group would be one batch alone and
// another worker still reads packs, awaitComing waits for that worker's
// batch (or for it to have none), and no longer than its bound when the
// batch never comes. The bound is an hour where the test must see it
// return for another reason.
func TestAwaitComing(t *testing.T) {
	queue := func(g *groupApply, c *coming) {
		g.qmu.Lock()
		g.queued = append(g.queued, &groupBatch{})
		g.qmu.Unlock()
		c.arrived()
	}
	tests := []struct {
		name           string
		queued, coming int
		bound          time.Duration
		// then is what happens while it waits (to the first worker
		// coming); nil: nothing, it must return by itself.
		then func(g *groupApply, c *coming)
	}{
		{"nobody reading packs: at once", 1, 0, time.Hour, nil},
		{"two batches queued already: at once", 2, 1, time.Hour, nil},
		{"waits for the batch that is coming", 1, 1, time.Hour, queue},
		{"waits for a worker that has no batch", 1, 1, time.Hour, func(_ *groupApply, c *coming) { c.arrived() }},
		{"of two workers reading, one batch makes a group", 1, 2, time.Hour, queue},
		{"a batch that never comes: the bound", 1, 1, groupWait, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &groupApply{wait: tt.bound}
			for range tt.queued {
				g.queued = append(g.queued, &groupBatch{})
			}
			var cs []*coming
			for range tt.coming {
				cs = append(cs, g.expect())
			}
			returned := make(chan struct{})
			go func() {
				g.awaitComing()
				close(returned)
			}()
			if tt.then != nil {
				done := func() bool {
					select {
					case <-returned:
						return true
					default:
						return false
					}
				}
				waitUntil(t, "awaitComing waiting", time.Minute, func() bool {
					g.qmu.Lock()
					defer g.qmu.Unlock()
					return g.wake != nil || done()
				})
				if done() {
					t.Fatal("awaitComing returned before the worker it waits for arrived")
				}
				tt.then(g, cs[0])
			}
			select {
			case <-returned:
			case <-time.After(time.Minute):
				t.Fatal("awaitComing did not return")
			}
		})
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
