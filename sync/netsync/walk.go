package netsync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Catching up with one head, in bounded memory: walk back through the
// device's packs until what this workstation holds, then apply them
// oldest first (fetch.go says why the bounds).

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
				y.update(func(st *Status) { st.IPFSUp = false })
			}
			return replica.Pack{}, fmt.Errorf("netsync: fetch changes of another workstation from IPFS: %w", err)
		}
		y.update(func(st *Status) { st.IPFSUp = true })
		if err != nil {
			return replica.Pack{}, fmt.Errorf("%w: %w", replica.ErrMalformedPack, err)
		}
		p, err := replica.ParsePack(b)
		if err != nil {
			return p, err
		}
		y.fetches.Add(1)
		y.mark(stageFetched, p.Device, p.From, p.To)
		m.hold(s, &p, int64(len(b)))
		return p, nil
	}
}

// catchUp fetches what a head says exists and applies it, oldest first.
// It returns the seq of the device to ask for again when some of its
// events arrived altered (0 when nothing is missing).
// first, when not nil, is the head's pack, already read.
func (y *Syncer) catchUp(h headTry, first *fetchedPack) (want uint64, changed bool, err error) {
	r, err := y.ws.Replica()
	if err != nil {
		return 0, false, nil
	}
	a := h.Announcement
	if done, err := y.holds(r, a); err != nil || done {
		if done {
			y.stale.Add(1)
		}
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
		steps, rest, bad, err := y.walk(r, a, top.cid, top.next, h.tries, m, first)
		first = nil
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
		var err error
		have, err = holdsIn(y.ctx, tx, r, a)
		return err
	})
	return have, err
}

// holdsIn is holds inside a transaction.
func holdsIn(ctx context.Context, tx *store.Tx, r *replica.Replica, a replica.Announcement) (bool, error) {
	if a.Device == r.Device() {
		e, err := tx.EnvelopeAt(ctx, a.Device, a.Seq)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil && e.Hash == a.Hash && e.State != store.Pending, err
	}
	if r.OverBound(a.Device) {
		// A device no directory entry names that sent more than this
		// workstation stores of one: nothing to fetch until an entry
		// names it (replica/unnamed.go); its next announcement then is.
		return true, nil
	}
	return stored(ctx, tx, a.Device, a.Seq, a.Hash)
}

// stored reports whether this workstation holds device's event seq (with
// hash, unless hash is ""), in any state, and every event before it: a
// walk back stops there, and a head that says no more is stale. Pending
// events count: a newcomer holds most of the clinic pending until its
// admission, and walking its whole chain again for every older head the
// sync room replays cost it minutes (issue 17).
func stored(ctx context.Context, tx *store.Tx, device string, seq uint64, hash string) (bool, error) {
	e, err := tx.EnvelopeAt(ctx, device, seq)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	case hash != "" && e.Hash != hash:
		return false, nil
	case e.State != store.Pending:
		return true, nil // verified: so is the chain below it
	}
	return tx.ChainStored(ctx, device, seq)
}

// walk goes back from the pack cid through a's device's chain until it
// reaches what this workstation stores (pending or not), the chain's start, or walkSegment
// packs; then rest is the CID where it stopped. next is the From of the
// newer pack that named cid (0: cid is a's head). Packs stay in memory
// as far as m allows; first, when not nil, is the pack cid already read,
// which the walk takes over. bad reports a block that is not the pack it
// should be, a pack naming no previous one above what this workstation
// stores, or an older pack not found on the head's last try: the walk
// stops there and the device is asked for the events missing again.
func (y *Syncer) walk(r *replica.Replica, a replica.Announcement, cid string, next uint64, tries int, m *packMem, first *fetchedPack) (steps []*walkStep, rest string, bad bool, err error) {
	for cid != "" {
		if len(steps) >= y.walkSegment() {
			return steps, cid, false, nil
		}
		s := &walkStep{cid: cid}
		var p replica.Pack
		var err error
		if first != nil && first.step.cid == cid {
			p = *first.step.pack
			m.hold(s, first.step.pack, first.size)
			first = nil
		} else {
			p, err = y.fetchPack(s, tries, m)
		}
		switch {
		case errors.Is(err, replica.ErrMalformedPack):
		case next != 0 && tries >= maxHeadTries-1 && errors.Is(err, ipfs.ErrNotFound):
			// An older pack that neither the node nor its peers gave on
			// the head's last try before it is forgotten is lost from
			// IPFS (unpinned and collected): apply what came and ask the
			// device for what it held, as for a pack naming none.
			return steps, "", true, nil
		case err != nil:
			return steps, "", false, err
		default:
			err = packFits(p, a, next)
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
		stop := p.From <= 1
		if !stop {
			if err := r.DB().View(y.ctx, func(tx *store.Tx) error {
				stop, err = stored(y.ctx, tx, a.Device, p.From-1, "")
				return err
			}); err != nil {
				return steps, "", false, err
			}
		}
		if stop {
			break
		}
		if p.Prev == "" {
			// The device's packs start above what this workstation
			// stores (a pack sent again, or one of a workstation whose
			// outbox lost events, sec-s15c H6): apply what came and ask
			// the device for what lies between.
			return steps, "", true, nil
		}
		next, cid = p.From, p.Prev
	}
	return steps, "", false, nil
}

// packFits says why pack p is not the pack of a's device that a walk
// back from a expects, nil when it is: the one holding a.Seq (next 0), or
// the one ending just before next.
func packFits(p replica.Pack, a replica.Announcement, next uint64) error {
	switch {
	case p.Device != a.Device:
		return errors.New("a pack of another device")
	case next == 0 && (a.Seq < p.From || a.Seq > p.To):
		return fmt.Errorf("the pack holds events %d..%d, not the announced %d", p.From, p.To, a.Seq)
	case next != 0 && p.To+1 != next:
		return fmt.Errorf("the pack holds events %d..%d, not those before %d", p.From, p.To, next)
	}
	return nil
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
		for _, s := range inBatch {
			y.mark(stageApplying, a.Device, s.from, s.to)
		}
		bad, ch, err := y.applyRaws(r, batch, a.Device)
		if err != nil {
			return err
		}
		altered = altered || len(bad) > 0
		*changed = *changed || ch
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
		own, foreign, _ := y.ownEnvelopes(s)
		fresh, err := y.notStored(r, a.Device, s, own)
		if err != nil {
			return altered, err
		}
		left -= len(own) - len(fresh)
		batch = append(batch, fresh...)
		inBatch = append(inBatch, s)
		left -= foreign
		if len(batch) >= applyChunk {
			if err := flush(); err != nil {
				return altered, err
			}
		}
	}
	return altered, flush()
}

