package netsync

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestManyWorkstations is issue 17's thirty workstations: MEDIHAVEN_BENCH_STATIONS
// workstations (of one member, so no admission is needed) on a real Kubo
// and Prosody all write at once; each change must cost each workstation
// O(1) heads heard and packs fetched, and reach the others fast (the
// propagation percentiles are logged; the goal is p99 ≤ 250 ms). Each
// writes every MEDIHAVEN_BENCH_WRITE_EVERY (default 1s). `make
// bench-scale` runs it with 30; without the variable it is skipped.
func TestManyWorkstations(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("MEDIHAVEN_BENCH_STATIONS"))
	if n < 2 {
		t.Skip("set MEDIHAVEN_BENCH_STATIONS to a number of workstations (make bench-scale)")
	}
	const rounds = 4
	every := time.Second // each workstation writes this often
	if d, err := time.ParseDuration(os.Getenv("MEDIHAVEN_BENCH_WRITE_EVERY")); err == nil && d > 0 {
		every = d
	}
	ctx := context.Background()
	cfg := realServers(t)
	id, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	written := map[string]time.Time{} // entity -> when it was written
	var lags []time.Duration
	stations := make([]station, n)
	for i := range stations {
		stations[i] = openNetStation(t, replica.Params{Identity: id, Clinic: id.Fingerprint()[:32], Anchors: []string{id.Fingerprint()},
			OnChange: func(cs []replica.Changed) {
				now := time.Now()
				mu.Lock()
				defer mu.Unlock()
				for _, c := range cs {
					if at, ok := written[c.ID]; ok && c.Kind == "token" {
						lags = append(lags, now.Sub(at))
					}
				}
			}})
	}
	first := stations[0].r
	founding(t, stations[0], id)
	k, _ := first.Key(roles.Admin)
	if _, err := first.Grant(ctx, k, id.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	syncers := make([]*Syncer, n)
	for i, s := range stations {
		if syncers[i], err = Start(ctx, cfg, s, nil); err != nil {
			t.Fatal(err)
		}
		defer syncers[i].Stop()
	}
	for _, s := range stations {
		waitUntil(t, "every workstation holds the key", 2*time.Minute, func() bool { return s.r.Holds(roles.Admin) })
	}
	time.Sleep(2 * time.Second) // the joining's hellos and heads settle
	before := make([]Counts, n)
	for i, y := range syncers {
		before[i] = y.Counts()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i, s := range stations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * every / time.Duration(n)) // spread over the interval
			for r := range rounds {
				f, _ := replica.F(map[string]any{"note": fmt.Sprint(i, "/", r)})
				entity := crypto.NewEventID()
				mu.Lock()
				written[entity] = time.Now()
				mu.Unlock()
				if _, err := s.r.Append(ctx, replica.Change{Entity: entity, Kind: "token", Scope: roles.Admin, Fields: f}); err != nil {
					t.Error(err)
					return
				}
				syncers[i].Kick()
				time.Sleep(every)
			}
		}()
	}
	wg.Wait()
	changes := n * rounds
	waitUntil(t, "every change everywhere", 5*time.Minute, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(lags) >= changes*n // each change lands on every workstation (its writer too)
	})
	took := time.Since(start)
	mu.Lock()
	var remote []time.Duration
	for _, l := range lags {
		if l > time.Millisecond { // the writer's own apply is immediate
			remote = append(remote, l)
		}
	}
	mu.Unlock()
	slices.Sort(remote)
	var heard, fetches int64
	for i, y := range syncers {
		c := y.Counts()
		heard += c.Heard - before[i].Heard
		fetches += c.Fetches - before[i].Fetches
	}
	others := float64(changes * (n - 1))
	t.Logf("%d workstations each writing every %s, %d changes in %s: propagation p50 %s, p99 %s, max %s; per change and workstation %.2f heads heard, %.2f packs fetched",
		n, every, changes, took.Round(time.Millisecond), remote[len(remote)/2].Round(time.Millisecond), remote[len(remote)*99/100].Round(time.Millisecond),
		remote[len(remote)-1].Round(time.Millisecond), float64(heard)/others, float64(fetches)/others)
	if float64(fetches)/others > 2 {
		t.Errorf("%.2f packs fetched per change per workstation: want O(1)", float64(fetches)/others)
	}
}
