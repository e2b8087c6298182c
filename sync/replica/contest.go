package replica

// contest.go: an administrator who fights two or more colleagues at once
// wins none of those fights (session 28, h-seca28).
//
// Two cuts of each other that neither saw (a crossing: each names the
// other's chain below the other's act, and neither names less than its
// writer had witnessed, mutual.go namesLess) were a pair when both named
// the other's chain right up to the other's act (tight). Session 27 let
// the senior's act of such a pair stand. A
// senior's answer tight on her side only (her revoker had heard less of
// her chain: she wrote something, say another answer, before it) was no
// pair, and stood or fell by arrival order: her answer stands iff the
// revocation falls, and the revocation falls iff her answer stands. Her
// modified software made that split on purpose: answer one junior's
// revocation in her chain's next place (a tight pair she wins) and a
// second junior's in the place after (loose on his side). A workstation
// hearing her chain first kept her and revoked both; the others removed
// her (TestAttackS28aSeniorAnswersBothRevokersEveryOrder).
//
// The rule is read from the set of events held, never from their order:
//
//   - A member is contested when her chains hold cuts crossing cuts of
//     her by two or more members, each of them an administrator at his
//     cut by the admission tree read without anything he signed
//     (seniority.go reached: a receptionist's word does not count, nor
//     one's who admitted himself). Every event counts, whatever its verdict
//     here: a verdict is what the rule decides, so it cannot be what the
//     rule reads. Held events only grow, so she stays contested.
//   - Of a crossing, where exactly one writer is contested, the other's
//     act stands and hers falls, whatever their seniority or shape: she
//     fights everyone, so none of her answers stands and every revocation
//     of her does (padding her chain and naming theirs low changes
//     nothing). Else (neither contested, or both) the senior's act
//     stands, whatever the two acts name of each other's chains; no
//     senior (neither reached, or a forked chain): both stand. Until
//     session 29 the senior won only where one of the two acts named the
//     other's chain right up to the other's act (tight), and two loose
//     acts were no pair: arrival order decided (below).
//   - Judged again as events arrive (judgeContests, in settle): once a
//     member is found contested, the events of hers and of the members
//     crossing her that a cut refused are judged again, their applied
//     cuts of each other that now lose are refused (refuseLosers), and
//     what that changes is swept as any revocation's. Since session 29
//     every crossing pair's revocations are judged again whenever a
//     directory entry changes (judgeCrossings; a change of role is left
//     to the role verdicts): who of the two is contested or the
//     senior is read from other entries too (a rival's admission set
//     aside, one of them admitted again by a third administrator), which
//     may come after the pair was judged.
//   - A rival counts whose admission, or his admitter's, was refused only
//     for cuts she signed (seniority.go reached, despite): her cut of his
//     admitter stands only if she does, so it cannot take him out of her
//     contest (session 29; it did on the workstations that heard it
//     first).
//
// Session 29 (h-secb29): two loose acts of uncontested writers. Each of
// the two wrote something the other had not heard of, then they cut each
// other (a busy day does it), or a revoked junior's modified software
// wrote another event and then a late retaliation naming her revoker's
// chain low: a workstation kept the act it heard first, and the clinic
// split (TestAttackS29bLooseCrossingEveryOrder). The senior now wins any
// shape. This gives a senior nothing he did not have: he knows the place
// of the act he answers, so his answer can always name the junior's chain
// right up to it (tight), which won since session 27 (his witnesses bound
// both shapes alike, namesLess), and once his act stands he is an
// administrator who may cut her with any heads. It takes from a junior
// only the loose retaliation, which split the clinic. What a tight pair
// guarded (session 21: an act naming none of his heads cutting all he
// wrote) is left to the case with no senior, where both stand: both
// revoked, in the open, as a tight pair of the two did before. Two
// revokers still remove a senior (she answers both: contested).
//
// The cost, the same data read the other way: an honest senior who
// revoked two administrators, whose modified software each later revokes
// her in a crossing shape (naming her chain below her revocation of them,
// witnessing nothing that says otherwise), is contested and removed, cut
// as far as their heads say; before, such late acts split the clinic.
// An honest senior who revokes two juniors one by one is not: their acts,
// written after hearing hers, name her chain past it (no crossing), and a
// late act of theirs below what their own witnesses pinned is judged
// after hers (namesLess).

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// crossed reports whether directory events e and x (fields ef, xf) are
// cuts of each other's writers neither of which saw the other (its heads
// of the other's chain stop before it).
func crossed(e crypto.Header, ef Fields, x crypto.Header, xf Fields) bool {
	if !cutsOfEachOther(e, x) {
		return false
	}
	eh, eCut := cutHeads(ef)
	xh, xCut := cutHeads(xf)
	return eCut && xCut && eh[x.Device] < x.Seq && xh[e.Device] < e.Seq
}

