package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/medihaven/medihaven/app/store"
	"github.com/medihaven/medihaven/sync/replica"
)

// An altered block on IPFS must not cut a workstation off the rest of a
// device's chain. The workstation that received altered bytes keeps nothing
// of them (replica) and asks in the sync room, "mh1 want DEVICE SEQ"; that
// device puts its events from SEQ on IPFS again in a fresh pack (a new CID:
// the altered block may still sit under the old one) and announces it.

// askAgainGap is how often a workstation asks one device again at most.
const askAgainGap = 20 * time.Second

// missing finds where device's chain breaks below top on this workstation:
// the lowest seq of the run of events missing under the events stored
// above it (0 when nothing is missing).
func (y *Syncer) missing(r *replica.Replica, device string, top uint64) (uint64, error) {
	var from uint64
	err := r.DB().View(y.ctx, func(tx *store.Tx) error {
		s := top
		for ; s >= 1; s-- { // past what is stored and waits
			e, err := tx.EnvelopeAt(y.ctx, device, s)
			if errors.Is(err, store.ErrNotFound) {
				break
			}
			if err != nil {
				return err
			}
			if e.State != store.Pending {
				return nil // whole up to here
			}
		}
		for ; s > 1; s-- { // down the run of missing ones
			if _, err := tx.EnvelopeAt(y.ctx, device, s-1); !errors.Is(err, store.ErrNotFound) {
				if err != nil {
					return err
				}
				break
			}
		}
		from = s
		return nil
	})
	return from, err
}

// askAgain asks the device, in the sync room, for its events from w.Seq.
func (y *Syncer) askAgain(w replica.Want) {
	if time.Since(y.asked[w.Device]) < askAgainGap {
		return
	}
	if y.say(w.String()) {
		y.asked[w.Device] = time.Now()
	}
}

// wanted notes a want addressed to this workstation.
func (y *Syncer) wanted(w replica.Want) {
	r, err := y.s.live()
	if err != nil || w.Device != r.Device() {
		return
	}
	y.mu.Lock()
	if y.resendFrom == 0 || w.Seq < y.resendFrom {
		y.resendFrom = w.Seq
	}
	y.mu.Unlock()
	select {
	case y.resend <- struct{}{}:
	default:
	}
}

// resendLoop answers wants, one fresh pack at a time.
func (y *Syncer) resendLoop() {
	defer y.wg.Done()
	for {
		select {
		case <-y.ctx.Done():
			return
		case <-y.resend:
		}
		y.mu.Lock()
		from := y.resendFrom
		y.resendFrom = 0
		y.mu.Unlock()
		if err := y.sendAgain(from); err != nil {
			y.update(func(st *SyncStatus) { st.LastError = err.Error() })
		}
	}
}

// sendAgain puts this workstation's pushed events from seq on IPFS again in
// a fresh pack and announces it.
func (y *Syncer) sendAgain(from uint64) error {
	r, err := y.s.live()
	if err != nil || from == 0 {
		return nil
	}
	p := replica.Pack{Device: r.Device(), From: from, Resent: time.Now().UnixMilli()}
	var last store.Envelope
	err = r.DB().View(y.ctx, func(tx *store.Tx) error {
		pushed, err := tx.Meta(y.ctx, metaPackSeq)
		if err != nil {
			return nil // nothing pushed yet: nothing to send again
		}
		to, err := strconv.ParseUint(string(pushed), 10, 64)
		if err != nil {
			return err
		}
		for s := from; s <= to && s < from+packChunk; s++ {
			e, err := tx.EnvelopeAt(y.ctx, r.Device(), s)
			if err != nil {
				return err
			}
			p.Envelopes = append(p.Envelopes, e.Raw)
			last = e
		}
		return nil
	})
	if err != nil || len(p.Envelopes) == 0 {
		return err
	}
	p.To = last.Seq
	b, err := p.Encode()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(y.ctx, 30*time.Second)
	defer cancel()
	cid, err := y.ipf.Put(ctx, b)
	if err != nil {
		return fmt.Errorf("app: another workstation asked for changes again, but the clinic's IPFS node did not take them: %w", err)
	}
	y.mu.Lock()
	y.pushed = append(y.pushed, cid)
	y.mu.Unlock()
	y.say(replica.Announcement{Device: r.Device(), Seq: p.To, Hash: last.Hash, CID: cid}.String())
	return nil
}
