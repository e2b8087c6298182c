package netsync

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Pushing: the outbox's envelopes, one run of this device's chain at a
// time, into a pack on IPFS (pinned), whose "prev" names the previous
// pack; then the new head is announced.

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
			y.update(func(st *Status) { st.IPFSUp = false; st.LastError = err.Error() })
		case n > 0:
			attempt = 0
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
			y.update(func(st *Status) { st.LastError = err.Error() })
		}
		return
	}
	y.update(func(st *Status) { st.IPFSUp = true })
}

// push sends one pack of waiting envelopes; it returns how many it sent.
func (y *Syncer) push() (int, error) {
	r, err := y.ws.Replica()
	if err != nil {
		return 0, nil
	}
	now := time.Now().UnixMilli()
	var rows []store.Envelope
	var prev string
	var waiting int
	err = r.DB().View(y.ctx, func(tx *store.Tx) error {
		if waiting, err = tx.OutboxLen(y.ctx); err != nil {
			return err
		}
		items, err := tx.Due(y.ctx, now, packChunk)
		if err != nil {
			return err
		}
		for _, it := range items {
			e, err := tx.Envelope(y.ctx, it.EnvelopeID)
			if err != nil {
				return err
			}
			rows = append(rows, e)
		}
		if b, err := tx.Meta(y.ctx, MetaPackHead); err == nil {
			prev = string(b)
		}
		return nil
	})
	y.update(func(st *Status) { st.Waiting = waiting })
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Seq < rows[j].Seq })
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
	p := replica.Pack{Device: r.Device(), From: run[0].Seq, To: run[len(run)-1].Seq, Prev: prev}
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
		_ = r.DB().Update(y.ctx, func(tx *store.Tx) error {
			for _, e := range run {
				if err := tx.MarkFailed(y.ctx, e.ID, err.Error(), now+y.cfg.MinBackoff.Milliseconds()); err != nil {
					return err
				}
			}
			return nil
		})
		return 0, fmt.Errorf("netsync: the clinic's IPFS node did not take the changes (they wait and are retried): %w", err)
	}
	err = r.DB().Update(y.ctx, func(tx *store.Tx) error {
		if err := tx.SetMeta(y.ctx, MetaPackHead, []byte(cid)); err != nil {
			return err
		}
		if err := tx.SetMeta(y.ctx, MetaPackSeq, []byte(strconv.FormatUint(p.To, 10))); err != nil {
			return err
		}
		for _, e := range run {
			if err := tx.MarkSent(y.ctx, e.ID); err != nil {
				return err
			}
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
	y.update(func(st *Status) { st.IPFSUp = true; st.Waiting = max(0, waiting-len(run)) })
	return len(run), nil
}
