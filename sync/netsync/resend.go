package netsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// An altered block on IPFS must not cut a workstation off the rest of a
// device's chain. The workstation that received altered bytes keeps nothing
// of them (replica) and asks in the sync room, "mh1 want DEVICE SEQ"; that
// device puts its events from SEQ on IPFS again in a fresh pack (a new CID:
// the altered block may still sit under the old one) and announces it.
//
// A workstation that moved onto a bound id (sync/replica move.go) answers
// for both chains it wrote: its device's and the one it moved from
// (replica.Account), whose last pushed pack it keeps (MoveChain); a pack
// of the old chain lost from IPFS is sent again as any other. Wants name
// a device, and what the resender keeps (the wants waiting, the packs
// sent again, whom it answered lately) is kept per device; the fresh-pack
// budget (maxFresh) is the workstation's, whatever chain it is spent on.

// Answering wants is bounded: anyone with a workstation's account can ask
// as often as it likes, and each answer would be a fresh pinned pack.
// Each requester (by its real XMPP account) is answered at most once per
// askAgainGap; wants that arrive while an answer is prepared, or within
// resendGap of the last, are answered together by one pack (from the
// lowest seq asked); and a pack sent again in the last repackReuse that
// holds the seq asked is announced again instead of making a new one.
const (
	askAgainGap = 20 * time.Second // how often a workstation asks one device again at most
	resendGap   = 5 * time.Second
	repackReuse = 10 * time.Minute
	maxRepacks  = 16
	// maxFresh bounds the fresh packs made in any repackReuse: a want for
	// a seq just below the last repack is held by none, so each would pin
	// a new pack of up to packBytes (session 17 review h-sec17b B). Wants
	// past it wait until the oldest of them is repackReuse old.
	maxFresh  = 4
	maxAskers = 1024
)

// repack is a pack this workstation sent again.
type repack struct {
	device    string // the chain it holds a run of
	from, to  uint64
	hash, cid string // hash of the envelope at to, the pack's CID
	at        time.Time
}

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
		if s == 0 {
			return nil // all stored, waiting on something else
		}
		// The run of missing ones ends at the highest stored below it: one
		// query, whatever seq an announcement named (session 15 review,
		// h-sec15e F2: counting down from 2^40 held a fetch worker for
		// months).
		below, err := tx.HighestBelow(y.ctx, device, s)
		from = below + 1
		return err
	})
	return from, err
}

// askAgain asks the device, in the sync room, for its events from w.Seq.
func (y *Syncer) askAgain(w replica.Want) {
	y.mu.Lock()
	recent := time.Since(y.asked[w.Device]) < askAgainGap
	if !recent {
		y.asked[w.Device] = time.Now()
	}
	y.mu.Unlock()
	if !recent && !y.say(w.String()) {
		y.mu.Lock()
		delete(y.asked, w.Device) // not said: ask again next time
		y.mu.Unlock()
	}
}

// answersFor reports whether this workstation answers wants for device:
// its own chain, or the one it moved from (replica.MovedFrom), which it
// wrote and keeps whole. Wants for any other chain are not its to answer.
func answersFor(r *replica.Replica, device string) bool {
	return device == r.Device() || device == r.MovedFrom()
}

// asker is whom a want was answered for: a requester's account, for one
// device.
type asker struct{ who, device string }

// wanted notes a want addressed to this workstation, said by the account
// requester.
func (y *Syncer) wanted(w replica.Want, requester string) {
	r, err := y.ws.Replica()
	if err != nil || !answersFor(r, w.Device) {
		return
	}
	now := time.Now()
	k := asker{requester, w.Device}
	y.mu.Lock()
	if len(y.answered) >= maxAskers {
		for who, at := range y.answered {
			if now.Sub(at) >= askAgainGap {
				delete(y.answered, who)
			}
		}
	}
	ok := now.Sub(y.answered[k]) >= askAgainGap && len(y.answered) < maxAskers
	if ok {
		y.answered[k] = now
		y.wantsLocked(requester, w.Device, w.Seq)
	}
	y.mu.Unlock()
	if !ok {
		y.update(func(st *Status) { st.Refused++ })
		return
	}
	select {
	case y.resend <- struct{}{}:
	default:
	}
}