// winner is the writer whose act stands of crossing acts e and x, ""
// where both stand (the file comment): the one not contested where the
// other is, else the senior, whatever the two acts name of each other.
func (r *Replica) winner(ctx context.Context, tx *store.Tx, e, x crypto.Header) (string, error) {
	cE, err := r.contested(ctx, tx, e.Author)
	if err != nil {
		return "", err
	}
	cX, err := r.contested(ctx, tx, x.Author)
	if err != nil {
		return "", err
	}
	switch {
	case cE && !cX:
		return x.Author, nil
	case cX && !cE:
		return e.Author, nil
	}
	eAt, xAt := rung{e.Device, e.Seq}, rung{x.Device, x.Seq}
	for _, c := range []struct {
		a, b     string
		aAt, bAt rung
	}{{x.Author, e.Author, xAt, eAt}, {e.Author, x.Author, eAt, xAt}} {
		senior, err := r.senior(ctx, tx, c.a, c.aAt, c.b, c.bAt)
		if err != nil {
			return "", err
		}
		if senior {
			return c.a, nil
		}
	}
	return "", nil
}

// contested reports whether fp is contested (the file comment).
func (r *Replica) contested(ctx context.Context, tx *store.Tx, fp string) (bool, error) {
	rivals, err := r.rivals(ctx, tx, fp, 2)
	return len(rivals) >= 2, err
}

// rivals returns the members whose cuts of fp cross a cut of theirs fp
// wrote, each an administrator at that cut by the admission tree read
// without what he signed: up to enough of them (0: all), none when
// fewer than two members wrote on her entry.
func (r *Replica) rivals(ctx context.Context, tx *store.Tx, fp string, enough int) ([]string, error) {
	rows, err := tx.EnvelopesForEntity(ctx, fp)
	if err != nil {
		return nil, fmt.Errorf("replica: events of %s: %w", short(fp), err)
	}
	var writers []string
	for _, row := range rows {
		if row.Kind == KindMember && row.Author != fp && !slices.Contains(writers, row.Author) {
			writers = append(writers, row.Author)
		}
	}
	if len(writers) < 2 {
		return nil, nil // most entries: her admitter alone
	}
	var out []string
	for _, row := range rows {
		if row.Kind != KindMember || row.Author == fp || slices.Contains(out, row.Author) {
			continue
		}
		env, f, err := r.storedFields(row)
		if err != nil {
			continue // not open here: judged where it opens
		}
		if _, cut := cutHeads(f); !cut {
			continue
		}
		crosses, err := r.crossesAny(ctx, tx, env.Header, f)
		if err != nil {
			return nil, err
		}
		if !crosses {
			continue
		}
		ok, err := r.reached(ctx, tx, row.Author, rung{row.Device, row.Seq}, fp)
		if err != nil {
			return nil, err
		}
		if ok {
			if out = append(out, row.Author); enough > 0 && len(out) >= enough {
				break
			}
		}
	}
	return out, nil
}

