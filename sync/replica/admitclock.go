package replica

// admitclock.go: an order of admissions an administrator cannot backdate
// as she likes (session 21 review h-sec21a; open since h-sec20b, S20b-5).
//
// A member's admission is the first event that set her token by (Lamport,
// device, seq) (admission.go), and a clock is its writer's word: a hostile
// administrator's modified software set a puppet's token again at Lamport
// 1 from a new workstation of hers, the puppet was admitted before every
// physician, and a recovery read her as the clinic's key maker. An
// admission's clock here is the highest of:
//
//   - its own Lamport clock;
//   - its writer's earlier events in the same chain
//     (store.Tx.MaxLamportThrough): a chain is hash-linked, so she cannot
//     put an event before what she wrote there already;
//   - the clock the chain was named at: an event of its member's entry
//     naming its device (or her move onto it, read at the move's head in
//     the chain it left) was written in another chain, at that chain's
//     clock there and that chain's own naming, back to a chain nothing
//     named (an entry that names no devices: a workstation of before
//     session 17) or the founder's first, which named itself at the
//     founding; the least over the ways back of the highest clock met (a
//     circle lowers nothing). A chain's naming of itself counts for the
//     founder's entry only: an administrator's late workstation named
//     itself at Lamport 2 in its own chain to come before the clinic.
//
// A member's clock is the least over the applied events of her entry that
// set her token: a rival event clocked low in a late chain pushes nobody
// later, nor does an event naming again late a chain already named. The founder's
// entry cites no token: 0 (as an entry citing none comes first in
// admission.go). Every workstation that stored the same events computes the
// same, in any arrival order; nothing is refused or stored differently
// (only app/recovery reads it), so no stored verdict is judged again.
//
// Still open (Known limits): a workstation her entry named before the
// physicians' admission and she kept quiet; a move whose head (her word)
// names an early event of the chain it left; the founder, whose
// workstation naming itself in its own chain cannot be told from the
// founding; and an entry that names no devices (written before devices
// were named, issue 13): its chains are named at 0, and a list an
// administrator writes for it late pushes what was written in them later.
// Each needs an administrator's modified software, the first two planning
// from before the physicians joined.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// AdmissionClocks is, for each member whose admission was judged, the
// clock of her admission nobody can set below what the chains showed (see
// the file comment); the founder's is 0.
type AdmissionClocks map[string]uint64

// AdmissionClocks reads the clock of every judged member's admission.
func (r *Replica) AdmissionClocks(ctx context.Context) (AdmissionClocks, error) {
	out := AdmissionClocks{}
	members := map[string]Member{} // admitted by an event that set her token
	founders := map[string]bool{}
	r.state.RLock()
	for fp, m := range r.members {
		switch c, judged := r.admitted[fp]; {
		case judged && c == nil:
			out[fp] = 0 // the founder's entry cites no token
			founders[fp] = true
		case judged:
			members[fp] = m
		}
	}
	r.state.RUnlock()
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		w := clockWalk{r: r, tx: tx, founders: founders, prefix: map[chainPlace]uint64{}, entries: map[string][]entryEvent{},
			named: map[memberChain][]naming{}, since: map[memberChain]uint64{}}
		admissions := map[string][]eventPlace{} // member -> the events that set her token
		var chains []memberChain
		for fp, m := range members {
			events, err := w.entry(ctx, fp)
			if err != nil {
				return err
			}
			for _, e := range events {
				if e.token != "" && e.token == m.Token {
					admissions[fp] = append(admissions[fp], e.place)
					chains = append(chains, memberChain{e.place.author, e.place.device})
				}
			}
		}
		if err := w.settle(ctx, chains); err != nil {
			return err
		}
		for fp, places := range admissions {
			least := uint64(math.MaxUint64)
			for _, p := range places {
				at, err := w.chainClock(ctx, p)
				if err != nil {
					return err
				}
				least = min(least, max(at, w.since[memberChain{p.author, p.device}]))
			}
			out[fp] = least
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replica: the clocks of admissions: %w", err)
	}
	return out, nil
}

// eventPlace is an event's writer, place and own clock.
type eventPlace struct {
	author, device string
	seq, lamport   uint64
}

// entryEvent is an applied event of a member's entry: where it stands,
// the token it set and the devices it named.
type entryEvent struct {
	place   eventPlace
	token   string
	devices []string
}

// memberChain is one member's chain: her events in a device.
type memberChain struct{ author, device string }

// naming is an event that named a chain's device in its member's entry
// (or her move onto it): the chain it was written in, and its clock there
// (its own and its writer's earlier ones in that chain).
type naming struct {
	in memberChain
	at uint64
}

// clockWalk reads clocks through one transaction, remembering what it read.
type clockWalk struct {
	r        *Replica
	tx       *store.Tx
	founders map[string]bool          // whose entry cites no token
	prefix   map[chainPlace]uint64    // the highest clock of the writer's chain up to a place
	entries  map[string][]entryEvent  // a member's entry's applied events
	named    map[memberChain][]naming // the events that named a chain, read
	since    map[memberChain]uint64   // the clock a chain was named at (settle)
}

