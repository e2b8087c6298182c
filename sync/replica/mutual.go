package replica

// mutual.go: two administrators who act on each other at once (session 21
// review h-sec21c; session 14's C2, and the mutual revocation before it).
//
// Hal revokes Pam, or changes her role, naming her heads as his workstation
// knew them; at the same time Pam revokes Hal, or changes his role, naming
// his. Each act is judged by its writer's entry, which the other act
// decides: Hal's act is written past the heads of Pam's cut of him, so her
// act refuses his, and his refuses hers. Each workstation kept the act it
// heard first and refused the other, and the clinic split by arrival order
// (a busy Monday does it by accident; a hostile administrator on purpose).
//
// An act of one of them on the other's entry (a revocation or a change of
// role: a cut) is judged by its writer's entry without the other's cut of
// her (leftOut) when it did not see that cut (its heads of the other's
// chain stop before it) and
//   - the other cut says it came after (its heads reach this act): it is
//     judged with this act, as it says, and this one without it; or
//   - neither saw the other, each naming everything of the other's chain
//     before the other's act and not the act (a tight pair): each is
//     judged without the other, and both stand — both revoked, both moved,
//     one revoked and the other moved.
// Both conditions read the two events alone, so every workstation decides
// alike whatever order they came in. No cut reinstates anybody: each act
// still cuts what it cut.
//
// Why so tight: heads are their writer's word, and a pair read more
// loosely ("her act does not name his") lets anyone an administrator once
// revoked or moved write, at any time after, a revocation of him naming
// none of his heads, which would stand and cut everything he ever wrote.
// What is left (Known limits): a race in which one of them wrote on the
// chain of her act after the other last heard of it is no tight pair, and
// arrival order still decides; and a revoked administrator who wrote
// nothing since her revocation can still revoke the administrator who
// revoked her, later (before, this split the clinic: a newcomer catching
// up took her act and reinstated her), cutting his chain from his act on
// and his other chains as far as her heads say (a denial, both shown
// revoked, the remedy a new token).
//
// Session 26 (h-sec26): the founder wins a tight pair (her act stands, the
// other's falls), read from the two writers' fingerprints and the clinic
// id alone, so that the founder and an administrator she admitted, the
// clinic's only ones, never leave it with none. The cost: a hostile
// founder's tight answer to one administrator's revocation of her stands;
// a second administrator's revocation, which her answer does not pair
// with, still removes her.
//
// Session 27 (h-seca27): of any tight pair the senior's act stands and
// the other's falls, seniority read from the admission tree by events
// neither of the two signed (seniority.go; the founder above all), so two
// other administrators, the clinic's only ones, no longer both fall. Both
// stand only where neither is reached from the founder by others' events,
// or the two read alike. The cost widens the founder's: a hostile
// senior's tight answer to a junior's revocation of him stands (his
// witnesses bound it, as below). The loose race stayed open: read loosely
// on the junior's side, the pair would let a senior a junior revoked
// answer at any later place of his chain and stand, undoing her
// revocation, where the tight shape holds his answer to the place right
// after the last of his she had heard of.
//
// Session 28 (h-seca28, contest.go): a senior answering two revokers, the
// second loosely, split the clinic by arrival order. A member whose cuts
// cross the cuts of her by two or more colleagues is contested, read from
// every event held, and loses every crossing she is in, of any shape (she
// fights everyone: her answers fall, their revocations stand); otherwise
// a pair one of whose acts is tight has a winner: the senior, when her
// act is tight, or when neither is contested and the other's is (the
// loose race of one against one). So a senior's answer at a later place
// stands against one revoker only, and two still remove her. Judged again
// in settle as acts arrive (judgeContests).
//
// Session 29 (h-secb29, contest.go): two acts neither of which names the
// other's chain up to the other's act, their writers neither or both
// contested, were still no pair, and arrival order decided. The senior's
// act now stands in any shape (he could always answer tight); no senior,
// both stand.
//
// Session 22 (h-ret22) bounds that late act by its writer's own word: an
// act naming less of the other's chains than the witness events
// (heads-seen, witness.go) her workstation signed before it, in its
// chain, pinned is no pair's act (namesLess): it is judged after the
// other's, and falls. Honest software names heads by MemberHeads, which
// never holds less than it witnessed, so an honest race is unchanged.

