package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Fetching what announcements name. An announcement is a hint, not a
// command: anyone in the sync room can post one, and a member's modified
// software can name CIDs that do not exist or chains of huge packs. So:
//
//   - A head counts only when said by its device's own XMPP account
//     (onMessage); heads of this workstation's own device said by another
//     account are kept too, as signs of a fork, at the lowest priority.
//   - Heads wait in one lane per device; a few workers serve the lanes, one
//     head per lane at a time, devices this workstation already holds
//     verified events of first, fresh heads before retried ones. A CID
//     that does not come costs its own lane only.
//   - A head is first fetched from the clinic's Kubo node's own store
//     (instant, found or not), then from its peers with growing timeouts;
//     after maxHeadTries it is forgotten: a genuine head is re-announced
//     every 15 s anyway.
//   - A walk back through a device's packs holds at most fetchShare bytes
//     of packs per worker (fetchMemory in all): beyond that it keeps only
//     CIDs and fetches the packs again, oldest first, when applying. It
//     remembers at most walkSegment packs at a time: a longer chain is
//     walked again after its older part was applied, so memory stays
//     bounded whatever the chain's length.

const (
	fetchWorkers = 4
	// slowWorkers bounds the workers waiting on peers for a CID the node
	// does not hold, so that heads the node holds are always served.
	slowWorkers  = fetchWorkers / 2
	fetchMemory  = 64 << 20
	fetchShare   = fetchMemory / fetchWorkers
	walkSegment  = 4096
	maxHeadTries = 5   // the node's store once, then its peers four times
	laneHeads    = 16  // heads kept per device
	maxLanes     = 512 // devices with heads waiting
	localTimeout = 30 * time.Second
)

// heardHead is an announcement heard in the sync room.
type heardHead struct {
	replica.Announcement
	own bool // said by the device's own account
}

// headTry is a heard head waiting in its device's lane.
type headTry struct {
	heardHead
	tries int       // fetches that failed
	downs int       // fetches that failed because the node was down
	due   time.Time // not before
}

// netTimeout is how long the tries-th fetch (1 = the first from peers)
// waits for peers.
func netTimeout(tries int) time.Duration {
	return min(2*time.Second<<max(tries-1, 0), 16*time.Second)
}

// retryAfter is the pause before the next fetch after tries failures.
func retryAfter(tries int) time.Duration {
	return min(250*time.Millisecond<<(2*max(tries-1, 0)), 15*time.Second)
}

type lane struct {
	heads  map[string]*headTry // by CID
	busy   bool
	slow   bool // busy with a fetch from peers
	known  bool // this workstation holds verified events of the device
	served time.Time
}

// fetchResult is what a worker reports about one head.
type fetchResult struct {
	h       headTry
	changed bool // envelopes were stored
	err     error
}

// fetchLoop hands heard heads to a pool of workers, lane by lane.
func (y *Syncer) fetchLoop() {
	defer y.wg.Done()
	jobs := make(chan headTry, fetchWorkers)
	results := make(chan fetchResult, fetchWorkers)
	defer close(jobs)
	for range fetchWorkers {
		y.wg.Add(1)
		go func() {
			defer y.wg.Done()
			for h := range jobs {
				changed, err := y.fetchHead(h)
				results <- fetchResult{h: h, changed: changed, err: err}
			}
		}()
	}
	lanes := map[string]*lane{}
	busy, slow := 0, 0
	var maintained time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		for busy < fetchWorkers {
			device, h := pickHead(lanes, now, slow < slowWorkers)
			if h == nil {
				break
			}
			l := lanes[device]
			l.busy, l.slow, l.served = true, h.tries > 0, now
			delete(l.heads, h.CID)
			busy++
			if l.slow {
				slow++
			}
			jobs <- *h
		}
		y.update(func(st *SyncStatus) {
			st.CatchingUp = busy > 0
			if busy == 0 {
				st.Behind = 0
			}
		})
		if busy < fetchWorkers {
			timer.Reset(nextDue(lanes, now, slow < slowWorkers))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case <-y.ctx.Done():
			return
		case h := <-y.heard:
			y.enqueue(lanes, h)
		drain:
			for {
				select {
				case h := <-y.heard:
					y.enqueue(lanes, h)
				default:
					break drain
				}
			}
		case res := <-results:
			busy--
			l := lanes[res.h.Device]
			if l.slow {
				slow--
			}
			l.busy, l.slow = false, false
			y.settle(l, res)
			if len(l.heads) == 0 && !l.busy {
				delete(lanes, res.h.Device)
			}
			// Upkeep after what changed here, and now and then anyway
			// (as every re-announcement did before), but not after every
			// head that brought nothing: a flood of them would keep it busy.
			if res.changed || time.Since(maintained) >= reannounceGap {
				maintained = time.Now()
				select {
				case y.maint <- struct{}{}:
				default:
				}
			}
		case <-timer.C:
		}
	}
}