// entry reads the applied events of fp's directory entry.
func (w *clockWalk) entry(ctx context.Context, fp string) ([]entryEvent, error) {
	if es, ok := w.entries[fp]; ok {
		return es, nil
	}
	rows, err := w.tx.EnvelopesForEntity(ctx, fp)
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", short(fp), err)
	}
	var out []entryEvent
	for _, row := range rows {
		if row.Kind != KindMember || row.State != store.Applied {
			continue
		}
		_, fields, err := w.r.storedFields(row)
		if err != nil {
			return nil, err
		}
		e := entryEvent{place: eventPlace{author: row.Author, device: row.Device, seq: row.Seq, lamport: row.Lamport}}
		json.Unmarshal(fields["token"], &e.token)     //nolint:errcheck // anything but a string sets no token
		json.Unmarshal(fields["devices"], &e.devices) //nolint:errcheck // anything but a list names no device
		out = append(out, e)
	}
	w.entries[fp] = out
	return out, nil
}

// chainClock is the highest clock of p's writer's events in its chain up
// to p, its own included.
func (w *clockWalk) chainClock(ctx context.Context, p eventPlace) (uint64, error) {
	key := chainPlace{p.device, p.seq}
	pre, ok := w.prefix[key]
	if !ok {
		var err error
		if pre, err = w.tx.MaxLamportThrough(ctx, p.device, p.author, p.seq); err != nil {
			return 0, err
		}
		w.prefix[key] = pre
	}
	return max(pre, p.lamport), nil
}

// namings reads the events that named chain c: the applied events of its
// member's entry naming its device, written in another chain (a chain
// does not name itself into being: an administrator's later workstation
// named itself at a low clock), but for the founder's, whose first
// workstation named itself at the founding; and her move onto it.
func (w *clockWalk) namings(ctx context.Context, c memberChain) ([]naming, error) {
	if ns, ok := w.named[c]; ok {
		return ns, nil
	}
	events, err := w.entry(ctx, c.author)
	if err != nil {
		return nil, err
	}
	var out []naming
	for _, e := range events {
		if e.place.device == c.device && !w.founders[c.author] || !slices.Contains(e.devices, c.device) {
			continue
		}
		at, err := w.chainClock(ctx, e.place)
		if err != nil {
			return nil, err
		}
		out = append(out, naming{in: memberChain{e.place.author, e.place.device}, at: at})
	}
	if mv, ok, err := w.moveOnto(ctx, c); err != nil {
		return nil, err
	} else if ok {
		at, err := w.chainClock(ctx, eventPlace{author: c.author, device: mv.from, seq: mv.head})
		if err != nil {
			return nil, err
		}
		out = append(out, naming{in: memberChain{c.author, mv.from}, at: at})
	}
	w.named[c] = out
	return out, nil
}

// moveOnto is c's member's move onto c's device, when its first event is
// one that counts (move.go).
func (w *clockWalk) moveOnto(ctx context.Context, c memberChain) (move, bool, error) {
	if !crypto.DeviceBoundTo(c.device, c.author) {
		return move{}, false, nil
	}
	first, err := w.tx.EnvelopeAt(ctx, c.device, 1)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return move{}, false, nil
	case err != nil:
		return move{}, false, err
	case first.Author != c.author || !moveCounts(first):
		return move{}, false, nil
	}
	env, err := crypto.ParseEnvelope(first.Raw)
	if err != nil {
		return move{}, false, nil //nolint:nilerr // a move that does not parse names nothing
	}
	mv, err := parseMove(env.Header, env.Ciphertext)
	if err != nil || mv.from == "" || mv.from == c.device {
		return move{}, false, nil //nolint:nilerr // likewise
	}
	return mv, true, nil
}

// settle reads the clock each of chains, and every chain whose events
// named them, was named at (since): the least over the ways back to a
// chain nothing else named (at 0) or the founder's that named itself (at
// the clock of the event that did) of the highest clock met on the way,
// as the shortest way (Dijkstra's) whose length is the highest clock met;
// a way round in a circle lowers nothing. A chain no such way reaches is
// named at no clock (math.MaxUint64: only events nothing let in name it).
func (w *clockWalk) settle(ctx context.Context, chains []memberChain) error {
	// Every chain the events that named chains were written in, back to
	// those nothing else named.
	seen := map[memberChain]bool{}
	queue := slices.Clone(chains)
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if seen[c] {
			continue
		}
		seen[c] = true
		ns, err := w.namings(ctx, c)
		if err != nil {
			return err
		}
		for _, n := range ns {
			queue = append(queue, n.in)
		}
	}
	const never = uint64(math.MaxUint64)
	dist := map[memberChain]uint64{}
	for c := range seen {
		dist[c] = never
		if len(w.named[c]) == 0 {
			dist[c] = 0
		}
		for _, n := range w.named[c] {
			if n.in == c { // the founder's chain that named itself
				dist[c] = min(dist[c], n.at)
			}
		}
	}
	done := map[memberChain]bool{}
	for {
		var next memberChain
		best := never
		for c, d := range dist {
			if !done[c] && d < best {
				next, best = c, d
			}
		}
		if best == never {
			break
		}
		done[next] = true
		for c := range seen {
			if done[c] {
				continue
			}
			for _, n := range w.named[c] {
				if n.in == next {
					dist[c] = min(dist[c], max(best, n.at))
				}
			}
		}
	}
	for c, d := range dist {
		w.since[c] = d
	}
	return nil
}
