package replica

// witness.go: the branch of a forked chain the clinic witnessed stands
// (session 21, h-fork21b). Without it, a member who forks her own chain at
// an old place (fork.go) sets aside everything she wrote from there on
// every workstation — a fired physician's charted allergies, an
// administrator's admissions — though every workstation held those events
// long before the fork: forking was self-erasure with a chosen start.
//
//   - Witnesses. At its upkeep (Witness, at most once per witnessEvery,
//     only for chains whose heads moved since its last, at most maxPins
//     chains an event), a workstation writes an event of kind KindWitness
//     in its own chain: public scope, record id "witness:" then its
//     device, clear payload the heads it holds of other members' chains
//     (device, author, seq, hash of the envelope held there: applied,
//     sealed, or refused by a rule of policy — what it holds, whatever its
//     verdict). Judged by itself like a fork-seen event (writer's key,
//     signature, clock, shape), it records each pin in meta
//     replica/pins/DEVICE/AUTHOR: per writer her highest pin (the lower
//     hash on a tie) and, since h-fork23, her next keptPins-1 (Below), so
//     the pins are a function of the set of events.
//   - The rule (standOf), the same everywhere; a majority of votes since
//     h-fork22 (before: any two pins naming two branches set it aside):
//     for a fork of author A's device D proven at S, take the pins on
//     (D, A) at seq >= S whose writer is not A and is a member, not
//     revoked or revoked with the pin written at or below her
//     revocation's head of that device (votes; of her keptPins highest
//     since h-fork23). None: set aside from S
//     (fork.go as before). Each pin votes for the hash its chain holds at
//     S (walked down by Prev from its hash; its own hash if it names S).
//     A hash with more than half the votes stands, up to the place more
//     than half the voters pinned (the lowest of the highest n/2+1 of its
//     votes): her events at S..that place on the stored chain walked down
//     from that pin stand, any other there and all above are refused
//     (rule "forked"). No hash can have more than half (a tie): set aside
//     from S. A pin this workstation cannot walk (a branch it does not
//     hold) is a vote it cannot place: when the verdict depends on it, or
//     may raise the place, her events up to the highest pin wait; while
//     the walk does not reach S (it holds the other branch there), her
//     events at S..P wait, so no workstation judges by what it happens to
//     hold, and the branch that stands takes their place when it arrives
//     (carried by the workstations on which it stands: carry.go).
//   - A change of pins, of the forks or of a witness's membership is
//     judged again in settle (judgeForks): events the rule refused that
//     now stand go back to pending, applied ones now refused are refused
//     and their records rebuilt.
//
// Cost: one witness event per workstation per witnessEvery while chains
// move (JSON, about 200 bytes a chain, at most maxPins chains); one meta
// row per witnessed chain. A forked chain is walked (one lookup a place
// from S to P) when its pins change and its place moves, or while its
// walk is incomplete. Measured (BenchmarkForkWitness, h-fork22): a new
// workstation catching up 10,000 events of a chain forked at the first
// and witnessed takes 176 µs an envelope against 43 plain (88
// unwitnessed); an Apply on a workstation holding it takes 1.2 ms, and
// 3.6 ms while one vote cannot be placed there (a garbage pin; 97 ms
// before the stand kept where each walked pin lands: stand.placed).

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

const (
	// KindWitness carries the heads of other members' chains its writer
	// holds, with hashes.
	KindWitness = "heads-seen"
	// witnessPrefix, then the writer's device, is a witness's record id.
	witnessPrefix = "witness:"
	// metaPins, then device/author, holds the pins witnesses wrote for
	// that chain: JSON map writer -> pin.
	metaPins = "replica/pins/"
	// metaWitnessed holds what this workstation last witnessed: JSON map
	// device -> seq.
	metaWitnessed = "replica/witnessed"
	// maxPins bounds the chains one witness event names.
	maxPins = 256
	// forkWait begins the reason of an event that waits for the branch of
	// its forked chain the witnesses name (verified: witnessed as held).
	forkWait = "its author forked this device"
	// witnessEvery is the least time between two witness events of one
	// workstation (Witness).
	witnessEvery = 10 * time.Minute
)

// Pin is one chain head a witness event names.
type Pin struct {
	Device string `json:"d"`
	Author string `json:"a"`
	Seq    uint64 `json:"s"`
	Hash   string `json:"h"`
}