// enqueue puts a heard head in its device's lane.
func (y *Syncer) enqueue(lanes map[string]*lane, h heardHead) {
	l := lanes[h.Device]
	if l == nil {
		if len(lanes) >= maxLanes {
			y.update(func(st *SyncStatus) { st.Dropped++ })
			return
		}
		// Heads of this workstation's own device said by others come last.
		l = &lane{heads: map[string]*headTry{}, known: !y.ownDevice(h.Device) && y.knownDevice(h.Device)}
		lanes[h.Device] = l
	}
	if cur := l.heads[h.CID]; cur != nil {
		cur.own = cur.own || h.own // a retry keeps its count: saying it again does not reset it
		return
	}
	if len(l.heads) >= laneHeads {
		// Keep the newest heads; the device's own say before others'.
		var worst *headTry
		for _, c := range l.heads {
			if worst == nil || c.own != worst.own && !c.own || c.own == worst.own && c.Seq < worst.Seq {
				worst = c
			}
		}
		if worst.own && !h.own || worst.own == h.own && worst.Seq >= h.Seq {
			y.update(func(st *SyncStatus) { st.Dropped++ })
			return
		}
		delete(l.heads, worst.CID)
		y.update(func(st *SyncStatus) { st.Dropped++ })
	}
	l.heads[h.CID] = &headTry{heardHead: h}
}

// settle notes the outcome of one fetch: done, retry later, or give up.
func (y *Syncer) settle(l *lane, res fetchResult) {
	h := res.h
	if res.err == nil {
		l.known = l.known || !y.ownDevice(h.Device) && y.knownDevice(h.Device)
		return
	}
	if !errors.Is(res.err, ipfs.ErrNotFound) {
		// A CID nobody stored is a bad hint, not a fault to show: it
		// counts in GaveUp once forgotten.
		y.update(func(st *SyncStatus) { st.LastError = res.err.Error() })
	}
	if errors.Is(res.err, ipfs.ErrUnavailable) {
		h.downs++ // the node is down: not this head's fault
		h.due = time.Now().Add(y.backoff(h.downs))
	} else {
		h.tries++
		if h.tries >= maxHeadTries {
			y.update(func(st *SyncStatus) { st.GaveUp++ })
			return
		}
		h.due = time.Now().Add(retryAfter(h.tries))
	}
	if cur := l.heads[h.CID]; cur != nil {
		h.own = h.own || cur.own // heard again meanwhile: the count stands
	} else if len(l.heads) >= laneHeads {
		y.update(func(st *SyncStatus) { st.Dropped++ })
		return
	}
	l.heads[h.CID] = &h
}

// pickHead chooses the next head to fetch: from a lane not busy, devices
// this workstation knows first, then heads said by their device's own
// account, fresh before retried, the lane served longest ago first; the
// newest head of the lane. A retry waits on peers: only when slowOK.
func pickHead(lanes map[string]*lane, now time.Time, slowOK bool) (string, *headTry) {
	var bestDevice string
	var best *headTry
	var bestLane *lane
	better := func(l *lane, h *headTry) bool {
		switch {
		case best == nil:
			return true
		case l.known != bestLane.known:
			return l.known
		case h.own != best.own:
			return h.own
		case (h.tries == 0) != (best.tries == 0):
			return h.tries == 0
		case !l.served.Equal(bestLane.served):
			return l.served.Before(bestLane.served)
		default:
			return h.Seq > best.Seq
		}
	}
	for device, l := range lanes {
		if l.busy {
			continue
		}
		for _, h := range l.heads {
			if h.due.After(now) || h.tries > 0 && !slowOK {
				continue
			}
			if better(l, h) {
				bestDevice, best, bestLane = device, h, l
			}
		}
	}
	return bestDevice, best
}

