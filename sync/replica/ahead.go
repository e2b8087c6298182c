package replica

import (
	"context"
	"sync"
)

// Checking a batch ahead of its Apply (issue 17). An Apply checks its
// envelopes on every core while it stores them (check, arrive), but then
// settles, writes the search index and commits on one core while the
// others wait: for a newcomer's catch-up of 5,000 envelopes an Apply,
// about a third of the applying goroutine's time, with nothing for the
// other core to do. A caller that has its next batch in hand (a catch-up
// applies one after another) hands it to Ahead before it applies the one
// before: its signatures are verified and its payloads opened while that
// Apply settles and commits, and ApplyAhead then applies it as Apply
// would.
//
// What the check learns is what it learns in Apply: that the key with the
// author's fingerprint signed the bytes, and the fields a scope key opens.
// It begins once the Apply before it has stored its arrivals, so the
// public keys and grants that batch brought are known to it; every rule is
// judged at ApplyAhead, against what is then committed, as in Apply (an
// envelope its author's key was not known for is verified then). A payload
// opened with a key the replica no longer holds as it was (the Apply
// before failed and was rolled back) is opened again (applyContent).

// Ahead is a batch of envelopes being checked ahead of its Apply.
type Ahead struct {
	raws    [][]byte
	once    sync.Once     // begins the check, or drops it
	c       *checking     // set by once
	now     chan struct{} // closed when it is applied or dropped: no waiting then
	hurried sync.Once
	arrived chan struct{} // closed when its Apply stored its arrivals (or it was dropped)
	ended   sync.Once
}

// Ahead begins checking raws for an ApplyAhead to come, on every core,
// once the batch handed to Ahead before it has been stored by its
// ApplyAhead (or dropped). Every Ahead is applied (ApplyAhead) or dropped
// (Drop), in the order they were made.
func (r *Replica) Ahead(raws [][]byte) *Ahead {
	a := &Ahead{raws: raws, now: make(chan struct{}), arrived: make(chan struct{})}
	r.aheadMu.Lock()
	before := r.lastArrived
	r.lastArrived = a.arrived
	r.aheadMu.Unlock()
	go func() {
		if before != nil {
			select {
			case <-before:
			case <-a.now:
			}
		}
		a.begin(r)
	}()
	return a
}

// begin starts the check (once).
func (a *Ahead) begin(r *Replica) {
	a.once.Do(func() { a.c = r.check(a.raws) })
}

// hurry ends the wait for the batch before it.
func (a *Ahead) hurry() { a.hurried.Do(func() { close(a.now) }) }

// arrive lets the next batch's check begin.
func (a *Ahead) arrive() { a.ended.Do(func() { close(a.arrived) }) }

// Drop gives up a batch handed to Ahead that will not be applied: its
// check ends, and the next batch's check may begin.
func (a *Ahead) Drop() {
	a.once.Do(func() {})
	a.hurry()
	if a.c != nil {
		a.c.stop()
	}
	a.arrive()
	a.raws, a.c = nil, nil
}

// ApplyAhead applies a batch handed to Ahead, as Apply applies its
// envelopes: what its check found is used, every rule is judged now.
func (r *Replica) ApplyAhead(ctx context.Context, a *Ahead) (Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() {
		a.arrive()
		a.raws, a.c = nil, nil
	}()
	a.hurry()
	return r.apply(ctx, len(a.raws), func() *checking {
		a.begin(r) // at once: no Apply is under way
		return a.c
	}, a.arrive)
}
