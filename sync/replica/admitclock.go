package replica

// admitclock.go: an order of admissions an administrator cannot backdate
// (session 21 review h-sec21a; open since h-sec20b, S20b-5).
//
// A member's admission is the first event that set her token by (Lamport,
// device, seq) (admission.go), and a clock is its writer's word: a hostile
// administrator's modified software set a puppet's token again at Lamport
// 1 from a new device of hers, the puppet was admitted before every
// physician, and a recovery read her as the clinic's key maker. An
// admission's clock here is the highest of:
//
//   - its own Lamport clock;
//   - the clocks of its writer's earlier events in the same chain
//     (store.Tx.MaxLamportThrough: a chain is hash-linked, so its writer
//     cannot put an event before what she wrote there already);
//   - the clock of the event that named the chain's device in its
//     writer's directory entry, read the same way (at most
//     maxEntryDevices+1 devices deep, which an entry's device list bounds),
//     the least of them when several named it: her events in a device the
//     clinic learnt of at a late clock are late. A device she moved onto
//     (move.go) is named by her move, read as the event at its head in
//     the chain it moved from.
//
// A member's clock is the least over the applied events of her entry that
// set her token (a rival event clocked low on a late chain then pushes
// nobody later). The founder's entry cites no token: 0. Every workstation
// that stored the same events computes the same, in any arrival order;
// nothing is refused or stored differently (only app/recovery reads it),
// so no stored verdict is judged again.
//
// What it does not order: a device her entry named early and she kept
// quiet, or a move whose head (her word) names an early event of the chain
// it left, let her write an admission at an early clock still; and an
// honest chain's clock says nothing of events written elsewhere that it
// never saw.

import (
	"context"
	"encoding/json"
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
	r.state.RLock()
	for fp, m := range r.members {
		switch c, judged := r.admitted[fp]; {
		case judged && c == nil:
			out[fp] = 0 // the founder's entry cites no token
		case judged:
			members[fp] = m
		}
	}
	r.state.RUnlock()
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		w := clockWalk{r: r, tx: tx, prefix: map[chainPlace]uint64{}, at: map[placeDepth]uint64{}, entries: map[string][]entryEvent{}}
		for fp, m := range members {
			events, err := w.entry(ctx, fp)
			if err != nil {
				return err
			}
			least := uint64(math.MaxUint64)
			for _, e := range events {
				if e.token == "" || e.token != m.Token {
					continue
				}
				c, err := w.clock(ctx, e.place, maxEntryDevices+1)
				if err != nil {
					return err
				}
				least = min(least, c)
			}
			if least != math.MaxUint64 {
				out[fp] = least
			}
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

type placeDepth struct {
	chainPlace
	depth int
}

// clockWalk reads clocks through one transaction, remembering what it read.
type clockWalk struct {
	r       *Replica
	tx      *store.Tx
	prefix  map[chainPlace]uint64   // the highest clock of the writer's chain up to a place
	at      map[placeDepth]uint64   // clock at a depth
	entries map[string][]entryEvent // a member's entry's applied events
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

// clock is the clock of the event at p, reading the events that named its
// device depth deep.
func (w *clockWalk) clock(ctx context.Context, p eventPlace, depth int) (uint64, error) {
	key := placeDepth{chainPlace{p.device, p.seq}, depth}
	if c, ok := w.at[key]; ok {
		return max(c, p.lamport), nil
	}
	pre, ok := w.prefix[key.chainPlace]
	if !ok {
		var err error
		if pre, err = w.tx.MaxLamportThrough(ctx, p.device, p.author, p.seq); err != nil {
			return 0, err
		}
		w.prefix[key.chainPlace] = pre
	}
	c := pre
	if depth > 0 {
		named, ok, err := w.named(ctx, p.author, p.device, depth-1)
		if err != nil {
			return 0, err
		}
		if ok {
			c = max(c, named)
		}
	}
	w.at[key] = c
	return max(c, p.lamport), nil
}

// named is the least clock of the events that named device in author's
// entry (or of her move onto it), read depth deep; ok is false when none
// did.
func (w *clockWalk) named(ctx context.Context, author, device string, depth int) (uint64, bool, error) {
	events, err := w.entry(ctx, author)
	if err != nil {
		return 0, false, err
	}
	least, ok := uint64(math.MaxUint64), false
	for _, e := range events {
		if !slices.Contains(e.devices, device) {
			continue
		}
		c, err := w.clock(ctx, e.place, depth)
		if err != nil {
			return 0, false, err
		}
		least, ok = min(least, c), true
	}
	if !crypto.DeviceBoundTo(device, author) {
		return least, ok, nil
	}
	// A device she moved onto: her move is its first event, from a chain
	// her entry names, which it keeps up to its head.
	first, err := w.tx.EnvelopeAt(ctx, device, 1)
	if err != nil || first.Author != author || !moveCounts(first) {
		return least, ok, nil //nolint:nilerr // no move: nothing more names it
	}
	env, err := crypto.ParseEnvelope(first.Raw)
	if err != nil {
		return least, ok, nil //nolint:nilerr // a move that does not parse names nothing
	}
	mv, err := parseMove(env.Header, env.Ciphertext)
	if err != nil || mv.from == "" {
		return least, ok, nil //nolint:nilerr // likewise
	}
	c, err := w.clock(ctx, eventPlace{author: author, device: mv.from, seq: mv.head}, depth)
	if err != nil {
		return 0, false, err
	}
	return min(least, c), true, nil
}