// pendingWant is a want not answered yet: one per requester and device,
// the lowest seq it asked.
type pendingWant struct {
	who    string
	device string
	seq    uint64
}

// wantsLocked notes requester's want for device's seq (under mu), after
// the wants of the others: a want is never merged into another's that a
// pack from the lower seq may not hold (session 17 review h-sec17c).
func (y *Syncer) wantsLocked(requester, device string, seq uint64) {
	for i, p := range y.wants {
		if p.who == requester && p.device == device {
			y.wants[i].seq = min(p.seq, seq)
			return
		}
	}
	if len(y.wants) < maxAskers {
		y.wants = append(y.wants, pendingWant{requester, device, seq})
	}
}

// resendLoop answers wants, oldest first, one pack at a time, at most one
// per resendGap; a pack answers every want it holds.
func (y *Syncer) resendLoop() {
	defer y.wg.Done()
	for {
		select {
		case <-y.ctx.Done():
			return
		case <-y.resend:
		}
		y.mu.Lock()
		if len(y.wants) == 0 {
			y.mu.Unlock()
			continue
		}
		// A want a recent pack holds costs no fresh pack: answered first,
		// so one waiting for the budget delays no other.
		served := y.wants[max(0, slices.IndexFunc(y.wants, func(p pendingWant) bool { return y.heldLocked(p.device, p.seq) }))]
		y.mu.Unlock()
		err := y.sendAgain(served.device, served.seq)
		if !errors.Is(err, errNoFreshPack) {
			if err != nil {
				y.update(func(st *Status) { st.LastError = err.Error() })
			}
			y.mu.Lock()
			sent, ok := y.recentLocked(served.device, served.seq) // the pack just announced, fresh or again
			y.wants = slices.DeleteFunc(y.wants, func(p pendingWant) bool {
				return p.device == served.device && (p.who == served.who && p.seq >= served.seq || ok && sent.from <= p.seq && p.seq <= sent.to)
			})
			y.mu.Unlock()
		}
		if !y.sleep(resendGap) { // wants meanwhile are answered together
			return
		}
		y.mu.Lock()
		more := len(y.wants) > 0
		y.mu.Unlock()
		if more {
			select {
			case y.resend <- struct{}{}:
			default:
			}
		}
	}
}

// recentRepack returns a pack sent again lately that holds device's seq.
func (y *Syncer) recentRepack(device string, seq uint64) (repack, bool) {
	y.mu.Lock()
	defer y.mu.Unlock()
	return y.recentLocked(device, seq)
}

// heldLocked reports whether a pack sent again lately holds device's seq
// (under mu).
func (y *Syncer) heldLocked(device string, seq uint64) bool {
	_, ok := y.recentLocked(device, seq)
	return ok
}

func (y *Syncer) recentLocked(device string, seq uint64) (repack, bool) {
	for _, p := range y.repacks {
		if p.device == device && p.from <= seq && seq <= p.to && time.Since(p.at) < repackReuse {
			return p, true
		}
	}
	return repack{}, false
}

// errNoFreshPack: maxFresh fresh packs were made in the last repackReuse;
// the want waits.
var errNoFreshPack = errors.New("netsync: changes were sent again too often lately")

// freshRepacks counts the packs sent again in the last repackReuse.
func (y *Syncer) freshRepacks() int {
	y.mu.Lock()
	defer y.mu.Unlock()
	n := 0
	for _, p := range y.repacks {
		if time.Since(p.at) < repackReuse {
			n++
		}
	}
	return n
}

