package netsync

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Heads heard while the workstation was busy are fetched and applied
// together (issue 17: thirty workstations all writing). A fetch worker
// takes every head waiting in a lane of its own, up to jobHeads: one read
// of what this workstation holds, the packs fetched in parallel, one more
// read, and one Apply (one transaction) for all of them, instead of a
// read, a walk, a read and an Apply per head. A quiet workstation hears
// one head at a time and takes it at once; a busy one takes more per
// round the busier it is. Every envelope is still verified and judged by
// the replica on its own.
//
// Only the common case goes together: a head's pack holds the announced
// event and follows what this workstation stores. Any other head is
// caught up alone afterwards, as before (fetchHead): one whose walk goes
// further back (from the pack read), a pack larger than its share of the
// worker's memory, a block that is not a pack of its device, a head of
// this workstation's own device, and retries, which wait on the node's
// peers.

const (
	// jobHeads bounds the heads one fetch worker takes at once.
	jobHeads = 32
	// togetherFetches bounds the packs one worker fetches at once.
	togetherFetches = 8
)

// fetchTogether fetches and applies heads of different devices together
// and reports the outcome of each, in the order given.
func (y *Syncer) fetchTogether(hs []headTry) []fetchResult {
	out := make([]fetchResult, len(hs))
	for i, h := range hs {
		out[i].h = h
	}
	if len(hs) == 1 && hs[0].tries > 0 {
		out[0].changed, out[0].err = y.fetchHead(hs[0])
		return out
	}
	r, err := y.ws.Replica()
	if err != nil {
		return out // locked: the heads come again
	}
	c := y.group.expect() // group.go
	defer c.arrived()
	var alone []int // caught up one by one, afterwards
	live, err := y.notHeld(r, hs, &alone)
	if err != nil {
		for i := range out {
			out[i].err = err
		}
		return out
	}
	packs := y.fetchPacks(hs, live, out, &alone)
	batch, further, err := y.following(r, hs, packs)
	if err != nil { // every head fetched fails alike and is tried again
		for i, fp := range packs {
			if fp != nil {
				out[i].err = err
				y.inflight(-fp.size)
			}
		}
	}
	y.applyTogether(r, hs, packs, batch, out, c)
	c.arrived() // what follows is applied alone
	for _, i := range batch {
		y.inflight(-packs[i].size)
	}
	for _, i := range further { // its walk goes on from the pack read
		y.inflight(-packs[i].size)
		out[i].changed, out[i].err = y.fetchHeadFrom(hs[i], packs[i])
	}
	for _, i := range alone {
		out[i].changed, out[i].err = y.fetchHead(hs[i])
	}
	return out
}

