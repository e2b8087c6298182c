package replica

// seniority.go: which of two administrators who cut each other in a tight
// pair (mutual.go) is the senior, and so keeps her act (session 27,
// h-seca27; the founder's case since session 26).
//
// Read from the admission tree, from signatures neither of the two can
// make. Every administrator but the founder is one at the place of her
// act by an event of her entry another administrator signed at a place
// of his chain: her admission as an administrator (every place of hers),
// or a change of her role to administrator whose heads stop before the
// act (a promotion: it made her one there). He in turn was one at the
// place of that event by such an event, and so back to the founder. A
// member's standing at a place is the best such way from the founder:
// the fewest events first, then, where two ways part, the earlier place
// in the chain of the administrator at whom they part (two chains of his
// by their device ids, his to choose). The senior is the one whose
// standing at her act comes first; the founder stands above everybody;
// neither when neither is reached or the two read alike (a fork of a
// chain names one place twice): then both acts stand, as before.
//
// What the two cannot move:
//   - an event either of them signed counts for neither: not an admission
//     of herself, nor his re-admission or promotion of her, nor an
//     admission by either of an administrator on the other's way (who
//     then stands on what others signed, or on nothing);
//   - no clock is read (a Lamport clock and a signed time are the
//     writer's word), nor a device's first event, a move or a token: only
//     the place of another's event in his own chain, which only he signs
//     and whose order its hashes fix;
//   - a second entry (another key) is another member; an event cut since
//     (its writer revoked, or his role changed, with heads before it) is
//     refused, and counts on no workstation.
// The events read are those that made the two, and their admitters,
// administrators at the places read: every workstation that judges the
// pair holds them (the acts are judged by their writers' roles there,
// which those events decide, and a change of role is read with every
// change before it). A promotion of one of them that reaches a
// workstation later and covers her act changes her role there, and her
// act is judged again (rejudgeRole). Open (Known limits): an admission as
// an administrator written again for one of them, or for one on her way,
// by a third administrator's modified software, reaching a workstation
// after it judged the pair (honest software admits a member once).
//
// Since session 28 (h-seca28, contest.go) seniority decides a pair only
// between two members neither or both of whom are contested (a member
// whose cuts cross the cuts of her by two or more colleagues loses every
// pair she is in), and also a pair only one of whose acts is tight
// (since session 29, h-secb29, any crossing, tight or not); the
// tree is read as well to count a colleague's cut of a contested member
// only where he is an administrator at it by events he did not sign
// (reached).

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
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
// administrator: its writer, its place, and the places of hers it made
// her one at: all of them for an admission, those past its heads for a
// change of role (a device it does not name from its first event on).
type promotion struct {
	to, by string
	at     rung
	all    bool
	heads  map[string]uint64
}

// covers reports whether p made its member an administrator at place at.
func (p promotion) covers(at rung) bool {
	return p.all || at.seq > p.heads[at.device]
}

// promotions reads the applied events of fp's entry, written by another
// member, that made her an administrator: an admission as one, or a
// change of role to one (each change an event writes).
// With despite set, an event refused only for cuts of its writer that
// despite signed counts too (cutOnlyBy).
func (r *Replica) promotions(ctx context.Context, tx *store.Tx, fp, despite string) ([]promotion, error) {
	rows, err := tx.EnvelopesForEntity(ctx, fp)
	if err != nil {
		return nil, fmt.Errorf("replica: events of %s: %w", short(fp), err)
	}
	var out []promotion
	for _, row := range rows {
		if row.Kind != KindMember || row.Author == fp {
			continue
		}
		if row.State != store.Applied {
			only, err := r.cutOnlyBy(ctx, tx, row, despite)
			if err != nil {
				return nil, err
			}
			if !only {
				continue
			}
		}
		_, f, err := r.storedFields(row)
		if err != nil {
			if row.State != store.Applied {
				continue
			}
			return nil, err
		}
		p := promotion{to: fp, by: row.Author, at: rung{row.Device, row.Seq}}
		var role roles.Role
		if admissionShaped(f) && json.Unmarshal(f["role"], &role) == nil && role == roles.Administrator {
			p.all = true
			out = append(out, p)
			continue
		}
		for name, raw := range f {
			if n, ok := changeNumber(name); ok && n > 0 {
				var c RoleChange
				if json.Unmarshal(raw, &c) == nil && c.check() == nil && c.To == roles.Administrator {
					p.heads = c.Heads
					out = append(out, p)
				}
			}
		}
	}
	return out, nil
}