// crossesAny reports whether cut e (fields ef) of a member crosses a cut
// of e's writer she wrote, neither naming less than its writer had
// witnessed (namesLess: such an act is judged after the other).
func (r *Replica) crossesAny(ctx context.Context, tx *store.Tx, e crypto.Header, ef Fields) (bool, error) {
	rows, err := tx.EnvelopesForEntity(ctx, e.Author)
	if err != nil {
		return false, fmt.Errorf("replica: events of %s: %w", short(e.Author), err)
	}
	for _, row := range rows {
		if row.Kind != KindMember || row.Author != e.Entity {
			continue
		}
		env, xf, err := r.storedFields(row)
		if err != nil {
			continue
		}
		if !crossed(e, ef, env.Header, xf) {
			continue
		}
		late, err := r.namesLess(ctx, tx, env.Header, xf)
		if err == nil && !late {
			late, err = r.namesLess(ctx, tx, e, ef)
		}
		if err != nil {
			return false, err
		}
		if !late {
			return true, nil
		}
	}
	return false, nil
}

// judgeContests finds the members the entries changed this round
// (r.dirty) make contested, or whose cuts of them do, and, once for each
// member found, sends back to be judged what a cut refused of hers and of
// the members crossing her: the pairs she is in may have another winner
// now. It reports whether it sent anything back.
func (r *Replica) judgeContests(ctx context.Context, tx *store.Tx) (bool, error) {
	if len(r.dirty) == 0 {
		return false, nil
	}
	if r.contests == nil {
		r.contests = map[string]bool{}
	}
	var fps []string
	for fp := range r.dirty {
		fps = append(fps, fp)
	}
	slices.Sort(fps)
	read := map[string]bool{}
	again := false
	for _, fp := range fps {
		rows, err := tx.EnvelopesForEntity(ctx, fp)
		if err != nil {
			return again, fmt.Errorf("replica: events of %s: %w", short(fp), err)
		}
		who := []string{fp}
		for _, row := range rows {
			if row.Kind == KindMember && row.Author != fp {
				who = append(who, row.Author)
			}
		}
		for _, c := range who {
			if read[c] || r.contests[c] {
				continue
			}
			read[c] = true
			rivals, err := r.rivals(ctx, tx, c, 0)
			if err != nil {
				return again, err
			}
			if len(rivals) < 2 {
				continue
			}
			r.contests[c] = true
			for _, m := range append(rivals, c) {
				for _, rule := range []string{ruleRevoked, ruleRole} {
					if err := r.judgeAgain(ctx, tx, m, rule, "a member in the pair cuts two or more colleagues who cut her: judged again"); err != nil {
						return again, err
					}
				}
			}
			if err := r.refuseLosers(ctx, tx, c, rivals); err != nil {
				return again, err
			}
			again = true
		}
	}
	crossings, err := r.judgeCrossings(ctx, tx)
	return again || crossings, err
}

// refuseLosers judges again the applied cuts fp and her rivals wrote of
// each other, and refuses those their writer's entry no longer lets
// stand: a pair won before fp was contested may be lost now.
func (r *Replica) refuseLosers(ctx context.Context, tx *store.Tx, fp string, rivals []string) error {
	for _, rival := range rivals {
		if _, err := r.judgeCuts(ctx, tx, fp, rival, false); err != nil {
			return err
		}
	}
	return nil
}

