package netsync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
// writes every MEDIHAVEN_BENCH_WRITE_EVERY (default 1s), MEDIHAVEN_BENCH_ROUNDS
// times (default 4). `make bench-scale` runs it with 30; without the
// variable it is skipped. MEDIHAVEN_BENCH_CPUPROFILE names a file for a
// CPU profile of the writing (not the set-up). It logs where the time went: the delay split by
// stage (written, pushed, announced, heard, picked by a fetch worker,
// fetched, handed to Apply, applied) and the CPU the test process, Kubo
// and Prosody used per change.
func TestManyWorkstations(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("MEDIHAVEN_BENCH_STATIONS"))
	if n < 2 {
		t.Skip("set MEDIHAVEN_BENCH_STATIONS to a number of workstations (make bench-scale)")
	}
	rounds := 4
	if r, err := strconv.Atoi(os.Getenv("MEDIHAVEN_BENCH_ROUNDS")); err == nil && r > 0 {
		rounds = r
	}
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
	trace := newStageTrace(n)
	stations := make([]station, n)
	for i := range stations {
		stations[i] = openNetStation(t, replica.Params{Identity: id, Clinic: id.Fingerprint()[:32], Anchors: []string{id.Fingerprint()},
			OnChange: func(cs []replica.Changed) { trace.applied(i, cs) }})
	}
	first := stations[0].r
	founding(t, stations[0], id)
	k, _ := first.Key(roles.Admin)
	if _, err := first.Grant(ctx, k, id.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	syncers := make([]*Syncer, n)
	for i, s := range stations {
		c := cfg
		c.onStage = func(s stage, device string, seq uint64) { trace.mark(i, s, device, seq) }
		if syncers[i], err = Start(ctx, c, s, nil); err != nil {
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
	if path := os.Getenv("MEDIHAVEN_BENCH_CPUPROFILE"); path != "" { // the writing alone, not the set-up
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	cpu0, servers0 := processCPU(), childrenCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for i, s := range stations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * every / time.Duration(n)) // spread over the interval
			for r := range rounds {
				f, _ := replica.F(map[string]any{"status": fmt.Sprint(i, "/", r)})
				entity := crypto.NewEventID()[:16] // a token's id: 16 hex digits
				at := time.Now()
				env, err := s.r.Append(ctx, replica.Change{Entity: entity, Kind: "token", Scope: roles.Admin, Fields: f})
				if err != nil {
					t.Error(err)
					return
				}
				trace.written(i, entity, env.Header.Device, env.Header.Seq, at)
				syncers[i].Kick()
				time.Sleep(every)
			}
		}()
	}
	wg.Wait()
	changes := n * rounds
	waitUntil(t, "every change everywhere", 5*time.Minute, func() bool {
		return trace.appliedCount() >= changes*n // each change lands on every workstation (its writer too)
	})
	took := time.Since(start)
	cpu, servers := processCPU()-cpu0, childrenCPU()
	pprof.StopCPUProfile()
	var heard, fetches, handed, applies int64
	for i, y := range syncers {
		c := y.Counts()
		heard += c.Heard - before[i].Heard
		fetches += c.Fetches - before[i].Fetches
		handed += c.Handed - before[i].Handed
		applies += c.Applies - before[i].Applies
	}
	others := float64(changes * (n - 1))
	remote := trace.lags()
	t.Logf("%d workstations each writing every %s, %d rounds, %d changes in %s: propagation p50 %s, p99 %s, max %s; per change and workstation %.2f heads heard, %.2f packs fetched",
		n, every, rounds, changes, took.Round(time.Millisecond), pct(remote, 50), pct(remote, 99), pct(remote, 100), float64(heard)/others, float64(fetches)/others)
	t.Logf("%d Applies on the workstations, %.2f envelopes each", applies, float64(handed)/float64(max(applies, 1)))
	line := fmt.Sprintf("CPU: test process %.2f s (%.0f µs a change applied on a workstation)", cpu.Seconds(), float64(cpu.Microseconds())/others)
	for name, d := range servers {
		d -= servers0[name]
		line += fmt.Sprintf(", %s %.2f s (%.0f µs a change applied)", name, d.Seconds(), float64(d.Microseconds())/others)
	}
	t.Logf("%s; over %s of wall time: %.2f cores", line, took.Round(time.Millisecond), (cpu+sum(servers)-sum(servers0)).Seconds()/took.Seconds())
	for _, l := range trace.split() {
		t.Log(l)
	}
	if float64(fetches)/others > 2 {
		t.Errorf("%.2f packs fetched per change per workstation: want O(1)", float64(fetches)/others)
	}
}

// stageTrace records when each change reached each stage on each
// workstation (TestManyWorkstations).
type stageTrace struct {
	n  int
	mu sync.Mutex
	// by workstation, stage, device and seq: the first time it was reached
	at      map[stageKey]time.Time
	changes []tracedChange
	byID    map[string]int // entity -> index in changes
	done    map[[2]int]time.Time
}