import (
	"context"
	"encoding/json"
	"maps"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// cutHeads reads a directory event's fields as a cut of the member whose
// entry it writes: a revocation (revoked_heads) or a change of her role
// (role_change/N, N > 0), and the heads it names of her chains, the
// highest where it names several. ok is false for any other event.
func cutHeads(f Fields) (heads map[string]uint64, ok bool) {
	heads = map[string]uint64{}
	all := cutMaps(f)
	for _, c := range all {
		for d, seq := range c.heads {
			heads[d] = max(heads[d], seq)
		}
	}
	return heads, len(all) > 0
}

// cutMap is one map of heads a cut names, devices only, and how many
// chains its writer's software names at most (MemberHeads' bound).
type cutMap struct {
	heads map[string]uint64
	most  int
}

// cutMaps is each map of heads a cut names (cutHeads): its revoked_heads
// and each change's heads.
func cutMaps(f Fields) []cutMap {
	var out []cutMap
	note := func(hs map[string]uint64, most int) {
		devices := map[string]uint64{}
		for d, seq := range hs {
			if d == RevokedChanges || strings.HasPrefix(d, RevokedRole) {
				continue // what it read, not a device (rolecells.go)
			}
			devices[d] = seq
		}
		out = append(out, cutMap{devices, most})
	}
	if raw, found := f["revoked_heads"]; found {
		var hs map[string]uint64
		if json.Unmarshal(raw, &hs) == nil {
			note(hs, MaxRevokedDevices)
		}
	}
	for name, raw := range f {
		if n, isChange := changeNumber(name); isChange && n > 0 {
			var c RoleChange
			if json.Unmarshal(raw, &c) == nil && c.check() == nil {
				note(c.Heads, MaxRoleDevices)
			}
		}
	}
	return out
}

// leftOut reports whether event x (header and fields) is left out of the
// entry that judges event e (mutual.go): both are directory acts of two
// administrators cutting each other, e did not see x (its heads of x's
// chain stop before it), and either x says it came after e (its heads
// reach e: judged with e, as it says), or x names less of e's writer's
// chains than x's writer had witnessed before it (namesLess: its heads are
// not her word of what she had not seen, and it is judged after e), or
// neither saw the other and e's writer wins (contest.go winner: the
// uncontested, then the senior) or neither does (both stand); e itself
// naming no less than its writer had witnessed.
func (r *Replica) leftOut(ctx context.Context, tx *store.Tx, e crypto.Header, ef Fields, x crypto.Header, xf Fields) (bool, error) {
	if !cutsOfEachOther(e, x) {
		return false, nil
	}
	eh, eCut := cutHeads(ef)
	xh, xCut := cutHeads(xf)
	if !eCut || !xCut || eh[x.Device] >= x.Seq {
		return false, nil // e saw x: judged with it
	}
	if xh[e.Device] >= e.Seq {
		return true, nil // x says it came after e
	}
	if less, err := r.namesLess(ctx, tx, x, xf); err != nil || less {
		return less, err // x is judged after e
	}
	w, err := r.winner(ctx, tx, e, x) // contest.go
	if err != nil || w == x.Author {
		return false, err // x stands and e falls
	}
	less, err := r.namesLess(ctx, tx, e, ef)
	return !less, err
}

// cutsOfEachOther reports whether directory events e and x may be cuts of
// each other's writers: each writes the other's entry.
func cutsOfEachOther(e, x crypto.Header) bool {
	return e.Kind == KindMember && x.Kind == KindMember && e.Author != x.Author &&
		e.Entity == x.Author && x.Entity == e.Author && e.Seq != 0 && x.Seq != 0
}

// founder reports whether fp is the clinic's founder: her fingerprint
// starts with the clinic id (128 bits of it: nobody makes another such
// key). Of a tight pair one of whose writers is the founder, hers stands
// and the other's falls (session 26, h-sec26): a clinic whose only
// administrators were she and one she admitted had none left after they
// cut each other, and nothing admits one again.
func (r *Replica) founder(fp string) bool {
	return r.p.Clinic != "" && strings.HasPrefix(fp, r.p.Clinic)
}

// namesLess reports whether cut x (fields xf) names less of a chain of
// the member it cuts than its writer's own witness events before it in
// its chain pinned (witness.go): her signed word that she held his events
// there when she wrote it, so its heads below them are not what she had
// seen (session 22, h-ret22: a revoked administrator's late retaliation,
// naming his other workstations' chains low to cut their past). Each map
// of heads it names counts (cutMaps); a chain it leaves out is named at 0
// unless it names as many chains her witnesses pinned as the app names at
// most (MemberHeads' bound: MaxRevokedDevices, MaxRoleDevices for a
// change; made-up devices padding it to the bound do not count). Her
// witnesses before x are in x's chain, held whenever x is, so every
// workstation that judges x reads the same.
func (r *Replica) namesLess(ctx context.Context, tx *store.Tx, x crypto.Header, xf Fields) (bool, error) {
	rows, err := tx.EnvelopesForEntity(ctx, WitnessEntity(x.Device))
	if err != nil {
		return false, err
	}
	floor := map[string]uint64{}
	for _, row := range rows {
		if row.Kind != KindWitness || row.Author != x.Author || row.Device != x.Device || row.Seq >= x.Seq || row.State != store.Applied {
			continue
		}
		env, err := crypto.ParseEnvelope(row.Raw)
		if err != nil {
			continue
		}
		pins, err := parseWitness(env.Header, env.Ciphertext)
		if err != nil {
			continue
		}
		for _, p := range pins {
			if p.Author == x.Entity {
				floor[p.Device] = max(floor[p.Device], p.Seq)
			}
		}
	}
	for _, c := range cutMaps(xf) {
		// The app leaves chains out only past its bound; made-up
		// devices do not fill it, only chains her witnesses pinned.
		pinned := 0
		for d := range c.heads {
			if _, ok := floor[d]; ok {
				pinned++
			}
		}
		for d, seq := range floor {
			named, ok := c.heads[d]
			if !ok && pinned >= c.most {
				continue // left out by the bound
			}
			if named < seq {
				return true, nil
			}
		}
	}
	return false, nil
}

// mutualView returns member m's entry as her event h (fields f) is judged
// by when h is one of a mutual pair: her entry folded from its applied
// events without the other act of each pair h makes. found is false when
// h makes no pair (m is then the entry).
func (r *Replica) mutualView(ctx context.Context, tx *store.Tx, h crypto.Header, f Fields, m Member) (Member, bool, error) {
	if _, cut := cutHeads(f); !cut {
		return m, false, nil
	}
	rows, err := tx.EnvelopesForEntity(ctx, m.Fingerprint)
	if err != nil {
		return m, false, err
	}
	var hs []crypto.Header
	var fs []Fields
	found := false
	for _, row := range rows {
		if row.Kind != KindMember {
			continue
		}
		mine := row.Author == h.Entity
		if row.State != store.Applied && !mine {
			continue
		}
		env, rf, err := r.storedFields(row)
		if err != nil {
			if row.State != store.Applied {
				continue
			}
			return m, false, err
		}
		if mine {
			left, err := r.leftOut(ctx, tx, h, f, env.Header, rf)
			if err != nil {
				return m, false, err
			}
			if left {
				found = true
				continue
			}
		}
		if row.State == store.Applied {
			hs, fs = append(hs, env.Header), append(fs, rf)
		}
	}
	if !found {
		return m, false, nil
	}
	v := foldMember(m.Fingerprint, hs, fs)
	v.TokenTakenBy, v.HeldBy = m.TokenTakenBy, m.HeldBy
	return v, true, nil
}

// foldMember reads a directory entry from its events as fold does.
func foldMember(fp string, hs []crypto.Header, fs []Fields) Member {
	st := State{}
	kind, _ := roles.KindOf(KindMember)
	for i, h := range hs {
		f := fs[i]
		if admissionShaped(f) {
			f = maps.Clone(f)
			f[admittedField] = f["role"]
		}
		foldRoleCells(st, h, f)
		st.MergeOnce(f, h.Lamport, h.Device, kind.Once)
	}
	return memberFromState(fp, st)
}

// authorizeAct is authorize for a stored event (row, header h) of member
// m, and, where her entry refuses it a directory write (her revocation or
// her role), the role she wrote it in by the view of a mutual pair it makes
// (mutualView): an act on a colleague's entry the colleague's act on hers,
// which it did not see, does not refuse.
func (r *Replica) authorizeAct(ctx context.Context, tx *store.Tx, row store.Envelope, h crypto.Header, m Member, isMember bool) (roles.Role, string, string, bool, error) {
	role, rule, reason, ok := r.authorize(h, m, isMember)
	if !isMember || h.Kind != KindMember || h.Entity == h.Author {
		return role, rule, reason, ok, nil
	}
	if ok {
		if _, allowed := roleAllows(h, role); allowed {
			return role, rule, reason, ok, nil
		}
	} else if rule != ruleRevoked && rule != ruleRole {
		return role, rule, reason, ok, nil
	}
	_, f, err := r.storedFields(row)
	if err != nil {
		return role, rule, reason, ok, nil // judged where it opens
	}
	v, found, err := r.mutualView(ctx, tx, h, f, m)
	if err != nil || !found {
		return role, rule, reason, ok, err
	}
	if vr, _, _, vok := r.authorize(h, v, true); vok {
		if _, allowed := roleAllows(h, vr); allowed {
			return vr, "", "", true, nil
		}
	}
	return role, rule, reason, ok, nil
}