// judgeCuts judges again the cuts members a and b wrote of each other:
// an applied one its writer's entry no longer lets stand is refused and
// the entry it cut rebuilt. With revocations, it judges their
// revocations of each other only, and also sends back to be applied one
// refused for its writer's revocation that now stands (the sweep of the
// entry it cuts then judges the other); a change of role is left to the
// role verdicts (roleheads.go), which judge it by every role its writer
// may have held: judged here too, the two disagreed and settled without
// end. It reports whether it changed anything.
func (r *Replica) judgeCuts(ctx context.Context, tx *store.Tx, a, b string, revocations bool) (bool, error) {
	changed := false
	for _, pair := range [][2]string{{a, b}, {b, a}} {
		writer, entry := pair[0], pair[1]
		rows, err := tx.EnvelopesForEntity(ctx, entry)
		if err != nil {
			return changed, fmt.Errorf("replica: events of %s: %w", short(entry), err)
		}
		for _, row := range rows {
			back := revocations && row.State == store.Rejected && row.Rule == ruleRevoked
			if row.Kind != KindMember || row.Author != writer || row.State != store.Applied && !back {
				continue
			}
			if revocations {
				if _, f, err := r.storedFields(row); err != nil || f["revoked_heads"] == nil {
					continue
				}
			}
			r.state.RLock()
			m, ok := r.members[writer]
			r.state.RUnlock()
			if !ok {
				continue
			}
			_, rule, reason, stands, err := r.authorizeAct(ctx, tx, row, headerOf(row), m, true)
			if err != nil {
				return changed, err
			}
			switch {
			case row.State == store.Applied && !stands:
				if err := r.setState(ctx, tx, row, refused(rule, "%s", reason)); err != nil {
					return changed, err
				}
				if err := r.rebuildEntity(ctx, tx, entry); err != nil {
					return changed, err
				}
			case back && stands:
				if err := r.setState(ctx, tx, row, verdict{state: store.Pending, reason: "a cut of each other's: judged again"}); err != nil {
					return changed, err
				}
			default:
				continue
			}
			changed = true
		}
	}
	return changed, nil
}

// judgeCrossings judges again the revocations of every two members who
// cut each other in a crossing (judgeCuts), where a directory entry changed this
// round: who of the two is contested or the senior is read from entries
// besides theirs (a colleague's admission cut since, an administrator on
// one's way admitted again by a third), which may reach a workstation
// after it judged the pair. The pairs are found by the writers on each
// entry, headers only; only members who wrote on each other's entries
// are opened. It reports whether it changed anything.
func (r *Replica) judgeCrossings(ctx context.Context, tx *store.Tx) (bool, error) {
	r.state.RLock()
	fps := slices.Sorted(maps.Keys(r.members))
	r.state.RUnlock()
	wrote := map[[2]string]bool{} // writer, entry
	for _, fp := range fps {
		rows, err := tx.EnvelopesForEntity(ctx, fp)
		if err != nil {
			return false, fmt.Errorf("replica: events of %s: %w", short(fp), err)
		}
		for _, row := range rows {
			if row.Kind == KindMember && row.Author != fp {
				wrote[[2]string{row.Author, fp}] = true
			}
		}
	}
	changed := false
	for _, a := range fps {
		for _, b := range fps {
			if a >= b || !wrote[[2]string{a, b}] || !wrote[[2]string{b, a}] {
				continue
			}
			cross, err := r.cross(ctx, tx, a, b)
			if err != nil {
				return changed, err
			}
			if !cross {
				continue
			}
			c, err := r.judgeCuts(ctx, tx, a, b, true)
			if err != nil {
				return changed, err
			}
			changed = changed || c
		}
	}
	return changed, nil
}

// cross reports whether members a and b hold cuts of each other that
// crossed (neither saw the other).
func (r *Replica) cross(ctx context.Context, tx *store.Tx, a, b string) (bool, error) {
	cuts := func(writer, entry string) ([]crypto.Header, []Fields, error) {
		rows, err := tx.EnvelopesForEntity(ctx, entry)
		if err != nil {
			return nil, nil, fmt.Errorf("replica: events of %s: %w", short(entry), err)
		}
		var hs []crypto.Header
		var fs []Fields
		for _, row := range rows {
			if row.Kind != KindMember || row.Author != writer {
				continue
			}
			env, f, err := r.storedFields(row)
			if err != nil {
				continue // not open here: judged where it opens
			}
			hs, fs = append(hs, env.Header), append(fs, f)
		}
		return hs, fs, nil
	}
	ah, af, err := cuts(a, b)
	if err != nil {
		return false, err
	}
	bh, bf, err := cuts(b, a)
	if err != nil {
		return false, err
	}
	for i := range ah {
		for j := range bh {
			if crossed(ah[i], af[i], bh[j], bf[j]) {
				return true, nil
			}
		}
	}
	return false, nil
}