// pinHeld is a writer's highest pin of one chain, and where she wrote it.
type pinHeld struct {
	Seq  uint64 `json:"s"`
	Hash string `json:"h"`
	// W and N are the witness event's device and seq (h-fork22: a revoked
	// writer's pin counts when written at or below her revocation's head
	// there). None in pins a version before it kept, until the mend
	// (retakePins) takes them again.
	W string `json:"w,omitempty"`
	N uint64 `json:"n,omitempty"`
	// Below: her next highest pins of the chain (at most keptPins-1, by
	// above; h-fork23): when she is revoked and her highest was written
	// above her revocation's head (her workstation witnessed once more
	// before it was told), the highest written at or below it votes.
	Below []pinHeld `json:"b,omitempty"`
}

// same reports whether a and b are one pin, written in one place.
func (a pinHeld) same(b pinHeld) bool {
	return a.Seq == b.Seq && a.Hash == b.Hash && a.W == b.W && a.N == b.N
}

// keptPins bounds the pins of one chain kept per writer (pinHeld.Below).
const keptPins = 4

// kept lists a writer's kept pins, the highest first, each without Below.
func (a pinHeld) kept() []pinHeld {
	top := a
	top.Below = nil
	return append([]pinHeld{top}, a.Below...)
}

// above orders one writer's pins of a chain: the higher place, then the
// lower hash, then the earlier witness. A total order, so her kept pin is
// a function of the set of her witness events, whatever their order.
func (a pinHeld) above(b pinHeld) bool {
	switch {
	case a.Seq != b.Seq:
		return a.Seq > b.Seq
	case a.Hash != b.Hash:
		return a.Hash < b.Hash
	case a.W != b.W:
		return a.W < b.W
	}
	return a.N < b.N
}

// stand is what stands of a forked chain: her events at from..upto whose
// hash is hashes[seq]; the rest from from on is refused. complete=false:
// the walk did not reach from here, her events at from..upto wait.
// Her events at upto+1..waitTo wait too: a vote this workstation cannot
// place yet may raise upto. settled: no later arrival changes it (every
// vote placed, the walk whole), judged again only when the pins change.
type stand struct {
	from, upto uint64
	waitTo     uint64
	top        string // the highest pin's hash, "" when none stands
	hashes     map[uint64]string
	complete   bool
	settled    bool
	pins       string // the pins it was judged by (their JSON)
	// placed: a pin's hash -> the hash at from below it, for the pins
	// walked down to from (a function of the signed bytes, which name
	// their predecessor's hash: never walked twice, h-fork22's cost of a
	// vote this workstation cannot place, judged again at every settle).
	placed map[string]string
	// reach, reachHash: the highest vote for the branch that stands; a
	// workstation holding that branch carries its chain from from up to
	// it to the others (carry.go).
	reach     uint64
	reachHash string
}

func (a stand) same(b stand) bool {
	return a.from == b.from && a.upto == b.upto && a.waitTo == b.waitTo && a.top == b.top && a.complete == b.complete &&
		len(a.hashes) == len(b.hashes)
}

// WitnessEntity is the record id of the witness events device writes.
func WitnessEntity(device string) string { return witnessPrefix + device }

func checkWitnessHeader(h crypto.Header) error {
	switch {
	case h.Scope != ScopePublic:
		return fmt.Errorf("a witness event belongs in the %s scope, not %s", ScopePublic, h.Scope)
	case h.Entity != WitnessEntity(h.Device):
		return fmt.Errorf("a witness event's record id is %s then its own device", witnessPrefix)
	}
	return nil
}

// parseWitness reads the pins a witness event carries (outside bytes).
func parseWitness(h crypto.Header, payload []byte) ([]Pin, error) {
	if err := checkWitnessHeader(h); err != nil {
		return nil, err
	}
	var pins []Pin
	if err := json.Unmarshal(payload, &pins); err != nil {
		return nil, fmt.Errorf("a witness event's payload is not a list of heads: %v", err)
	}
	if len(pins) > maxPins {
		return nil, fmt.Errorf("a witness event names %d chains, more than %d", len(pins), maxPins)
	}
	for _, p := range pins {
		if !crypto.IsDeviceID(p.Device) || p.Author == "" || len(p.Author) > 128 || p.Seq == 0 || len(p.Hash) != 64 {
			return nil, errors.New("a witness event names a head without device, author, place or hash")
		}
	}
	return pins, nil
}