// nextDue is how long until a head pickHead could choose is due (an hour
// if none): heads of busy lanes, and retries while no slow worker is free,
// wait for a fetch to end, which wakes the loop anyway.
func nextDue(lanes map[string]*lane, now time.Time, slowOK bool) time.Duration {
	d := time.Hour
	for _, l := range lanes {
		if l.busy {
			continue
		}
		for _, h := range l.heads {
			if h.tries == 0 || slowOK {
				d = min(d, max(h.due.Sub(now), time.Millisecond))
			}
		}
	}
	return d
}

// knownDevice reports whether this workstation holds a verified event of
// device.
func (y *Syncer) knownDevice(device string) bool {
	r, err := y.s.live()
	if err != nil {
		return false
	}
	var ok bool
	_ = r.DB().View(y.ctx, func(tx *store.Tx) error {
		ok, err = accepted(y.ctx, tx, device, 1)
		return err
	})
	return ok
}

// fetchHead fetches one head and asks again for what arrived altered.
func (y *Syncer) fetchHead(h headTry) (changed bool, err error) {
	want, changed, err := y.catchUp(h)
	if want > 0 && !y.ownDevice(h.Device) {
		y.askAgain(replica.Want{Device: h.Device, Seq: want})
	}
	y.setBehind(h.Device, 0)
	return changed, err
}

// setBehind notes how many events of device are known to exist and not
// yet applied; the status shows the sum.
func (y *Syncer) setBehind(device string, n int) {
	y.mu.Lock()
	if n == 0 {
		delete(y.behind, device)
	} else {
		y.behind[device] = n
	}
	sum := 0
	for _, b := range y.behind {
		sum += b
	}
	y.mu.Unlock()
	y.update(func(st *SyncStatus) { st.Behind = sum })
}

// maintainLoop runs the session's upkeep (admissions, grants, rotations)
// after fetched events were applied, once for any number of fetches.
func (y *Syncer) maintainLoop() {
	defer y.wg.Done()
	for {
		select {
		case <-y.ctx.Done():
			return
		case <-y.maint:
		}
		if _, err := y.s.Maintain(y.ctx); err != nil && !errors.Is(err, ErrLocked) && y.ctx.Err() == nil {
			y.update(func(st *SyncStatus) { st.LastError = err.Error() })
		}
	}
}

// accepted reports whether this workstation holds device's event seq,
// verified (applied, kept sealed or refused).
func accepted(ctx context.Context, tx *store.Tx, device string, seq uint64) (bool, error) {
	e, err := tx.EnvelopeAt(ctx, device, seq)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil && e.State != store.Pending, err
}

// ---- catching up with one head, in bounded memory ----

// walkStep is one pack of a walk back through a device's chain.
type walkStep struct {
	cid      string
	from, to uint64
	pack     *replica.Pack // nil while not in memory
	size     int64
}

// packMem is one worker's account of the pack bytes it holds.
type packMem struct {
	y     *Syncer
	limit int64
	used  int64
	held  []*walkStep
}

func (m *packMem) hold(s *walkStep, p *replica.Pack, size int64) {
	s.pack, s.size = p, size
	m.used += size
	m.held = append(m.held, s)
	m.y.inflight(size)
}

func (m *packMem) release(s *walkStep) {
	if s.pack == nil {
		return
	}
	s.pack = nil
	m.used -= s.size
	m.y.inflight(-s.size)
}

// dropAll forgets every pack held (their CIDs stay in the walk).
func (m *packMem) dropAll() {
	for _, s := range m.held {
		m.release(s)
	}
	m.held = m.held[:0]
}

// room is how many bytes the next pack may have without passing the
// limit; a worker holding nothing may always read one whole pack.
func (m *packMem) room() int64 {
	if m.used == 0 {
		return max(m.limit, replica.MaxPackBytes)
	}
	return min(m.limit-m.used, replica.MaxPackBytes)
}

// inflight adds n to the pack bytes held by all workers and notes the peak.
func (y *Syncer) inflight(n int64) {
	now := y.packBytes.Add(n)
	for {
		peak := y.peakPackBytes.Load()
		if now <= peak || y.peakPackBytes.CompareAndSwap(peak, now) {
			return
		}
	}
}

