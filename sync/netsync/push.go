package netsync

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Pushing: this device's chain above the last event pushed (MetaPackSeq),
// one run at a time, into a pack on IPFS (pinned), whose "prev" names the
// previous pack; then the new head is announced. (An outbox table of
// clear rows decided what went out before session 15, and rows gone
// missing kept events home: sec-s15c H6; it is dropped by store migration
// 0012.)

func (y *Syncer) pushLoop() {
	defer y.wg.Done()
	attempt := 0
	for {
		wait := time.Second
		n, err := y.push()
		switch {
		case err != nil:
			attempt++
			wait = y.backoff(attempt)
			y.fail(errIPFS, err, func(st *Status) { st.IPFSUp = false })
		case n > 0:
			attempt = 0
			y.works(errIPFS, nil)
			y.announce()
			continue // more may wait
		default:
			attempt = 0
			y.checkIPFS()
		}
		select {
		case <-y.ctx.Done():
			return
		case <-y.kick:
		case <-time.After(wait):
		}
	}
}

// checkIPFS asks the clinic's IPFS node whether it answers while this
// workstation has nothing to push and has not heard from it yet: a
// workstation whose changes all went out before it last stopped, and
// which fetches nothing new, would otherwise never learn that the node is
// up (Status.IPFSUp stays false).
func (y *Syncer) checkIPFS() {
	if y.Status().IPFSUp {
		return
	}
	ctx, cancel := context.WithTimeout(y.ctx, 5*time.Second)
	defer cancel()
	if err := y.ipf.Ping(ctx); err != nil {
		if y.ctx.Err() == nil {
			y.fail(errIPFS, err, nil)
		}
		return
	}
	y.works(errIPFS, func(st *Status) { st.IPFSUp = true })
}

// Unsent returns how many of device's own events (this workstation's)
// have not been pushed: its chain above the last pushed seq (MetaPackSeq).
// That chain is what push sends.
func Unsent(ctx context.Context, tx *store.Tx, device string) (int, error) {
	return unsentBy(ctx, tx, device, MetaPackSeq)
}

// unsentBy is Unsent for the chain whose last pushed seq the meta seqKey
// holds.
func unsentBy(ctx context.Context, tx *store.Tx, device, seqKey string) (int, error) {
	pushed, err := pushedSeqBy(ctx, tx, seqKey)
	if err != nil {
		return 0, err
	}
	tip, ok, err := tx.ChainTip(ctx, device)
	if err != nil || !ok || tip.Seq <= pushed {
		return 0, err
	}
	return int(min(tip.Seq-pushed, math.MaxInt32)), nil
}

// pushedSeq returns the seq of the last event pushed (MetaPackSeq), 0 when
// none was.
func pushedSeq(ctx context.Context, tx *store.Tx) (uint64, error) {
	return pushedSeqBy(ctx, tx, MetaPackSeq)
}

// pushedSeqBy is pushedSeq of the meta seqKey.
func pushedSeqBy(ctx context.Context, tx *store.Tx, seqKey string) (uint64, error) {
	b, err := tx.Meta(ctx, seqKey)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	seq, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("netsync: the last pushed seq %q is not a number: %w", b, err)
	}
	return seq, nil
}

// push sends one pack of this workstation's chain above what it pushed
// last; it returns how many envelopes it sent. Once that is all out, the
// chain it moved from goes on likewise above what was pushed of it: a
// restored workstation moves at once (app/move.go), and its backup may
// hold events of the old chain the old computer never sent.
func (y *Syncer) push() (int, error) {
	r, err := y.ws.Replica()
	if err != nil {
		return 0, nil
	}
	n, err := y.pushChain(r, r.Device(), MetaPackHead, MetaPackSeq)
	if err != nil || n > 0 {
		return n, err
	}
	if from := r.MovedFrom(); from != "" {
		return y.pushChain(r, from, metaMovedHead, metaMovedSeq)
	}
	return 0, nil
}

// pushChain is push for device's chain, whose last pack and its last seq
// the metas headKey and seqKey hold.
func (y *Syncer) pushChain(r *replica.Replica, device, headKey, seqKey string) (int, error) {
	own := device == r.Device()
	var rows []store.Envelope
	var prev string
	var pushed uint64
	var waiting int
	err := r.DB().View(y.ctx, func(tx *store.Tx) error {
		var err error
		if waiting, err = unsentBy(y.ctx, tx, device, seqKey); err != nil || waiting == 0 {
			return err
		}
		if pushed, err = pushedSeqBy(y.ctx, tx, seqKey); err != nil {
			return err
		}
		if rows, err = tx.EnvelopesAfter(y.ctx, device, pushed, packChunk); err != nil {
			return err
		}
		if b, err := tx.Meta(y.ctx, headKey); err == nil {
			prev = string(b)
		}
		return nil
	})
	if own {
		y.update(func(st *Status) { st.Waiting = waiting })
	}
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	// A chain that does not go on from what was pushed (a restored
	// profile holding some of the old computer's later events, not all)
	// is pushed from what it holds: the events in between are the old
	// computer's, which pushes them, and receivers ask for a gap
	// (walk.go). Waiting for them would keep this workstation's own
	// writes home for good (session 15 review, h-sec15e).
	// One contiguous run of this device's chain.
	run := rows[:1]
	size := len(rows[0].Raw)
	for _, e := range rows[1:] {
		if e.Seq != run[len(run)-1].Seq+1 || size+len(e.Raw) > packBytes {
			break
		}
		run = append(run, e)
		size += len(e.Raw)
	}
	p := replica.Pack{Device: device, From: run[0].Seq, To: run[len(run)-1].Seq, Prev: prev}
	for _, e := range run {
		p.Envelopes = append(p.Envelopes, e.Raw)
	}
	b, err := p.Encode()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(y.ctx, 30*time.Second)
	defer cancel()
	cid, err := y.ipf.Put(ctx, b)
	if err != nil {
		return 0, fmt.Errorf("netsync: the clinic's IPFS node did not take the changes (they wait and are retried): %w", err)
	}
	err = r.DB().Update(y.ctx, func(tx *store.Tx) error {
		if err := tx.SetMeta(y.ctx, headKey, []byte(cid)); err != nil {
			return err
		}
		if err := tx.SetMeta(y.ctx, seqKey, []byte(strconv.FormatUint(p.To, 10))); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	y.mark(stagePushed, p.Device, p.From, p.To)
	y.mu.Lock()
	y.pushed = append(y.pushed, cid)
	y.mu.Unlock()
	y.update(func(st *Status) {
		st.IPFSUp = true
		if own {
			st.Waiting = max(0, waiting-len(run))
		}
	})
	return len(run), nil
}