// tryWitness judges a witness event of another workstation, its chain
// whole up to it (try), and records its pins.
func (r *Replica) tryWitness(ctx context.Context, tx *store.Tx, env *crypto.Envelope, checked bool, prevLamport uint64) (verdict, error) {
	h := env.Header
	if v, ok, err := r.authentic(ctx, tx, env, checked, prevLamport); !ok {
		return v, err
	}
	pins, err := parseWitness(h, env.Ciphertext)
	if err != nil {
		return refused(ruleContent, "%s", err.Error()), nil
	}
	if err := r.takePins(ctx, tx, h, pins); err != nil {
		return verdict{}, err
	}
	return verdict{state: store.Applied}, nil
}

func pinsKey(device, author string) string { return metaPins + device + "/" + author }

func (r *Replica) readPins(ctx context.Context, tx *store.Tx, device, author string) (map[string]pinHeld, []byte, error) {
	held := map[string]pinHeld{}
	v, err := tx.Meta(ctx, pinsKey(device, author))
	if errors.Is(err, store.ErrNotFound) {
		return held, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("replica: witnessed heads: %w", err)
	}
	if err := json.Unmarshal(v, &held); err != nil {
		return nil, nil, fmt.Errorf("replica: witnessed heads: %w", err)
	}
	return held, v, nil
}

// takePins records the pins of witness event h: per chain its writer's
// highest (pinHeld.above), with where she wrote it.
func (r *Replica) takePins(ctx context.Context, tx *store.Tx, h crypto.Header, pins []Pin) error {
	writer := h.Author
	for _, p := range pins {
		if p.Author == writer {
			continue // her own chains: no witness of hers counts for them
		}
		held, _, err := r.readPins(ctx, tx, p.Device, p.Author)
		if err != nil {
			return err
		}
		pin := pinHeld{Seq: p.Seq, Hash: p.Hash, W: h.Device, N: h.Seq}
		list := []pinHeld{pin}
		if was, ok := held[writer]; ok {
			list = was.kept()
			if slices.ContainsFunc(list, pin.same) {
				continue
			}
			list = append(list, pin)
			slices.SortFunc(list, func(a, b pinHeld) int {
				if a.above(b) {
					return -1
				}
				return 1
			})
			if len(list) > keptPins {
				list = list[:keptPins]
				if !slices.ContainsFunc(list, pin.same) {
					continue // below her kept ones: nothing changes
				}
			}
		}
		top := list[0]
		if len(list) > 1 {
			top.Below = list[1:]
		}
		held[writer] = top
		if err := tx.SetMeta(ctx, pinsKey(p.Device, p.Author), mustJSON(held)); err != nil {
			return fmt.Errorf("replica: witnessed heads: %w", err)
		}
	}
	return nil
}

