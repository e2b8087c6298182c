package replica

// seniority.go: which of two administrators who cut each other in a tight
// pair (mutual.go) is the senior, and so keeps her act (session 27,
// h-seca27; the founder's case since session 26).
//
// Read from the admission tree, from signatures neither of the two can
// make: every administrator but the founder stands on an event of her
// entry that made her one (an admission as an administrator, or a change
// of her role to administrator: a promotion), signed by another
// administrator at a place of his chain. A chain's order is fixed by its
// hashes, and only its writer signs in it. A member's standing is the best
// way from the founder to her over those events: the fewest of them
// first, then, where two ways part, the earlier place in the chain of the
// administrator at whom they part (two chains of his by their device ids,
// his to choose). The senior of the two is the one whose standing comes
// first; the founder stands above everybody; neither, when neither is
// reached or the two read alike (a fork of a chain names one place twice).
//
// What the two cannot move:
//   - an event either of them signed counts for nobody in their contest:
//     not her admission of herself, nor his re-admission or promotion of
//     her, nor an admission by either of an administrator on the other's
//     way (the other then stands on what others signed, or on nothing);
//   - no clock is read (a Lamport clock and a signed time are the writer's
//     word), nor a device's first event, a move, a token: only the place
//     of another's event in his own chain;
//   - a second entry (another key) is another member; her entry's events
//     she signed do not count; an event that cut her entry's events (the
//     writer of her admission revoked with heads before it) leaves it
//     refused, and it counts no more on any workstation.
// The events read are applied events of directory entries: every
// workstation that judges the pair holds the ones that made the two
// administrators there (their acts are judged by their roles), and those
// of their admitters likewise. A further promotion of one of them by a
// third administrator that reaches a workstation after it judged the pair
// may change the reading (Known limits): honest software writes one
// event that makes a member an administrator while she is one.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// rung is the place of an event that made a member an administrator, in
// its writer's chain.
type rung struct {
	device string
	seq    uint64
}

// standing is a way from the founder to a member: the places of the
// events that made each member on it an administrator, the founder's
// first.
type standing []rung

// before reports whether s comes before o: shorter, or at the first place
// they part, the lower device id, then the lower seq.
func (s standing) before(o standing) bool {
	if len(s) != len(o) {
		return len(s) < len(o)
	}
	for i := range s {
		if s[i].device != o[i].device {
			return s[i].device < o[i].device
		}
		if s[i].seq != o[i].seq {
			return s[i].seq < o[i].seq
		}
	}
	return false
}

// promotion is an applied event of a member's entry that made her an
// administrator: its writer and its place.
type promotion struct {
	by string
	at rung
}

// makesAdmin reports whether a directory event's fields make its member
// an administrator: an admission as one, or a change of role to one.
func makesAdmin(f Fields) bool {
	if admissionShaped(f) {
		var role roles.Role
		if json.Unmarshal(f["role"], &role) == nil && role == roles.Administrator {
			return true
		}
	}
	for name, raw := range f {
		if n, ok := changeNumber(name); ok && n > 0 {
			var c RoleChange
			if json.Unmarshal(raw, &c) == nil && c.check() == nil && c.To == roles.Administrator {
				return true
			}
		}
	}
	return false
}

// promotions reads the applied events of fp's entry, written by another
// member, that made her an administrator.
func (r *Replica) promotions(ctx context.Context, tx *store.Tx, fp string) ([]promotion, error) {
	rows, err := tx.EnvelopesForEntity(ctx, fp)
	if err != nil {
		return nil, fmt.Errorf("replica: events of %s: %w", short(fp), err)
	}
	var out []promotion
	for _, row := range rows {
		if row.Kind != KindMember || row.State != store.Applied || row.Author == fp {
			continue
		}
		_, f, err := r.storedFields(row)
		if err != nil {
			return nil, err
		}
		if makesAdmin(f) {
			out = append(out, promotion{by: row.Author, at: rung{row.Device, row.Seq}})
		}
	}
	return out, nil
}

// senior reports whether administrator a is the senior of a and b by the
// admission tree (see the file comment), read without any event either
// of them signed.
func (r *Replica) senior(ctx context.Context, tx *store.Tx, a, b string) (bool, error) {
	switch {
	case r.founder(a):
		return true, nil
	case r.founder(b):
		return false, nil
	}
	// The two and everyone on a way to them, back to the founder.
	type edge struct {
		to string
		at rung
	}
	out := map[string][]edge{}
	read := map[string]bool{}
	for queue := []string{a, b}; len(queue) > 0; queue = queue[1:] {
		fp := queue[0]
		if read[fp] {
			continue
		}
		read[fp] = true
		ps, err := r.promotions(ctx, tx, fp)
		if err != nil {
			return false, err
		}
		for _, p := range ps {
			if p.by == a || p.by == b {
				continue // their own word counts for neither
			}
			out[p.by] = append(out[p.by], edge{fp, p.at})
			queue = append(queue, p.by)
		}
	}
	// Forward from the founder, one admission further each round: a
	// member first met in a round stands on the best way met to her.
	best := map[string]standing{}
	var layer []string
	for fp := range read {
		if r.founder(fp) {
			best[fp] = standing{}
			layer = append(layer, fp)
		}
	}
	for len(layer) > 0 {
		next := map[string]standing{}
		for _, w := range layer {
			for _, e := range out[w] {
				if _, met := best[e.to]; met {
					continue
				}
				s := append(slices.Clone(best[w]), e.at)
				if cur, ok := next[e.to]; !ok || s.before(cur) {
					next[e.to] = s
				}
			}
		}
		layer = layer[:0]
		for fp, s := range next {
			best[fp] = s
			layer = append(layer, fp)
		}
	}
	sa, okA := best[a]
	sb, okB := best[b]
	return okA && (!okB || sa.before(sb)), nil
}
