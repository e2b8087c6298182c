package replica

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// A catch-up or a join applies thousands of envelopes, and each allocates
// tens of kilobytes that die at once (parsed packets, opened payloads,
// rows read back): with Go's default target the collector ran every few
// milliseconds and marked during 18% of a newcomer's apply (issue 17).
// While an Apply has at least bulkEnvelopes to apply or to open, the
// collector's target is raised (bulkGCPercent) under a memory limit of
// what the process holds when it starts plus bulkHeadroom (or plus as
// much again, when it holds more: never less room than Go's default
// target gives), so the peak stays bounded; both are given back when the
// last such Apply of the process ends (Applies of several replicas in one
// process, as in tests, share one raise). Nothing else in Medihaven sets
// them. benchscale, a newcomer applying 20,000 patients and their
// appointments, four rounds back to back (13:22 UTC, load 2.6-4.6): 6.6 s
// mean -> 4.7 s with 64 MiB of headroom, the same with 128 MiB; peak RSS
// of its five workstations 182-197 -> 219-236 MB (253-269 with 128 MiB).

const (
	bulkEnvelopes = 1000
	bulkGCPercent = 400
	bulkHeadroom  = 64 << 20
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
	held := heldByGo()
	debug.SetMemoryLimit(min(bulk.limit, held+max(bulkHeadroom, min(held, math.MaxInt64/4))))
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

// heldByGo is the memory the Go runtime holds now, as its memory limit
// counts it: what it mapped less what it gave back to the system.
func heldByGo() int64 {
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 || sample[1].Value.Kind() != metrics.KindUint64 {
		return math.MaxInt64 / 2 // not known: no limit of its own
	}
	held := sample[0].Value.Uint64() - min(sample[1].Value.Uint64(), sample[0].Value.Uint64())
	return int64(min(held, math.MaxInt64/2))
}