// senior reports whether administrator a, at the place of her act aAt, is
// the senior of a and b (at bAt) by the admission tree (see the file
// comment), read without any event either of them signed.
func (r *Replica) senior(ctx context.Context, tx *store.Tx, a string, aAt rung, b string, bAt rung) (bool, error) {
	switch {
	case r.founder(a):
		return true, nil
	case r.founder(b):
		return false, nil
	}
	ps, at, err := r.tree(ctx, tx, a, b, "")
	if err != nil {
		return false, err
	}
	sa, okA := best(ps, at, a, aAt)
	sb, okB := best(ps, at, b, bAt)
	return okA && (!okB || sa.before(sb)), nil
}

// reached reports whether member fp is an administrator at place p by the
// admission tree read without any event she signed: the founder, or one a
// way from the founder reaches there (contest.go). An admission or
// promotion on the way refused only for cuts of its writer that despite
// signed counts (session 29, h-secb29): the member fp contests cannot
// take him out of her contest by cutting his admitter, a cut that stands
// only if she does.
func (r *Replica) reached(ctx context.Context, tx *store.Tx, fp string, p rung, despite string) (bool, error) {
	if r.founder(fp) {
		return true, nil
	}
	ps, at, err := r.tree(ctx, tx, fp, fp, despite)
	if err != nil {
		return false, err
	}
	_, ok := best(ps, at, fp, p)
	return ok, nil
}

// tree reads the events that made a and b administrators, and those that
// made their writers ones, back to the founder's, leaving out every event
// a or b signed (their own word counts for neither), and each such
// event's writer's standing at its place (at, by index into ps). despite
// is as promotions reads it.
func (r *Replica) tree(ctx context.Context, tx *store.Tx, a, b, despite string) ([]promotion, map[int]standing, error) {
	var ps []promotion
	read := map[string]bool{}
	for queue := []string{a, b}; len(queue) > 0; queue = queue[1:] {
		fp := queue[0]
		if read[fp] || r.founder(fp) {
			continue
		}
		read[fp] = true
		into, err := r.promotions(ctx, tx, fp, despite)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range into {
			if p.by == a || p.by == b {
				continue // their own word counts for neither
			}
			ps = append(ps, p)
			queue = append(queue, p.by)
		}
	}
	// Each promotion's writer's standing at its place, one admission
	// further from the founder each round: one first met in a round
	// takes the best way met to it.
	at := map[int]standing{} // promotion -> its writer's standing there
	for i, p := range ps {
		if r.founder(p.by) {
			at[i] = standing{}
		}
	}
	for grew := len(at) > 0; grew; {
		grew = false
		next := map[int]standing{}
		for i, p := range ps {
			if _, met := at[i]; met {
				continue
			}
			if s, ok := best(ps, at, p.by, p.at); ok {
				next[i], grew = s, true
			}
		}
		maps.Copy(at, next)
	}
	return ps, at, nil
}

// best is fp's best standing at place p over the promotions whose
// writers' standings at are read: the writer's, then the promotion's place.
func best(ps []promotion, at map[int]standing, fp string, p rung) (standing, bool) {
	var out standing
	found := false
	for i, q := range ps {
		s, met := at[i]
		if !met || q.to != fp || !q.covers(p) {
			continue
		}
		s = append(slices.Clone(s), q.at)
		if !found || s.before(out) {
			out, found = s, true
		}
	}
	return out, found
}

// cutOnlyBy reports whether the refused event row of a directory entry
// was refused for cuts of its writer (his revocation or role) that fp
// alone signed: every applied cut of his entry whose heads stop before it
// is fp's, and there is one. false where fp is "".
func (r *Replica) cutOnlyBy(ctx context.Context, tx *store.Tx, row store.Envelope, fp string) (bool, error) {
	if fp == "" || row.State != store.Rejected || (row.Rule != ruleRevoked && row.Rule != ruleRole) {
		return false, nil
	}
	rows, err := tx.EnvelopesForEntity(ctx, row.Author)
	if err != nil {
		return false, fmt.Errorf("replica: events of %s: %w", short(row.Author), err)
	}
	found := false
	for _, c := range rows {
		if c.Kind != KindMember || c.State != store.Applied || c.Author == row.Author {
			continue
		}
		_, f, err := r.storedFields(c)
		if err != nil {
			continue
		}
		heads, cut := cutHeads(f)
		if !cut || heads[row.Device] >= row.Seq {
			continue
		}
		if c.Author != fp {
			return false, nil
		}
		found = true
	}
	return found, nil
}
