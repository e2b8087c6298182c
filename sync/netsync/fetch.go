package netsync

import (
	"context"
	"errors"

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
	// FetchWorkers is how many packs are fetched at once.
	FetchWorkers = 4
	// slowWorkers bounds the workers waiting on peers for a CID the node
	// does not hold, so that heads the node holds are always served.
	slowWorkers  = FetchWorkers / 2
	fetchMemory  = 64 << 20
	fetchShare   = fetchMemory / FetchWorkers
	walkSegment  = 4096
	maxHeadTries = 5   // the node's store once, then its peers four times
	laneHeads    = 16  // heads kept per device
	maxLanes     = 512 // devices with heads waiting
	localTimeout = 30 * time.Second
)

// heardHead is an announcement heard in the sync room.
type heardHead struct {
	replica.Announcement
	own bool   // said by the device's own account
	by  string // the account that said it (a moved chain's is the old id: replica.SpeaksFor)
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
	// spokenBy is the account that opened the lane for a device not known
	// here, when it speaks for another's chain (spokenFor).
	spokenBy string
}

// spokenFor reports whether h opens a lane for a chain not known here
// that an account other than its device's speaks for (replica.SpeaksFor:
// a moved workstation's old account speaks for its member's bound ids).
// Such an account opens one lane at a time: it may speak for any id bound
// to its member's key, whose salt is hers to pick, and every lane would
// fill with heads nobody can fetch (h-sec18d F5).
func spokenFor(h heardHead, known bool) bool {
	return h.own && h.by != "" && h.by != h.Device && !known
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
	jobs := make(chan []headTry, FetchWorkers)
	results := make(chan []fetchResult, FetchWorkers)
	defer close(jobs)
	for range FetchWorkers {
		y.wg.Add(1)
		go func() {
			defer y.wg.Done()
			for hs := range jobs {
				for _, h := range hs {
					y.mark(stagePicked, h.Device, h.Seq, h.Seq)
				}
				results <- y.fetchTogether(hs) // together.go
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
		for busy < FetchWorkers {
			// A worker takes a retry alone, or every fresh head waiting
			// in a lane not busy (up to jobHeads): heads heard while the
			// workers were busy are fetched and applied together.
			var job []headTry
			for len(job) < jobHeads {
				device, h := pickHead(lanes, now, len(job) == 0 && slow < slowWorkers)
				if h == nil {
					break
				}
				l := lanes[device]
				l.busy, l.slow, l.served = true, h.tries > 0, now
				delete(l.heads, h.CID)
				job = append(job, *h)
				if l.slow {
					slow++
					break
				}
			}
			if len(job) == 0 {
				break
			}
			busy++
			jobs <- job
		}
		y.round.queued.Store(heads(lanes)) // caughtup.go
		y.update(func(st *Status) {
			st.CatchingUp = busy > 0
			if busy == 0 {
				st.Behind, st.Left = 0, 0
			}
		})
		if busy < FetchWorkers {
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
		case done := <-results:
			busy--
			changed := false
			for _, res := range done {
				l := lanes[res.h.Device]
				if l.slow {
					slow--
				}
				l.busy, l.slow = false, false
				y.settle(l, res)
				if len(l.heads) == 0 && !l.busy {
					delete(lanes, res.h.Device)
				}
				changed = changed || res.changed
			}
			// Upkeep after what changed here, and now and then anyway
			// (as every re-announcement did before), but not after every
			// head that brought nothing: a flood of them would keep it busy.
			if changed || time.Since(maintained) >= reannounceGap {
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
			y.update(func(st *Status) { st.Dropped++ })
			return
		}
		// Heads of this workstation's own device said by others come last.
		l = &lane{heads: map[string]*headTry{}, known: !y.ownDevice(h.Device) && y.knownDevice(h.Device)}
		if spokenFor(h, l.known) {
			for _, o := range lanes {
				if o.spokenBy == h.by {
					y.update(func(st *Status) { st.Dropped++ })
					return
				}
			}
			l.spokenBy = h.by
		}
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
			y.update(func(st *Status) { st.Dropped++ })
			return
		}
		delete(l.heads, worst.CID)
		y.update(func(st *Status) { st.Dropped++ })
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
		from := errOther
		if errors.Is(res.err, ipfs.ErrUnavailable) || errors.Is(res.err, ipfs.ErrForbidden) {
			from = errIPFS // the node's trouble, not this head's: gone when it answers
		}
		y.fail(from, res.err, nil)
	}
	if errors.Is(res.err, ipfs.ErrUnavailable) {
		h.downs++ // the node is down: not this head's fault
		h.due = time.Now().Add(y.backoff(h.downs))
	} else {
		h.tries++
		if h.tries >= maxHeadTries {
			y.update(func(st *Status) { st.GaveUp++ })
			return
		}
		h.due = time.Now().Add(retryAfter(h.tries))
	}
	if cur := l.heads[h.CID]; cur != nil {
		h.own = h.own || cur.own // heard again meanwhile: the count stands
	} else if len(l.heads) >= laneHeads {
		y.update(func(st *Status) { st.Dropped++ })
		return
	}
	l.heads[h.CID] = &h
}

// pickHead chooses the next head to fetch: from a lane not busy, devices
// this workstation knows first, then heads said by their device's own
// account, fresh before retried, the lane served longest ago first, the
// shorter chain first; the newest head of the lane. A retry waits on peers: only when slowOK.
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
		case l == bestLane:
			return h.Seq > best.Seq // the newest: its walk covers the older
		case !l.served.Equal(bestLane.served):
			return l.served.Before(bestLane.served)
		default:
			// The shorter chain first: administrators' short chains carry
			// the directory, admissions and grants that let a newcomer
			// apply the long ones (issue 17).
			return h.Seq < best.Seq
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
// device. Once known, a device stays known (kept in memory): lanes come
// and go with every head, and this read came with each.
func (y *Syncer) knownDevice(device string) bool {
	if _, ok := y.known.Load(device); ok {
		return true
	}
	r, err := y.ws.Replica()
	if err != nil {
		return false
	}
	var ok bool
	_ = r.DB().View(y.ctx, func(tx *store.Tx) error {
		ok, err = accepted(y.ctx, tx, device, 1)
		return err
	})
	if ok {
		y.known.Store(device, true)
	}
	return ok
}

// fetchHead fetches one head and asks again for what arrived altered.
func (y *Syncer) fetchHead(h headTry) (changed bool, err error) {
	return y.fetchHeadFrom(h, nil)
}

// fetchHeadFrom is fetchHead with the head's pack already read (nil: not
// yet); the walk takes it over.
func (y *Syncer) fetchHeadFrom(h headTry, first *fetchedPack) (changed bool, err error) {
	want, changed, err := y.catchUp(h, first)
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
	var left time.Duration
	if y.rate > 0 {
		// What waits sealed is opened at its own rate: until one is
		// measured, openFaster times the rate of storing (measured on this
		// machine: no signature to check, merged on every core).
		opening := y.behind[openingLane]
		openRate := y.openRate
		if openRate == 0 {
			openRate = openFaster * y.rate
		}
		secs := float64(sum-opening)/y.rate + float64(opening)/openRate
		left = time.Duration(secs * float64(time.Second)).Round(time.Second)
	}
	y.mu.Unlock()
	y.update(func(st *Status) { st.Behind, st.Left = sum, left })
}

// openFaster is how much faster envelopes kept sealed are opened, once
// their key arrives, than envelopes are fetched, checked and stored (a
// join of 100,000 patients: 200,000 stored in about 3.5 min, opened in 49 s).
const openFaster = 4

// opened notes that n envelopes kept sealed were opened in took.
func (y *Syncer) opened(n int, took time.Duration) {
	if n <= 0 || took <= 0 {
		return
	}
	r := float64(n) / took.Seconds()
	y.mu.Lock()
	if y.openRate == 0 {
		y.openRate = r
	} else {
		y.openRate = 0.7*y.openRate + 0.3*r
	}
	y.mu.Unlock()
}

// applied notes that n envelopes were applied in took, for Status.Left.
func (y *Syncer) applied(n int, took time.Duration) {
	if n <= 0 || took <= 0 {
		return
	}
	r := float64(n) / took.Seconds()
	y.mu.Lock()
	if y.rate == 0 {
		y.rate = r
	} else {
		y.rate = 0.7*y.rate + 0.3*r
	}
	y.mu.Unlock()
}

// maintainLoop runs the workstation's upkeep (admissions, grants, rotations)
// after fetched events were applied, once for any number of fetches.
func (y *Syncer) maintainLoop() {
	defer y.wg.Done()
	for {
		select {
		case <-y.ctx.Done():
			return
		case <-y.maint:
		}
		if err := y.ws.Upkeep(y.ctx); err != nil && y.ctx.Err() == nil {
			y.fail(errUpkeep, err, nil)
		} else if err == nil {
			y.works(errUpkeep, nil)
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