// openingLane is the lane of setBehind that counts the envelopes kept
// sealed that a key which arrived is opening (no device has this id).
const openingLane = "opening"

// watchOpening keeps the status right while an Apply runs long: a key that
// arrived (a newcomer's grant, at the end of a long chain) opens every
// envelope kept sealed for it, in transactions, and that is the rest of the
// catch-up. Every second it counts what is left to open (and what waits
// sealed for a key this member is to get), and how fast it goes, for
// Status.Behind and Left. stop ends it.
func (y *Syncer) watchOpening(r *replica.Replica) (stop func() (opening time.Duration)) {
	done := make(chan struct{})
	ended := make(chan time.Duration, 1)
	go func() {
		var spent time.Duration // in seconds when envelopes were opened
		defer func() { ended <- spent }()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		last, at := r.Opening(), time.Now()
		for {
			select {
			case <-done:
				// What stays sealed until a key arrives is still to do.
				y.setBehind(openingLane, r.Opening())
				return
			case <-y.ctx.Done():
				return
			case now := <-tick.C:
				left := r.Opening()
				if left < last {
					y.opened(last-left, now.Sub(at))
					spent += now.Sub(at)
				}
				last, at = left, now
				y.setBehind(openingLane, left)
			}
		}
	}()
	return func() time.Duration { close(done); return <-ended }
}

// ownEnvelopes returns the envelopes of the pack in s that are of the
// pack's device, how many others it dropped and how many did not parse.
// A pack carries a run of its own device's chain and nothing else: an
// envelope of another device (a member's modified software may carry
// others' envelopes, genuine or forged, in its own pack) is not applied
// and is reported refused, as a problem of the pack's device at the place
// it took in the pack. Bytes that do not parse are left to Apply, which
// reports them as altered.
func (y *Syncer) ownEnvelopes(s *walkStep) (own [][]byte, foreign, unparsed int) {
	p := s.pack
	own = make([][]byte, 0, len(p.Envelopes))
	var refused []replica.Problem
	for i, raw := range p.Envelopes {
		e, err := crypto.ParseEnvelope(raw)
		if err != nil {
			unparsed++
		}
		if err != nil || e.Header.Device == p.Device {
			own = append(own, raw)
			continue
		}
		refused = append(refused, replica.Problem{Event: e.Header.ID, Device: p.Device, Seq: p.From + uint64(i),
			Reason: fmt.Sprintf("the pack %s of this device carries an event of device %s (seq %d): refused, a pack holds its own device's events only",
				s.cid, e.Header.Device, e.Header.Seq)})
	}
	y.report(refused...)
	return own, len(refused), unparsed
}

// applyRaws hands raws to the replica's Apply and notes what it did: the
// counts, the rate, the problems (bytes that did not even parse are of
// device, the device of the pack they came in). It returns the devices
// of the envelopes that arrived altered, and whether anything was stored
// or applied.
func (y *Syncer) applyRaws(r *replica.Replica, raws [][]byte, device string) (altered map[string]bool, changed bool, err error) {
	start := time.Now()
	stop := y.watchOpening(r)
	rep, err := r.Apply(y.ctx, raws)
	y.applies.Add(1)
	opening := stop() // the time spent opening what a key opened: not this batch's
	if err != nil {
		return nil, false, err
	}
	y.applied(len(raws), time.Since(start)-opening)
	y.handed.Add(int64(len(raws)))
	y.fresh.Add(int64(rep.New))
	for j := range rep.Problems {
		p := &rep.Problems[j]
		if p.Device == "" { // bytes that did not even parse
			p.Device = device
			p.Reason += " (in a pack fetched from IPFS: its bytes were altered)"
		}
		if p.Altered {
			if altered == nil {
				altered = map[string]bool{}
			}
			altered[p.Device] = true
		}
	}
	y.report(rep.Problems...)
	return altered, rep.New > 0 || rep.Applied > 0, nil
}

func (y *Syncer) fetchShare() int64 {
	if y.cfg.FetchShare > 0 {
		return y.cfg.FetchShare
	}
	return fetchShare
}

func (y *Syncer) walkSegment() int {
	if y.cfg.WalkSegment > 0 {
		return y.cfg.WalkSegment
	}
	return walkSegment
}
