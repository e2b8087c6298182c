package netsync

import (
	"sync"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
)

// Applies of fresh heads are committed as a group (issue 17: thirty
// workstations all writing). The fetch workers fetch in parallel, but the
// replica applies one batch at a time (one writer, one lock), so a
// worker's batch used to wait for each Apply before it and then commit
// alone. Now a worker puts its batch in a queue and waits for the apply
// lock; whoever gets it applies every batch queued by then in one Apply
// (one transaction) and hands each worker its outcome: the batches that
// queued behind a running Apply go together into the next. Whoever gets
// the lock first waits, at most groupWait, for the other workers still
// reading packs of fresh heads from the node (a few ms), so that heads
// heard a few ms apart are applied together too; with no other worker
// reading, or other batches queued already, it applies at once. An
// Apply's fixed cost is about 430 µs of CPU (its commit writes whole
// pages), each envelope about 250 µs (one to eight envelopes an Apply,
// measured in session 8, notes/h-sync31), and a quiet workstation of
// thirty all writing applied 1.1-1.2 envelopes an Apply.
//
// Every envelope is still verified and judged by the replica, as in any
// Apply. An error of a group's Apply (the store refused what it wrote)
// may be one batch's fault only: then each batch of the group is applied
// alone, once, in queue order, and gets its own outcome, so that one bad
// batch does not fail the good ones beside it.

// groupWait bounds how long a batch waits for the batches of other
// workers still reading packs.
const groupWait = 10 * time.Millisecond

// groupApply is the queue of batches waiting for the apply lock.
type groupApply struct {
	mu     sync.Mutex // the apply lock: held while one group is applied
	qmu    sync.Mutex // guards the rest
	queued []*groupBatch
	coming int           // workers reading packs whose batch is not queued yet
	wake   chan struct{} // closed when coming goes down
	wait   time.Duration // awaitComing's bound; 0: groupWait (tests set it)
}

// coming is a worker's note that it reads packs of fresh heads whose
// envelopes may come to be applied together.
type coming struct {
	g    *groupApply
	gone bool
}

// expect notes that a worker reads packs of fresh heads; arrived, once
// its batch is queued or it has none.
func (g *groupApply) expect() *coming {
	g.qmu.Lock()
	defer g.qmu.Unlock()
	g.coming++
	return &coming{g: g}
}

// arrived notes that c's batch is queued or that it has none; only the
// first call counts. Called by c's worker alone.
func (c *coming) arrived() {
	if c == nil || c.gone {
		return
	}
	c.gone = true
	c.g.qmu.Lock()
	defer c.g.qmu.Unlock()
	c.g.coming--
	if c.g.wake != nil {
		close(c.g.wake)
		c.g.wake = nil
	}
}

// awaitComing waits, while the next group would be one batch alone,
// until no other worker is reading packs, or groupWait has passed.
func (g *groupApply) awaitComing() {
	bound := g.wait
	if bound == 0 {
		bound = groupWait
	}
	var timeout <-chan time.Time
	for {
		g.qmu.Lock()
		if g.coming == 0 || len(g.queued) > 1 {
			g.qmu.Unlock()
			return
		}
		if g.wake == nil {
			g.wake = make(chan struct{})
		}
		wake := g.wake
		g.qmu.Unlock()
		if timeout == nil {
			t := time.NewTimer(bound)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-wake:
		case <-timeout:
			return
		}
	}
}

// groupBatch is one worker's batch and, once applied, its outcome.
type groupBatch struct {
	r       *replica.Replica
	raws    [][]byte
	done    bool // set, with the outcome, under the apply lock
	altered map[string]bool
	changed bool
	err     error
}

// applyGrouped applies raws (envelopes of packs that follow what this
// workstation stores, none unparsed) with whatever other workers queued
// meanwhile, and returns the outcome of the Apply that took them. c is
// the calling worker's note (expect); nil for none.
func (y *Syncer) applyGrouped(r *replica.Replica, raws [][]byte, c *coming) (altered map[string]bool, changed bool, err error) {
	g := &y.group
	b := &groupBatch{r: r, raws: raws}
	g.qmu.Lock()
	g.queued = append(g.queued, b)
	g.qmu.Unlock()
	c.arrived()

	g.mu.Lock()
	defer g.mu.Unlock()
	for !b.done { // else applied by a worker that held the lock before
		g.awaitComing()
		g.qmu.Lock()
		group, all := g.take()
		g.qmu.Unlock()
		y.applyGroup(group, all)
	}
	return b.altered, b.changed, b.err
}

// applyGroup applies the batches of group (all, their envelopes) in one
// Apply and sets each one's outcome. If that Apply fails and the group
// has more than one batch, each is applied alone, once. Called with the
// apply lock held.
func (y *Syncer) applyGroup(group []*groupBatch, all [][]byte) {
	altered, changed, err := y.applyRaws(group[0].r, all, "")
	if err != nil && len(group) > 1 && y.ctx.Err() == nil {
		for _, o := range group {
			o.altered, o.changed, o.err = y.applyRaws(o.r, o.raws, "")
			o.done = true
		}
		return
	}
	for _, o := range group {
		o.altered, o.changed, o.err, o.done = altered, changed, err, true
	}
}

// take removes from the queue the batches of the next group and returns
// them with their envelopes: the oldest batch and those queued after it
// for the same replica (a workstation that was locked and opened again
// has a new one), up to about applyChunk envelopes. Called with qmu held.
func (g *groupApply) take() (group []*groupBatch, all [][]byte) {
	var rest []*groupBatch
	for _, o := range g.queued {
		if len(group) > 0 && (o.r != group[0].r || len(all)+len(o.raws) > applyChunk) {
			rest = append(rest, o)
			continue
		}
		group = append(group, o)
		all = append(all, o.raws...)
	}
	g.queued = rest
	return group, all
}