// fetchPack reads the pack cid into step s, within the worker's memory:
// when the pack does not fit, the packs held are dropped first. A first
// try reads the node's own store only; later ones wait on peers.
func (y *Syncer) fetchPack(s *walkStep, tries int, m *packMem) (replica.Pack, error) {
	for {
		room := m.room()
		if room <= 0 {
			m.dropAll()
			continue
		}
		var b []byte
		var err error
		if tries == 0 {
			ctx, cancel := context.WithTimeout(y.ctx, localTimeout)
			b, err = y.ipf.GetLocal(ctx, s.cid, room)
			cancel()
		} else {
			ctx, cancel := context.WithTimeout(y.ctx, netTimeout(tries))
			b, err = y.ipf.Get(ctx, s.cid, room)
			cancel()
		}
		if errors.Is(err, ipfs.ErrTooLarge) && room < replica.MaxPackBytes && m.used > 0 {
			m.dropAll()
			continue
		}
		if err != nil && !errors.Is(err, ipfs.ErrTooLarge) {
			if !errors.Is(err, ipfs.ErrNotFound) {
				y.update(func(st *SyncStatus) { st.IPFSUp = false })
			}
			return replica.Pack{}, fmt.Errorf("app: fetch changes of another workstation from IPFS: %w", err)
		}
		y.update(func(st *SyncStatus) { st.IPFSUp = true })
		if err != nil {
			return replica.Pack{}, fmt.Errorf("%w: %w", replica.ErrMalformedPack, err)
		}
		p, err := replica.ParsePack(b)
		if err != nil {
			return p, err
		}
		m.hold(s, &p, int64(len(b)))
		return p, nil
	}
}

// catchUp fetches what a head says exists and applies it, oldest first.
// It returns the seq of the device to ask for again when some of its
// events arrived altered (0 when nothing is missing).
func (y *Syncer) catchUp(h headTry) (want uint64, changed bool, err error) {
	r, err := y.s.live()
	if err != nil {
		return 0, false, nil
	}
	a := h.Announcement
	if done, err := y.holds(r, a); err != nil || done {
		return 0, false, err
	}
	altered := false
	defer func() {
		if altered && err == nil {
			want, err = y.missing(r, a.Device, a.Seq)
		}
	}()
	m := &packMem{y: y, limit: y.fetchShare()}
	defer m.dropAll()
	// A walk remembers at most walkSegment packs: the older part of a
	// longer chain is walked and applied first, then the newer again.
	type segment struct {
		cid       string
		next      uint64 // From of the newer pack that named cid; 0 for the head
		descended bool
	}
	stack := []segment{{cid: a.CID}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		steps, rest, bad, err := y.walk(r, a, top.cid, top.next, h.tries, m)
		if err != nil {
			return 0, changed, err
		}
		altered = altered || bad
		if rest != "" && !top.descended {
			top.descended = true
			m.dropAll()
			stack = append(stack, segment{cid: rest, next: steps[len(steps)-1].from})
			continue
		}
		stack = stack[:len(stack)-1]
		bad, err = y.applySteps(r, a, steps, h.tries, m, &changed)
		if err != nil {
			return 0, changed, err
		}
		altered = altered || bad
	}
	return 0, changed, nil
}

// holds reports whether this workstation already holds what a heads says.
// For its own device, only an announcement of exactly its own event is
// nothing new: any other is a sign that someone writes in its chain, and
// is fetched so that applying it reports the fork.
func (y *Syncer) holds(r *replica.Replica, a replica.Announcement) (bool, error) {
	var have bool
	err := r.DB().View(y.ctx, func(tx *store.Tx) error {
		if a.Device == r.Device() {
			e, err := tx.EnvelopeAt(y.ctx, a.Device, a.Seq)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			have = err == nil && e.Hash == a.Hash && e.State != store.Pending
			return err
		}
		var err error
		have, err = accepted(y.ctx, tx, a.Device, a.Seq)
		return err
	})
	return have, err
}