// notHeld returns the heads that name something this workstation does
// not hold yet, in one read. Retries, and heads of this workstation's own
// device that are not exactly its own event, go alone.
func (y *Syncer) notHeld(r *replica.Replica, hs []headTry, alone *[]int) (live []int, err error) {
	var stale int64
	var later []int
	err = r.DB().View(y.ctx, func(tx *store.Tx) error {
		live, later, stale = live[:0], later[:0], 0
		for i, h := range hs {
			if h.tries > 0 {
				later = append(later, i)
				continue
			}
			held, err := holdsIn(y.ctx, tx, r, h.Announcement)
			switch {
			case err != nil:
				return err
			case held:
				stale++
			case h.Device == r.Device():
				later = append(later, i)
			default:
				live = append(live, i)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	*alone = append(*alone, later...)
	y.stale.Add(stale)
	return live, nil
}

// fetchedPack is a head's pack read from the node's store.
type fetchedPack struct {
	step walkStep
	size int64
	have map[uint64]string // what this workstation stores of its range
}

// fetchPacks reads the packs of heads live from the node's own store, in
// parallel, each within an equal share of the worker's memory. A head
// whose pack does not come is given its error in out; one whose block is
// too large or not a pack of its device holding the announced event goes
// alone (its walk reports what is wrong with it).
func (y *Syncer) fetchPacks(hs []headTry, live []int, out []fetchResult, alone *[]int) []*fetchedPack {
	packs := make([]*fetchedPack, len(hs))
	if len(live) == 0 {
		return packs
	}
	share := max(y.fetchShare()/int64(len(live)), 1)
	errs := make([]error, len(hs))
	raws := make([][]byte, len(hs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, togetherFetches)
	for _, i := range live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(y.ctx, localTimeout)
			raws[i], errs[i] = y.ipf.GetLocal(ctx, hs[i].CID, share)
			cancel()
		}()
	}
	wg.Wait()
	up, down := false, false
	for _, i := range live {
		a, err := hs[i].Announcement, errs[i]
		switch {
		case errors.Is(err, ipfs.ErrTooLarge):
			up = true
			*alone = append(*alone, i)
			continue
		case err != nil:
			down = down || !errors.Is(err, ipfs.ErrNotFound)
			out[i].err = fmt.Errorf("netsync: fetch changes of another workstation from IPFS: %w", err)
			continue
		}
		up = true
		y.fetches.Add(1)
		p, err := replica.ParsePack(raws[i])
		if err == nil {
			err = packFits(p, a, 0)
		}
		if err != nil {
			*alone = append(*alone, i)
			continue
		}
		y.mark(stageFetched, p.Device, p.From, p.To)
		packs[i] = &fetchedPack{step: walkStep{cid: a.CID, from: p.From, to: p.To, pack: &p}, size: int64(len(raws[i]))}
		y.inflight(packs[i].size)
	}
	switch {
	case down:
		y.update(func(st *Status) { st.IPFSUp = false })
	case up:
		y.update(func(st *Status) { st.IPFSUp = true })
	}
	return packs
}

// following returns the heads whose pack follows what this workstation
// stores of their device's chain (or starts it), and keeps in their packs'
// have what it stores of the pack's range, and further, those whose walk
// goes further back, in one read.
func (y *Syncer) following(r *replica.Replica, hs []headTry, packs []*fetchedPack) (batch, further []int, err error) {
	have := make([]map[uint64]string, len(hs))
	err = r.DB().View(y.ctx, func(tx *store.Tx) error {
		batch, further = batch[:0], further[:0]
		for i, fp := range packs {
			if fp == nil {
				continue
			}
			p, device := fp.step.pack, hs[i].Device
			// A pack naming no previous one (a pack sent again) follows
			// only what this workstation stores; if not, the walk asks
			// for what lies between.
			follows := p.From <= 1
			if !follows {
				var err error
				if follows, err = stored(y.ctx, tx, device, p.From-1, ""); err != nil {
					return err
				}
			}
			if !follows {
				further = append(further, i)
				continue
			}
			var err error
			if have[i], err = tx.StoredHashes(y.ctx, device, p.From, p.To); err != nil {
				return err
			}
			batch = append(batch, i)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, i := range batch {
		packs[i].have = have[i]
	}
	return batch, further, nil
}

// applyTogether applies the packs of heads batch, at most about
// applyChunk envelopes per Apply, and notes each head's outcome in out;
// a device whose envelopes arrived altered is asked for them again.
func (y *Syncer) applyTogether(r *replica.Replica, hs []headTry, packs []*fetchedPack, batch []int, out []fetchResult, c *coming) {
	var raws [][]byte
	var in []int
	flush := func() {
		if len(in) == 0 {
			return
		}
		for _, i := range in {
			y.mark(stageApplying, hs[i].Device, packs[i].step.from, packs[i].step.to)
		}
		var altered map[string]bool
		var changed bool
		var err error
		if len(raws) > 0 {
			altered, changed, err = y.applyGrouped(r, raws, c) // group.go
		}
		for _, i := range in {
			out[i].changed, out[i].err = changed, err
			if err == nil && altered[hs[i].Device] {
				y.askMissing(r, hs[i].Announcement)
			}
			y.setBehind(hs[i].Device, 0)
		}
		raws, in = raws[:0], in[:0]
	}
	for _, i := range batch {
		own, _, unparsed := y.ownEnvelopes(&packs[i].step)
		if unparsed > 0 {
			// Bytes that do not parse are altered: Apply reports them,
			// as this device's, on their own.
			flush()
			altered, changed, err := y.applyRaws(r, y.freshOf(own, packs[i].have), hs[i].Device)
			out[i].changed, out[i].err = changed, err
			if err == nil && altered[hs[i].Device] {
				y.askMissing(r, hs[i].Announcement)
			}
			y.setBehind(hs[i].Device, 0)
			continue
		}
		raws = append(raws, y.freshOf(own, packs[i].have)...)
		in = append(in, i)
		if len(raws) >= applyChunk {
			flush()
		}
	}
	flush()
}

// askMissing asks a's device again for what of its chain below a.Seq
// arrived altered (as fetchHead does after a walk).
func (y *Syncer) askMissing(r *replica.Replica, a replica.Announcement) {
	want, err := y.missing(r, a.Device, a.Seq)
	if err == nil && want > 0 && !y.ownDevice(a.Device) {
		y.askAgain(replica.Want{Device: a.Device, Seq: want})
	}
}