// sendAgain puts device's events from seq that this workstation pushed
// (its own chain's, or the one it moved from: answersFor) on IPFS again in
// a fresh pack and announces it.
func (y *Syncer) sendAgain(device string, from uint64) error {
	r, err := y.ws.Replica()
	if err != nil || from == 0 || !answersFor(r, device) {
		return nil
	}
	if rp, ok := y.recentRepack(device, from); ok {
		y.say(replica.Announcement{Device: device, Seq: rp.to, Hash: rp.hash, CID: rp.cid}.String())
		return nil
	}
	if y.freshRepacks() >= maxFresh {
		return errNoFreshPack
	}
	seqKey := MetaPackSeq
	if device != r.Device() {
		seqKey = metaMovedSeq // the old chain's last pushed (MoveChain)
	}
	p := replica.Pack{Device: device, From: from, Resent: time.Now().UnixMilli()}
	var last store.Envelope
	err = r.DB().View(y.ctx, func(tx *store.Tx) error {
		pushed, err := tx.Meta(y.ctx, seqKey)
		if err != nil {
			return nil // nothing pushed yet: nothing to send again
		}
		to, err := strconv.ParseUint(string(pushed), 10, 64)
		if err != nil {
			return err
		}
		size := 0
		for s := from; s <= to && s < from+packChunk; s++ {
			e, err := tx.EnvelopeAt(y.ctx, device, s)
			if err != nil {
				return err
			}
			if size += len(e.Raw); size > packBytes && len(p.Envelopes) > 0 {
				break
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
		return fmt.Errorf("netsync: another workstation asked for changes again, but the clinic's IPFS node did not take them: %w", err)
	}
	y.mu.Lock()
	y.pushed = append(y.pushed, cid)
	y.repacks = append(y.repacks, repack{device: device, from: p.From, to: p.To, hash: last.Hash, cid: cid, at: time.Now()})
	if len(y.repacks) > maxRepacks {
		y.repacks = y.repacks[1:]
	}
	y.mu.Unlock()
	y.say(replica.Announcement{Device: device, Seq: p.To, Hash: last.Hash, CID: cid}.String())
	return nil
}

// movedHeadKept returns the announcement of the chain this workstation
// moved from, a, or, when its last pack is no longer on the clinic's IPFS
// node (unpinned and collected), of a fresh pack of its last event, which
// from then on is that chain's head (metaMovedHead). No later push will
// name the lost pack as its previous one, as for the chain this
// workstation writes in, so nobody would ask for it: a newcomer now
// fetches the fresh pack, finds that it names none, and asks for the rest
// (walk), which this workstation answers (answersFor).
func (y *Syncer) movedHeadKept(r *replica.Replica, a replica.Announcement) replica.Announcement {
	ctx, cancel := context.WithTimeout(y.ctx, 5*time.Second)
	defer cancel()
	if _, err := y.ipf.GetLocal(ctx, a.CID, 0); !errors.Is(err, ipfs.ErrNotFound) {
		return a // held (too large for 0 bytes), or the node did not answer
	}
	p := replica.Pack{Device: a.Device, From: a.Seq, To: a.Seq, Resent: time.Now().UnixMilli()}
	err := r.DB().View(y.ctx, func(tx *store.Tx) error {
		e, err := tx.EnvelopeAt(y.ctx, a.Device, a.Seq)
		p.Envelopes = [][]byte{e.Raw}
		return err
	})
	if err != nil {
		return a
	}
	b, err := p.Encode()
	if err != nil {
		return a
	}
	cid, err := y.ipf.Put(ctx, b)
	if err != nil {
		return a
	}
	err = r.DB().Update(y.ctx, func(tx *store.Tx) error { return tx.SetMeta(y.ctx, metaMovedHead, []byte(cid)) })
	if err != nil {
		return a
	}
	y.mu.Lock()
	y.pushed = append(y.pushed, cid)
	y.mu.Unlock()
	a.CID = cid
	return a
}