// walk goes back from the pack cid through a's device's chain until it
// reaches what this workstation holds, the chain's start, or walkSegment
// packs; then rest is the CID where it stopped. next is the From of the
// newer pack that named cid (0: cid is a's head). Packs stay in memory
// as far as m allows. bad reports a block that is not the pack it should
// be: the walk stops there and the device is asked for it again.
func (y *Syncer) walk(r *replica.Replica, a replica.Announcement, cid string, next uint64, tries int, m *packMem) (steps []*walkStep, rest string, bad bool, err error) {
	for cid != "" {
		if len(steps) >= y.walkSegment() {
			return steps, cid, false, nil
		}
		s := &walkStep{cid: cid}
		p, err := y.fetchPack(s, tries, m)
		switch {
		case errors.Is(err, replica.ErrMalformedPack):
		case err != nil:
			return steps, "", false, err
		case p.Device != a.Device:
			err = errors.New("a pack of another device")
		case next == 0 && (a.Seq < p.From || a.Seq > p.To):
			err = fmt.Errorf("the pack holds events %d..%d, not the announced %d", p.From, p.To, a.Seq)
		case next != 0 && p.To+1 != next:
			err = fmt.Errorf("the pack holds events %d..%d, not those before %d", p.From, p.To, next)
		}
		if err != nil {
			// These bytes will not change: apply what was fetched and ask
			// the device for what this one should have held.
			m.release(s)
			y.report(replica.Problem{Event: cid, Device: a.Device, Reason: "IPFS block is not a valid pack of this device: refused (" + err.Error() + ")", Altered: true})
			return steps, "", true, nil
		}
		s.from, s.to = p.From, p.To
		steps = append(steps, s)
		y.setBehind(a.Device, int(a.Seq-min(a.Seq, p.From)+1))
		stop := p.From <= 1 || p.Prev == ""
		if !stop {
			if err := r.DB().View(y.ctx, func(tx *store.Tx) error {
				stop, err = accepted(y.ctx, tx, a.Device, p.From-1)
				return err
			}); err != nil {
				return steps, "", false, err
			}
		}
		if stop {
			break
		}
		next, cid = p.From, p.Prev
	}
	return steps, "", false, nil
}

// applySteps applies the packs of a walk (newest first in steps), oldest
// first, a few thousand envelopes per Apply, fetching again the packs
// not kept in memory.
func (y *Syncer) applySteps(r *replica.Replica, a replica.Announcement, steps []*walkStep, tries int, m *packMem, changed *bool) (altered bool, err error) {
	var batch [][]byte
	var inBatch []*walkStep
	left := 0
	for _, s := range steps {
		left += int(s.to - s.from + 1)
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		rep, err := r.Apply(y.ctx, batch)
		if err != nil {
			return err
		}
		*changed = *changed || rep.New > 0 || rep.Applied > 0
		for j := range rep.Problems {
			altered = altered || rep.Problems[j].Altered
			if rep.Problems[j].Device == "" { // bytes that did not even parse
				rep.Problems[j].Device = a.Device
				rep.Problems[j].Reason += " (in a pack fetched from IPFS: its bytes were altered)"
			}
		}
		y.report(rep.Problems...)
		left -= len(batch)
		y.setBehind(a.Device, left)
		for _, s := range inBatch {
			m.release(s)
		}
		batch, inBatch = batch[:0], inBatch[:0]
		return nil
	}
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if s.pack == nil {
			if err := flush(); err != nil {
				return altered, err
			}
			p, err := y.fetchPack(s, tries, m)
			if err == nil && (p.Device != a.Device || p.From != s.from || p.To != s.to) {
				m.release(s)
				err = fmt.Errorf("%w: not the pack read a moment ago", replica.ErrMalformedPack)
			}
			if errors.Is(err, replica.ErrMalformedPack) {
				y.report(replica.Problem{Event: s.cid, Device: a.Device, Reason: "IPFS block is not a valid pack of this device: refused (" + err.Error() + ")", Altered: true})
				return true, nil
			}
			if err != nil {
				return altered, err
			}
		}
		batch = append(batch, s.pack.Envelopes...)
		inBatch = append(inBatch, s)
		if len(batch) >= applyChunk {
			if err := flush(); err != nil {
				return altered, err
			}
		}
	}
	return altered, flush()
}

func (y *Syncer) fetchShare() int64 {
	if y.cfg.fetchShare > 0 {
		return y.cfg.fetchShare
	}
	return fetchShare
}

func (y *Syncer) walkSegment() int {
	if y.cfg.walkSegment > 0 {
		return y.cfg.walkSegment
	}
	return walkSegment
}