type stageKey struct {
	station int
	s       stage
	device  string
	seq     uint64
}

type tracedChange struct {
	station int
	device  string
	seq     uint64
	at      time.Time
}

func newStageTrace(n int) *stageTrace {
	return &stageTrace{n: n, at: map[stageKey]time.Time{}, byID: map[string]int{}, done: map[[2]int]time.Time{}}
}

func (st *stageTrace) mark(station int, s stage, device string, seq uint64) {
	now := time.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	k := stageKey{station, s, device, seq}
	if _, ok := st.at[k]; !ok {
		st.at[k] = now
	}
}

func (st *stageTrace) written(station int, entity, device string, seq uint64, at time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.byID[entity] = len(st.changes)
	st.changes = append(st.changes, tracedChange{station, device, seq, at})
}

func (st *stageTrace) applied(station int, cs []replica.Changed) {
	now := time.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, c := range cs {
		if i, ok := st.byID[c.ID]; ok && c.Kind == "token" {
			if _, seen := st.done[[2]int{i, station}]; !seen {
				st.done[[2]int{i, station}] = now
			}
		}
	}
}

// appliedCount counts the changes applied, on every workstation. The
// writer's own apply is in the same call as its Append, before written:
// it counts as applied.
func (st *stageTrace) appliedCount() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := len(st.done)
	for i, c := range st.changes {
		if _, ok := st.done[[2]int{i, c.station}]; !ok {
			n++
		}
	}
	return n
}

// lags are the propagation delays to the other workstations, sorted.
func (st *stageTrace) lags() []time.Duration {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []time.Duration
	for k, at := range st.done {
		c := st.changes[k[0]]
		if k[1] != c.station {
			out = append(out, at.Sub(c.at))
		}
	}
	slices.Sort(out)
	return out
}

var stageNames = [...]string{"push", "announce", "heard", "picked", "fetched", "to Apply", "applied"}

// split says how long each step from one stage to the next took, over
// every change and other workstation (p50, p99) and on average for the
// slowest hundredth; a stage not seen (a head covered by a later one)
// counts as reached with the stage before it.
func (st *stageTrace) split() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	type path struct {
		steps [stages + 1]time.Duration
		total time.Duration
	}
	var paths []path
	missing := make([]int, stages)
	for k, appliedAt := range st.done {
		c := st.changes[k[0]]
		if k[1] == c.station {
			continue
		}
		var p path
		last := c.at
		for s := range stages {
			who := k[1]
			if s <= stageAnnounced {
				who = c.station
			}
			at, ok := st.at[stageKey{who, s, c.device, c.seq}]
			if !ok || at.Before(last) || at.After(appliedAt) {
				missing[s]++
				at = last
			}
			p.steps[s] = at.Sub(last)
			last = at
		}
		p.steps[stages] = appliedAt.Sub(last)
		p.total = appliedAt.Sub(c.at)
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		return nil
	}
	slices.SortFunc(paths, func(a, b path) int { return int(a.total - b.total) })
	slow := paths[len(paths)*99/100:]
	out := []string{fmt.Sprintf("delay by step (%d changes × workstations): p50 / p99 / mean of the slowest 1%% (%d, total ≥ %s)",
		len(paths), len(slow), slow[0].total.Round(time.Millisecond))}
	for s := range stages + 1 {
		var all []time.Duration
		var slowSum time.Duration
		for _, p := range paths {
			all = append(all, p.steps[s])
		}
		for _, p := range slow {
			slowSum += p.steps[s]
		}
		slices.Sort(all)
		note := ""
		if s < stages && missing[s] > 0 {
			note = fmt.Sprintf(" (not seen %d times)", missing[s])
		}
		out = append(out, fmt.Sprintf("  → %-9s %8s %8s %8s%s", stageNames[s], pct(all, 50), pct(all, 99), (slowSum/time.Duration(len(slow))).Round(100*time.Microsecond), note))
	}
	return out
}

// pct is the p-th percentile of sorted ds (100: the largest).
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, len(ds)*p/100)].Round(100 * time.Microsecond)
}

// processCPU is the CPU time the test process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childrenCPU is the CPU time the test process's running children (Kubo,
// Prosody) used so far, by command name, from /proc.
func childrenCPU() map[string]time.Duration {
	out := map[string]time.Duration{}
	self := strconv.Itoa(os.Getpid())
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:]) // state, ppid, ...: utime and stime are fields 14 and 15 of stat
		if len(f) < 13 || f[1] != self {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stt, _ := strconv.ParseInt(f[12], 10, 64)
		out[s[open+1:end]] += time.Duration(ut+stt) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	}
	return out
}

func sum(m map[string]time.Duration) time.Duration {
	var d time.Duration
	for _, v := range m {
		d += v
	}
	return d
}
