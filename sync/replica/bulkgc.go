package replica

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/medihaven/medihaven/sync/store"
)

// A catch-up or a join applies thousands of envelopes, and each allocates
// tens of kilobytes that die at once (parsed packets, opened payloads,
// rows read back): with Go's default target the collector ran every few
// milliseconds and marked during 18% of a newcomer's apply (issue 17).
// While an Apply has at least bulkEnvelopes to apply or to open, the
// collector's target is raised (bulkGCPercent) under a memory limit of
// what the process needs when it starts (its live heap and what Go holds
// besides the heap) plus bulkHeadroom (or plus the live heap again, when
// that is larger: never less room than Go's default target gives), so the
// peak stays bounded and does not creep up over consecutive Applies;
// both are given back when the last such Apply of the process ends
// (Applies of several replicas in one process, as in tests, share one
// raise). The target given back is the one found (the window sets 50,
// windowgc.go); nothing else in Medihaven sets the limit. benchscale, a newcomer applying 20,000 patients and their
// appointments, back to back (13:53 UTC, load 1.5-1.7): 4.3/4.1 s ->
// 4.0/3.8 s (3.8/3.6 in the next pair), CPU 157-164 -> 139-150 us an
// envelope, peak RSS of its five workstations 182-192 -> 176-185 MB
// (128 MiB of headroom: no faster, 239-249 MB). The 100k join over Kubo
// and Prosody (TestJoinOverTheNetwork): the test process's peak 313 ->
// 359 MB before, 282 -> 321 MB with it (a limit on what Go held, garbage
// included, crept up over consecutive Applies: 443 MB). Session 26, the
// 100k newcomer's replay (benchscale -replay -seal, 200,007 envelopes,
// quiet, load 1.1-1.8, the lead): 64 MiB 19.7 / 21.2 / 20.9 / 21.8 s,
// 96 MiB 20.8 / 19.9 s, 128 MiB 18.3 / 19.8 / 20.1 / 20.4 s: the memory
// limit's scavenging (madvise and the faults after it, ~0.9 s of CPU)
// paid less; peak RSS 122 -> 154 (96) / 185 (128) MB. 96 MiB: the
// window's catch-up stays well under issue 17's 300 MB (login ~150 MB).

const (
	bulkEnvelopes = 1000
	bulkGCPercent = 400
	bulkHeadroom  = 96 << 20
	bulkTidy      = time.Second
	// bulkTidyTimeout bounds the checkpoint run bulkTidy after a bulk
	// Apply (endBulk); a later commit checkpoints what it left.
	bulkTidyTimeout = time.Minute
)

var bulk struct {
	sync.Mutex
	n       int   // Applies under way that raised it
	percent int   // what was set before
	limit   int64 // what was set before
}

// raiseGC raises the collector's target for a bulk Apply, once per Apply
// (r.raised); the Apply gives it back when it ends (restoreGC), on every
// path.
func (r *Replica) raiseGC() {
	if r.raised {
		return
	}
	r.raised = true
	bulk.Lock()
	defer bulk.Unlock()
	bulk.n++
	if bulk.n > 1 {
		return
	}
	bulk.limit = debug.SetMemoryLimit(-1)
	needed, live := neededByGo()
	debug.SetMemoryLimit(min(bulk.limit, needed+max(bulkHeadroom, live)))
	bulk.percent = debug.SetGCPercent(bulkGCPercent)
}

// restoreGC gives back what raiseGC raised for this Apply.
func (r *Replica) restoreGC() {
	if !r.raised {
		return
	}
	r.raised = false
	bulk.Lock()
	defer bulk.Unlock()
	bulk.n--
	if bulk.n > 0 {
		return
	}
	debug.SetGCPercent(bulk.percent)
	debug.SetMemoryLimit(bulk.limit)
}

// neededByGo is the memory the Go runtime needs now, as its memory limit
// counts it: the heap the last collection found live and everything Go
// holds besides the heap (goroutine stacks, its own structures); and the
// live heap alone. Both at most a quarter of the int64 range (unknown:
// that, so no limit of its own).
func neededByGo() (needed, live int64) {
	names := []string{"/memory/classes/total:bytes", "/gc/heap/live:bytes", "/memory/classes/heap/objects:bytes",
		"/memory/classes/heap/unused:bytes", "/memory/classes/heap/free:bytes", "/memory/classes/heap/released:bytes"}
	sample := make([]metrics.Sample, len(names))
	for i, n := range names {
		sample[i].Name = n
	}
	metrics.Read(sample)
	const most = math.MaxInt64 / 4
	v := make([]uint64, len(sample))
	for i, m := range sample {
		if m.Value.Kind() != metrics.KindUint64 {
			return most, most
		}
		v[i] = m.Value.Uint64()
	}
	total, heap := v[0], v[2]+v[3]+v[4]+v[5]
	return int64(min(total-min(heap, total)+v[1], most)), int64(min(v[1], most))
}

// bulk readies the store's writer for bulk writes (store.Tx.Bulk: fewer
// checkpoints of its log) in tx, once an Apply raised the
// collector's target (the same measure of a bulk: thousands of envelopes
// to apply or to open); the Apply gives it back when it ends (endBulk),
// on every path.
func (r *Replica) bulk(ctx context.Context, tx *store.Tx) error {
	if !r.raised || r.bulked {
		return nil
	}
	if r.tidy != nil {
		r.tidy.Stop()
	}
	if err := tx.Bulk(ctx); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	r.bulked = true
	return nil
}

// endBulk gives the store's writer back what bulk changed, even when the
// Apply's context was cancelled. The write-ahead log the bulk left is
// checkpointed bulkTidy later, unless another bulk Apply began (a
// catch-up hands its envelopes in many Applies: each would copy the same
// index pages to the file again), so the first write after a catch-up
// does not wait for it. That checkpoint is housekeeping: if it fails, the
// next commit checkpoints.
func (r *Replica) endBulk(ctx context.Context) error {
	if !r.bulked {
		return nil
	}
	r.bulked = false
	if err := r.p.DB.EndBulk(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	db := r.p.DB
	r.tidy = time.AfterFunc(bulkTidy, func() {
		ctx, cancel := context.WithTimeout(context.Background(), bulkTidyTimeout)
		defer cancel()
		_ = db.Checkpoint(ctx)
	})
	return nil
}