// retakePins takes the pins of every applied witness event again (the
// mend, fields revision 18: pins kept before h-fork22 lack where they
// were written).
func (r *Replica) retakePins(ctx context.Context, tx *store.Tx) error {
	var keys []string
	if err := tx.MetaWithPrefix(ctx, metaPins, func(key string, _ []byte) { keys = append(keys, key) }); err != nil {
		return fmt.Errorf("replica: witnessed heads: %w", err)
	}
	for _, key := range keys {
		if err := tx.DeleteMeta(ctx, key); err != nil {
			return fmt.Errorf("replica: witnessed heads: %w", err)
		}
	}
	var witnesses [][]byte
	err := tx.EachEnvelope(ctx, func(e store.Envelope) error {
		if e.Kind == KindWitness && e.State == store.Applied && e.Raw != nil {
			witnesses = append(witnesses, e.Raw)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replica: witness events: %w", err)
	}
	for _, raw := range witnesses {
		env, err := crypto.ParseEnvelope(raw)
		if err != nil {
			continue
		}
		pins, err := parseWitness(env.Header, env.Ciphertext)
		if err != nil {
			continue
		}
		if err := r.takePins(ctx, tx, env.Header, pins); err != nil {
			return err
		}
	}
	r.state.Lock()
	clear(r.stands)
	r.state.Unlock()
	return nil
}

// votes reports which of writer's kept pins p counts (r.state held): a
// member's highest, not revoked; or revoked, her highest written at or
// below her revocation's head of the device she wrote it in (h-fork22;
// of her kept pins since h-fork23).
func (r *Replica) votes(writer string, p pinHeld) (pinHeld, bool) {
	m, ok := r.members[writer]
	if !ok {
		return pinHeld{}, false
	}
	if m.Status != StatusRevoked {
		return p.kept()[0], true
	}
	for _, q := range p.kept() {
		if head, ok := m.RevokedHeads[q.W]; q.W != "" && ok && q.N <= head {
			return q, true
		}
	}
	return pinHeld{}, false
}

// countedPins are the pins of author's chain device that vote at or above
// from (r.state not held): by writer, the pin that counts (votes).
func (r *Replica) countedPins(held map[string]pinHeld, author string, from uint64) map[string]pinHeld {
	counted := map[string]pinHeld{}
	r.state.RLock()
	defer r.state.RUnlock()
	for w, p := range held {
		if w == author {
			continue
		}
		if q, ok := r.votes(w, p); ok && q.Seq >= from {
			counted[w] = q
		}
	}
	return counted
}

// standOf judges what of author's forked chain device (from seq from)
// stands by the witnesses held here: by the majority of the members'
// votes (h-fork22). Each counted pin votes for the hash its chain holds
// at from (the walk down by Prev from its hash, or its own hash when it
// names from itself), a function of the set of envelopes; a pin this
// workstation cannot walk is a vote it cannot place yet. A hash with more
// than half the votes stands, up to the place more than half the voters
// pinned; if none can have more than half, nothing stands from from on;
// if it depends on the votes not placed here, her events from from up to
// the highest pin wait.
func (r *Replica) standOf(ctx context.Context, tx *store.Tx, k forkKey, from uint64, was stand) (stand, error) {
	none := stand{from: from, upto: from - 1, waitTo: from - 1, complete: true, settled: true}
	held, _, err := r.readPins(ctx, tx, k.device, k.author)
	if err != nil {
		return stand{}, err
	}
	counted := r.countedPins(held, k.author, from)
	none.pins = string(mustJSON(counted))
	if len(counted) == 0 {
		return none, nil
	}
	if was.settled && was.pins == none.pins && was.from == from {
		return was, nil // judged by the same pins, nothing left to place
	}
	// The hash at from of the chain through each pin ("" not walkable here).
	atFrom := map[string]string{} // an envelope's hash -> the hash at from below it
	placed := map[string]string{}
	if was.from == from {
		maps.Copy(placed, was.placed)
	}
	none.placed = placed
	// A whole walk judged before places the pins on it without a lookup
	// (a vote this workstation cannot place keeps the stand unsettled:
	// judged again at every settle).
	walked := was.complete && was.from == from && was.top != ""
	place := func(p pinHeld) (string, error) {
		if walked && was.hashes[p.Seq] == p.Hash {
			return was.hashes[from], nil
		}
		if h, ok := placed[p.Hash]; ok {
			return h, nil
		}
		var path []string
		want := p.Hash
		for s := p.Seq; s > from; s-- {
			if h, ok := atFrom[want]; ok {
				want = h
				break
			}
			row, err := tx.EnvelopeAt(ctx, k.device, s)
			if errors.Is(err, store.ErrNotFound) {
				return "", nil
			}
			if err != nil {
				return "", fmt.Errorf("replica: forked chain: %w", err)
			}
			if row.Hash != want || row.Author != k.author {
				return "", nil
			}
			path = append(path, want)
			want = row.Prev
		}
		for _, h := range path {
			atFrom[h] = want
		}
		placed[p.Hash] = want
		return want, nil
	}
	votes, voted := map[string]int{}, map[string]string{}
	unplaced, highest := 0, uint64(0)
	for _, w := range slices.Sorted(maps.Keys(counted)) {
		p := counted[w]
		highest = max(highest, p.Seq)
		h, err := place(p)
		if err != nil {
			return stand{}, err
		}
		if h == "" {
			unplaced++
			continue
		}
		votes[h]++
		voted[w] = h
	}
	winner := ""
	for h, n := range votes {
		if 2*n > len(counted) {
			winner = h
		}
	}
	if winner == "" {
		most := unplaced
		for _, n := range votes {
			most = max(most, n+unplaced)
		}
		if 2*most <= len(counted) {
			return none, nil // no branch can have more than half: a tie, or votes spread
		}
		wait := none
		wait.waitTo, wait.complete, wait.settled = highest, false, false
		return wait, nil
	}
	// It stands up to the place more than half the voters pinned it at or
	// above: the lowest of the highest len(counted)/2+1 of its votes. Any
	// two workstations that judge so share one of those voters, whose pin
	// lies on both their chains above both their places: what either lets
	// stand the other holds too, though each can place only the votes on
	// the chain it holds (her second fork above the first, served to
	// different witnesses).
	var won []pinHeld
	for w, h := range voted {
		if h == winner {
			won = append(won, counted[w])
		}
	}
	slices.SortFunc(won, func(a, b pinHeld) int {
		if a.Seq != b.Seq {
			return cmp.Compare(b.Seq, a.Seq)
		}
		return strings.Compare(a.Hash, b.Hash)
	})
	top := won[len(counted)/2]
	st := stand{from: from, upto: top.Seq, waitTo: top.Seq, top: top.Hash, hashes: map[uint64]string{}, pins: none.pins, placed: placed,
		reach: won[0].Seq, reachHash: won[0].Hash}
	if unplaced > 0 {
		st.waitTo = max(top.Seq, highest) // more votes placed may raise it
	}
	if walked && was.upto == top.Seq && was.top == top.Hash {
		st.hashes, st.complete = was.hashes, true
		st.settled = unplaced == 0
		return st, nil
	}
	want := top.Hash
	for s := top.Seq; s >= from && s > 0; s-- {
		row, err := tx.EnvelopeAt(ctx, k.device, s)
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			return stand{}, fmt.Errorf("replica: forked chain: %w", err)
		}
		if row.Hash != want || row.Author != k.author {
			break
		}
		st.hashes[s] = want
		want = row.Prev
	}
	st.complete = uint64(len(st.hashes)) == top.Seq-from+1
	st.settled = st.complete && unplaced == 0
	return st, nil
}

// forkVerdict is the fork rule on an event of author in device at seq with
// hash: refused (ok) or waiting (wait) or neither.
func (r *Replica) forkVerdict(ctx context.Context, tx *store.Tx, h crypto.Header, hash string) (v verdict, ok bool, err error) {
	if noAct(h.Kind) {
		return verdict{}, false, nil
	}
	k := forkKey{h.Device, h.Author}
	s, forked := r.forkedFrom(h.Device, h.Author)
	if !forked || h.Seq < s {
		return verdict{}, false, nil
	}
	st, err := r.standFor(ctx, tx, k, s)
	if err != nil {
		return verdict{}, false, err
	}
	if h.Seq <= st.upto {
		if st.hashes[h.Seq] == hash {
			return verdict{}, false, nil // on the branch the clinic witnessed
		}
		if !st.complete {
			return pending(forkWait+" at place %d; it waits for the branch other workstations witnessed up to place %d", s, st.upto), true, nil
		}
	}
	if h.Seq > st.upto && h.Seq <= st.waitTo {
		return pending(forkWait+" at place %d; it waits for the branches other workstations witnessed up to place %d to arrive", s, st.waitTo), true, nil
	}
	if st.top == "" {
		return refused(ruleForked, "its author signed two different events for place %d of this device's chain (a fork): "+
			"her events there from that place on are set aside on every workstation", s), true, nil
	}
	return refused(ruleForked, "its author signed two different events for place %d of this device's chain (a fork): "+
		"her events there from that place on are set aside on every workstation, but for the branch other workstations witnessed (up to place %d)", s, st.upto), true, nil
}

// standFor is the stand of a forked chain, judged when not known yet.
func (r *Replica) standFor(ctx context.Context, tx *store.Tx, k forkKey, from uint64) (stand, error) {
	r.state.RLock()
	st, ok := r.stands[k]
	r.state.RUnlock()
	if ok && st.from == from {
		return st, nil
	}
	st, err := r.standOf(ctx, tx, k, from, stand{})
	if err != nil {
		return stand{}, err
	}
	r.state.Lock()
	r.stands[k] = st
	r.state.Unlock()
	return st, nil
}

// judgeForks judges every forked chain again by the witnesses held now
// (settle): what the change lets stand goes back to pending, what it
// refuses is refused and its records rebuilt. Reports whether anything
// changed.
func (r *Replica) judgeForks(ctx context.Context, tx *store.Tx) (bool, error) {
	r.state.RLock()
	keys := slices.Collect(maps.Keys(r.forks))
	r.state.RUnlock()
	slices.SortFunc(keys, func(a, b forkKey) int { return strings.Compare(a.device+"/"+a.author, b.device+"/"+b.author) })
	changed := false
	for _, k := range keys {
		from, _ := r.forkedFrom(k.device, k.author)
		r.state.RLock()
		was, known := r.stands[k]
		r.state.RUnlock()
		if !known || was.from != from {
			was = stand{}
		}
		st, err := r.standOf(ctx, tx, k, from, was)
		if err != nil {
			return false, err
		}
		r.state.Lock()
		r.stands[k] = st
		r.state.Unlock()
		if known && was.from == from && was.same(st) {
			continue
		}
		if _, err := r.sweepFork(ctx, tx, k.device, k.author, from); err != nil {
			return false, err
		}
		// Changed even when no verdict did: her pending events there
		// are tried again by the new stand (a branch that arrived in the
		// Apply that placed the votes; h-fork22).
		changed = true
	}
	return changed, nil
}

// Witness writes, at most once per witnessEvery, a witness event naming
// the heads of other members' chains that moved since this workstation's
// last one (the app's upkeep). Returns how many chains it named.
func (r *Replica) Witness(ctx context.Context) (int, error) {
	r.mark.Lock()
	due := r.witnessAt.IsZero() || r.p.Now().Sub(r.witnessAt) >= witnessEvery
	r.mark.Unlock()
	if !due {
		return 0, nil
	}
	n, err := r.witness(ctx)
	if err == nil {
		r.mark.Lock()
		r.witnessAt = r.p.Now()
		r.mark.Unlock()
	}
	return n, err
}

// witness writes the witness event now.
func (r *Replica) witness(ctx context.Context) (int, error) {
	if r.OwnForked() {
		return 0, nil
	}
	r.state.RLock()
	me, ok := r.members[r.fp]
	r.state.RUnlock()
	if ok && me.Revoked() {
		return 0, nil // what she witnessed from here on counts nowhere (votes)
	}
	var pins []Pin
	last := map[string]uint64{}
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		v, err := tx.Meta(ctx, metaWitnessed)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(v, &last); err != nil {
				return err
			}
		}
		heads, err := tx.Heads(ctx)
		if err != nil {
			return err
		}
		for _, h := range heads {
			if h.Device == r.p.Device {
				continue
			}
			// What is held above the head, refused by a rule of policy
			// (a fork's branch this workstation holds among them).
			top, err := tx.EnvelopeAt(ctx, h.Device, h.Seq)
			if err != nil {
				return err
			}
			above, err := tx.EnvelopesAfter(ctx, h.Device, h.Seq, maxPins)
			if err != nil {
				return err
			}
			for _, row := range above {
				// Not one that waits for a fork's witnessed branch: it
				// gives way when that branch arrives (replaceUnverified).
				held := row.State == store.Rejected && row.Rule != ""
				if row.Seq != top.Seq+1 || !held || row.Author != top.Author {
					break
				}
				top = row
			}
			if top.Author == r.fp || last[top.Device] == top.Seq {
				continue
			}
			pins = append(pins, Pin{Device: top.Device, Author: top.Author, Seq: top.Seq, Hash: top.Hash})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("replica: heads to witness: %w", err)
	}
	if len(pins) == 0 {
		return 0, nil
	}
	slices.SortFunc(pins, func(a, b Pin) int { return strings.Compare(a.Device, b.Device) })
	if len(pins) > maxPins {
		pins = pins[:maxPins] // the rest at the next
	}
	payload := mustJSON(pins)
	b := r.Batch()
	b.add(KindWitness, ScopePublic, 0, WitnessEntity(r.p.Device), func(h crypto.Header) (*crypto.Envelope, error) {
		return crypto.SealRaw(h, payload, r.p.Identity)
	})
	if _, err := b.Commit(ctx); err != nil {
		if errors.Is(err, ErrRestoredFetching) || errors.Is(err, ErrForked) || r.holdErr() != nil {
			return 0, nil // held: the next upkeep witnesses
		}
		return 0, err
	}
	for _, p := range pins {
		last[p.Device] = p.Seq
	}
	err = r.p.DB.Update(ctx, func(tx *store.Tx) error { return tx.SetMeta(ctx, metaWitnessed, mustJSON(last)) })
	return len(pins), err
}
