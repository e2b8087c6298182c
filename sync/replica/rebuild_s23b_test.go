package replica

// Session 23 (h-rejudge23): the seal's rebuild (rebuildRows) judges every
// event again from the start. On an honest store it must change nothing;
// on a store whose states were edited it must come to what the clinic
// decided; and its cost is measured.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// rebuildClinic is newClinic with some history: patients, an allergy, a
// revocation and the revoked physician's patient written after it, and a
// receptionist's allergy written with modified software (refused for her
// role). The receptionist's own store holds that allergy applied, as her
// software wrote it.
func rebuildClinic(t *testing.T) (c *clinic, late, forgery *crypto.Envelope) {
	c = newClinic(t)
	for i := range 5 {
		c.sRecep.patient(fmt.Sprint("Patient ", i))
	}
	c.sPhys.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"substance": "penicillin"})})
	c.sPh2.patient("Before her revocation")
	exchange(t, c.stations()...)
	c.revoke(c.phys2)
	late = c.sPh2.patient("After her revocation")
	forgery = c.sRecep.forge(forged{Entity: crypto.NewEventID(), Kind: "allergy", Scope: string(roles.Clinical),
		Fields: fields(t, map[string]any{"substance": "latex"})})
	exchange(t, c.stations()...)
	return c, late, forgery
}

// statesOf is every envelope's state and rule on s, by id.
func (s *station) statesOf() map[string]string {
	s.t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		return tx.EachEnvelope(ctx, func(e store.Envelope) error {
			out[e.ID] = fmt.Sprintf("%v/%s", e.State, e.Rule)
			return nil
		})
	}); err != nil {
		s.t.Fatal(err)
	}
	return out
}

func (s *station) headsOf() map[string]uint64 {
	s.t.Helper()
	hs, err := s.r.Heads(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, h := range hs {
		out[h.Device] = h.Seq
	}
	return out
}

// TestRebuildRowsHonestStoreUnchanged: on every honest workstation the
// rebuild judges every event as it was judged, and makes the same
// records and heads.
func TestRebuildRowsHonestStoreUnchanged(t *testing.T) {
	c, late, forged := rebuildClinic(t)
	for _, s := range []*station{c.sAdmin, c.sPhys, c.sPh2} {
		if st, why := s.stateOf(late); st != store.Rejected {
			t.Fatalf("setup: the revoked physician's late patient on %s: %v (%s)", s.p.name, st, why)
		}
		if st, why := s.stateOf(forged); st != store.Rejected {
			t.Fatalf("setup: the receptionist's allergy on %s: %v (%s)", s.p.name, st, why)
		}
		snap, states, heads := s.snapshot(), s.statesOf(), s.headsOf()
		if err := s.r.rebuildRows(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d := snap.diff(s.snapshot()); d != "" {
			t.Errorf("%s: the rebuild changed what the store made of the log:\n%s", s.p.name, d)
		}
		after := s.statesOf()
		for id, st := range states {
			if after[id] != st {
				t.Errorf("%s: event %s was %s, %s after the rebuild", s.p.name, id, st, after[id])
			}
		}
		if got := s.headsOf(); fmt.Sprint(got) != fmt.Sprint(heads) {
			t.Errorf("%s: heads %v, %v after the rebuild", s.p.name, heads, got)
		}
	}
	// Her own store held her forged allergy applied: judged again, it is
	// refused as everywhere else, and its record is gone.
	if err := c.sRecep.r.rebuildRows(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, why := c.sRecep.stateOf(forged); st != store.Rejected {
		t.Errorf("the receptionist's forged allergy on her own workstation after the rebuild: %v (%s), want refused", st, why)
	}
	if id := forged.Header.Entity; c.sRecep.holdsRecord(id) {
		t.Errorf("the receptionist's forged allergy %s still has a record on her workstation after the rebuild", id)
	}
}

// holdsRecord reports whether s holds a record's row for id.
func (s *station) holdsRecord(id string) bool {
	s.t.Helper()
	_, _, err := s.r.Entity(context.Background(), id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.t.Fatal(err)
	}
	return err == nil
}

// TestRebuildRowsCost measures the rebuild on a workstation holding n
// patients of the receptionist (MEDIHAVEN_REBUILD_N, default 100 and
// 10,000): wall and CPU time, and the heap's peak (MEDIHAVEN_SETTLE_BUDGET
// trims it more often).
func TestRebuildRowsCost(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,000 events")
	}
	ns := []int{100, 10000}
	if v, err := strconv.Atoi(os.Getenv("MEDIHAVEN_REBUILD_N")); err == nil {
		ns = []int{v}
	}
	if v, err := strconv.Atoi(os.Getenv("MEDIHAVEN_SETTLE_BUDGET")); err == nil {
		// The rebuild's memory trimmed more often (trimAgain).
		was := settleBudget
		settleBudget = v
		defer func() { settleBudget = was }()
	}
	for _, n := range ns {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			for done := 0; done < n; done += 500 {
				b := c.sRecep.r.Batch()
				for range min(500, n-done) {
					b.Append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{"family": "P"})})
				}
				if _, err := b.Commit(ctx); err != nil {
					t.Fatal(err)
				}
			}
			c.sPhys.apply(c.sRecep.own()...)
			total := c.sPhys.count(store.Applied) + c.sPhys.count(store.Sealed) + c.sPhys.count(store.Rejected)
			snap := c.sPhys.snapshot()
			runtime.GC()
			var ms0 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			peak, stop := heapPeak()
			start, cpu := time.Now(), cpuTime()
			if err := c.sPhys.r.rebuildRows(ctx); err != nil {
				t.Fatal(err)
			}
			wall, used := time.Since(start), cpuTime()-cpu
			stop()
			t.Logf("rebuild of %d events (%d patients): %v wall, %v CPU (%.0f µs an event); heap in use %d MB before, peak %d MB during",
				total, n, ms(wall), ms(used), float64(used.Microseconds())/float64(total), ms0.HeapInuse>>20, peak.Load()>>20)
			if d := snap.diff(c.sPhys.snapshot()); d != "" {
				t.Errorf("the rebuild changed the store:\n%s", d)
			}
		})
	}
}

// heapPeak samples the heap in use every 5 ms until stop.
func heapPeak() (*atomic.Uint64, func()) {
	var peak atomic.Uint64
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return &peak, func() { close(done); <-ended }
}
