package replica

// roleheads.go holds the role rule's memory of role changes (session 12
// review, finding 6): an event is judged by the role its author held when
// she wrote it, not by the role her directory entry names now.
//
// A member's role history (session 13 review, S1-S7) is append-only and
// read the same way by every workstation:
//   - each change of role is its own field of her entry, "role_change/N"
//     (N = 1, 2, ...; RoleChange: the role she left, the role she took,
//     and the last sequence of each of her devices the administrator's
//     workstation had seen), written once: the cell written first (by
//     Lamport clock, then device) stands (State.Merge), so the history is
//     a function of the set of events, never of the order they came in.
//     Since a clock is its writer's word, every change written for N is
//     kept too, and an event is judged by each role they say she may have
//     written it in (rolecells.go, session 13's second review);
//   - "role_change/0" is the role the entry was admitted with: the first
//     role an admission-shaped event wrote into it, kept by the replica
//     itself (fold);
//   - the history is read only as far as it is consistent (roleHistory):
//     change 1 leaves the admission role, each next change leaves the role
//     the one before took, a change takes another role, names at most
//     MaxRoleDevices devices, and its heads never go back. The entry's
//     role is the last change's result: a "role" written without a change
//     into an entry that records one takes no effect;
//   - a change covers an event of hers at or below its heads and written
//     before it (a Lamport clock below the change event's): the heads of
//     a change never reach events written after it, so no administrator
//     labels the member's later writes by a role she left (S1, S5, S7).
//     roleAt: the role left by the first change that covers the event,
//     else the entry's role.
//
// Entries of session 12 recorded their changes in one rewritable list,
// "role_heads" ([]RoleHeld), written with the role by the same event. It
// is read as the history (legacyHistory) while the entry records no
// change of its own, and only if the same event wrote it and the role and
// it is consistent; the app's ChangeRole carries it over into
// "role_change/N" fields at the next change. An entry with no history
// (never changed, or changed by a version before session 12) is judged by
// the role it names, and when that role changes every event of hers is
// judged again by it, on every workstation alike (S4).

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// FieldRoleHeads is the field of session 12's directory entries that
// recorded the member's former roles ([]RoleHeld, oldest change first):
// still written, for workstations of that version, beside the changes.
const FieldRoleHeads = "role_heads"

// FieldRoleChange prefixes the fields of a directory entry that record
// its changes of role: FieldRoleChange + N, N from 1 (RoleChangeField).
const FieldRoleChange = "role_change/"

// RoleChangeField is the field of change n of a member's role (n from 1;
// 0 is the role she was admitted with).
func RoleChangeField(n int) string { return FieldRoleChange + strconv.Itoa(n) }

// admittedField keeps the role an entry was admitted with.
var admittedField = RoleChangeField(0)

// writtenOnce reports whether field name keeps the cell written first.
func writtenOnce(name string) bool { return strings.HasPrefix(name, FieldRoleChange) }

// Bounds on a member's role history, which administrators write: checked
// on apply like its shape, so no entry makes every workstation hold and
// scan a history grown without bound.
const (
	// MaxRoleChanges is how many changes of role one entry records.
	MaxRoleChanges = roles.MaxRoleChanges
	// MaxRoleDevices is how many devices one change names.
	MaxRoleDevices = 64
)

// RoleHeld is one role a member held before a change of role, and the last
// sequence of each of her devices seen when the role changed (session
// 12's form, FieldRoleHeads).
type RoleHeld struct {
	Role  roles.Role        `json:"role"`
	Heads map[string]uint64 `json:"heads"`
}

// RoleChange is one change of a member's role: the role she left, the one
// she took, and the last sequence of each of her devices seen when the
// role changed. Lamport is the clock of the event that wrote it (not
// written: its cell's).
type RoleChange struct {
	From    roles.Role        `json:"from"`
	To      roles.Role        `json:"to"`
	Heads   map[string]uint64 `json:"heads"`
	Lamport uint64            `json:"-"`
	// bounds is what every change written for its number says (read
	// from the entry: rolecells.go); unset, the change alone.
	bounds changeBounds
}

// check applies the shape rule to one change.
func (c RoleChange) check() error {
	if !c.From.Valid() || !c.To.Valid() {
		return fmt.Errorf("a change of role names no role: %q to %q", c.From, c.To)
	}
	if c.From == c.To {
		return fmt.Errorf("a change of role keeps the role %s", c.From)
	}
	return checkHeads(c.Heads)
}

// checkHeads applies the shape rule to the heads of a change.
func checkHeads(heads map[string]uint64) error {
	if len(heads) > MaxRoleDevices {
		return fmt.Errorf("a change of role names %d devices, more than %d", len(heads), MaxRoleDevices)
	}
	for d := range heads {
		if !ValidDevice(d) {
			return fmt.Errorf("a change of role names %q, which is no device", d)
		}
	}
	return nil
}

// follows reports whether c may come after the changes before it, which
// leave the member in role prev: it leaves prev, and its heads do not go
// back on any device.
func (c RoleChange) follows(prev roles.Role, before []RoleChange) bool {
	if c.check() != nil || prev != "" && c.From != prev {
		return false
	}
	if len(before) == 0 {
		return true
	}
	for d, seq := range before[len(before)-1].Heads {
		if c.Heads[d] < seq {
			return false
		}
	}
	return true
}

// covers reports whether the change covers an event: at or below its
// heads, and written before it.
func (c RoleChange) covers(h crypto.Header) bool {
	return h.Seq <= c.Heads[h.Device] && h.Lamport < c.Lamport
}

// coversAll reports whether every change written for c's number covers
// event h (rolecells.go); coversAny whether one does.
func (c RoleChange) coversAll(h crypto.Header) bool {
	if !c.bounds.set {
		return c.covers(h)
	}
	return c.bounds.coversAll(h)
}

func (c RoleChange) coversAny(h crypto.Header) bool {
	if !c.bounds.set {
		return c.covers(h)
	}
	return c.bounds.coversAny(h)
}

// legacy reports whether c was read from session 12's list of former
// roles (legacyHistory), not from a "role_change/N" field.
func (c RoleChange) legacy() bool { return !c.bounds.set }

// latest is the highest clock of any change written for c's number.
func (c RoleChange) latest() uint64 {
	if !c.bounds.set {
		return c.Lamport
	}
	return max(c.Lamport, c.bounds.maxL)
}

// roleHistory reads a member's changes of role from her entry's merged
// state, as far as they are consistent, starting from the roles she was
// admitted with (roleheads.go's file comment): change N is the
// lowest-clock change written for N that follows change N-1, with the
// bounds of every change written for N that leaves the same role
// (rolecells.go).
func roleHistory(st State, admitted []roles.Role) ([]RoleChange, roleFork) {
	if out, fork := recordedHistory(st, admitted); len(out) > 0 || fork.roles != nil {
		return out, fork
	}
	return legacyHistory(st, admitted), roleFork{}
}

// RecordedChanges returns how many changes of role member fp's entry
// records in its own fields (not session 12's list): the app's ChangeRole
// writes the ones after them.
func (r *Replica) RecordedChanges(ctx context.Context, fp string) (int, error) {
	_, st, err := r.Entity(ctx, fp)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("replica: entry of %s: %w", short(fp), err)
	}
	out, _ := recordedHistory(st, admittedRoles(st))
	return len(out), nil
}

// recordedHistory is roleHistory without session 12's list: the longest
// run of change numbers from 1 whose changes all follow the one before
// and take the same role, and the fork after it (rolecells.go).
func recordedHistory(st State, admitted []roles.Role) ([]RoleChange, roleFork) {
	if len(admitted) == 0 {
		// No admission role for change 1 to leave (no event wrote a role
		// with a status): every change is past the history read, a fork
		// (session 15 review, V4).
		return nil, forkFrom(st, 1)
	}
	var out []RoleChange
	prev := admitted
	n := 1
	for ; n <= MaxRoleChanges; n++ {
		cells := cellsAt(st, n)
		if cells == nil {
			break
		}
		var last *RoleChange
		if len(out) > 0 {
			last = &out[len(out)-1]
		}
		c, ok := agreedChange(cells, prev, last)
		if !ok {
			break
		}
		out, prev = append(out, c), []roles.Role{c.To}
	}
	return out, forkFrom(st, n)
}

// legacyHistory reads session 12's list of former roles as the history:
// only when the event that wrote it also wrote the role the entry names
// (the two cells were written by one event: same clock and device) and
// the whole list is consistent. Each change takes the Lamport clock of
// that event.
func legacyHistory(st State, admitted []roles.Role) []RoleChange {
	list, ok := st[FieldRoleHeads]
	role, named := st["role"]
	if !ok || !named || len(admitted) == 0 || list.L != role.L || list.D != role.D {
		return nil // (len(admitted) == 0: V4, as recordedHistory)
	}
	var held []RoleHeld
	var now roles.Role
	if json.Unmarshal(list.V, &held) != nil || json.Unmarshal(role.V, &now) != nil || len(held) > MaxRoleChanges {
		return nil
	}
	out := make([]RoleChange, 0, len(held))
	var prev roles.Role
	for i, h := range held {
		if i == 0 && len(admitted) > 0 && !slices.Contains(admitted, h.Role) {
			return nil
		}
		c := RoleChange{From: h.Role, To: now, Heads: h.Heads, Lamport: list.L}
		if i+1 < len(held) {
			c.To = held[i+1].Role
		}
		if !c.follows(prev, out) {
			return nil
		}
		out, prev = append(out, c), c.To
	}
	return out
}

// roleAt is the role the member wrote the event h in: the role left by the
// first change that covers it, else the role the entry names. Where the
// changes written for one number disagree on whether they cover it, or
// her revocations on how far her history goes (rolecells.go), she may
// have written it in more than one role (rolesAt), and it is judged by
// judgeRole: "" when it stands in none (refused by the role rule).
func (m Member) roleAt(h crypto.Header) roles.Role {
	return judgeRole(h, m.rolesAt(h))
}

// rolesAt returns every role the member may have written event h in.
func (m Member) rolesAt(h crypto.Header) []roles.Role {
	var out []roles.Role
	if len(m.admitted) > 1 && (len(m.Changes) == 0 || m.Changes[0].coversAny(h)) {
		// Before change 1 (or with none) she may have been in any role
		// she was admitted in, not only the one change 1 leaves or the
		// entry names (session 15 review, G3).
		out = append(out, m.admitted...)
	}
	return rolesIn(out, m.Changes, m.Role, m.fork, h)
}

// rolesIn adds to out the roles one reading of the history (changes, then
// role) says event h may have been written in; past the changes, also
// every role the changes of its fork name (rolecells.go).
func rolesIn(out []roles.Role, changes []RoleChange, role roles.Role, fork roleFork, h crypto.Header) []roles.Role {
	note := func(r roles.Role) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	for _, c := range changes {
		if c.coversAll(h) {
			note(c.From)
			return out
		}
		if c.coversAny(h) {
			note(c.From)
		}
	}
	note(role)
	for _, r := range fork.roles {
		note(r)
	}
	return out
}

// judgeRole picks, of the roles an event may have been written in, the
// one it is judged by. A record of the clinic's data (front desk or
// clinical scope, no key) stands if one of them may write it: an
// administrator who writes a change of a colleague's role again cannot
// erase what she wrote. Everything else — the directory, confirmations,
// grants of keys — stands only if every one of them may write its kind,
// and is judged by the role within every other where there is one (a
// receptionist's, of a receptionist and a physician: her confirmations
// then vouch only for the front desk), so a rewrite never widens what
// she may have vouched for or granted (second review, B2). A kind every
// role writes (the keys a workstation acknowledges) stands whatever the
// roles.
func judgeRole(h crypto.Header, set []roles.Role) roles.Role {
	if len(set) == 1 {
		return set[0]
	}
	if h.Kind != KindGrant && (h.Scope == string(roles.FrontDesk) || h.Scope == string(roles.Clinical)) {
		for _, r := range set {
			if _, ok := roleAllows(h, r); ok {
				return r
			}
		}
	}
	least := set[0]
	for _, r := range set {
		if _, ok := roleAllows(h, r); !ok {
			return ""
		}
		if r.Within(least) {
			least = r
		}
	}
	return least
}

// checkRoleFields applies the content rule to the role fields of a
// directory entry (per event, on apply and on Append):
//   - nobody changes her own entry's role, history, former roles or
//     revocation (session 13 review, S3): such an event would be judged by
//     the role it writes, and its verdict would flip with its own effect.
//     Only the founder's genesis entry names its own author's role,
//     administrator, and an administrator may write it again unchanged;
//   - no event writes the admission role (role_change/0): the replica keeps
//     the first role written;
//   - each change of role, and session 12's former roles, are in shape.
func checkRoleFields(h crypto.Header, f Fields) error {
	if h.Kind != KindMember {
		return nil
	}
	changes := slices.Sorted(func(yield func(string) bool) {
		for name := range maps.Keys(f) {
			if strings.HasPrefix(name, FieldRoleChange) && !yield(name) {
				return
			}
		}
	})
	if h.Entity == h.Author {
		var role roles.Role
		if _, ok := f[FieldRoleHeads]; ok || len(changes) > 0 {
			return fmt.Errorf("a member does not record her own changes of role")
		}
		if v, ok := f["role"]; ok && (json.Unmarshal(v, &role) != nil || role != roles.Administrator) {
			return fmt.Errorf("a member does not change her own role")
		}
		if _, ok := f["revoked_heads"]; ok {
			return fmt.Errorf("a member does not revoke herself")
		}
	}
	for _, name := range changes {
		if name == admittedField {
			return fmt.Errorf("the role a member was admitted with is the first role her entry names; no event writes it")
		}
		var c RoleChange
		if err := json.Unmarshal(f[name], &c); err != nil {
			return fmt.Errorf("a change of the member's role is malformed")
		}
		if err := c.check(); err != nil {
			return err
		}
	}
	raw, ok := f[FieldRoleHeads]
	if !ok {
		return nil
	}
	var held []RoleHeld
	if err := json.Unmarshal(raw, &held); err != nil {
		return fmt.Errorf("the member's former roles are malformed")
	}
	if len(held) > MaxRoleChanges {
		return fmt.Errorf("the member's entry records %d changes of role, more than %d", len(held), MaxRoleChanges)
	}
	for _, c := range held {
		if !c.Role.Valid() {
			return fmt.Errorf("a former role of the member is no role: %q", c.Role)
		}
		if err := checkHeads(c.Heads); err != nil {
			return err
		}
	}
	return nil
}

// roleView is what the verdicts on a member's events depend on in her
// entry: the role it names and her changes of role.
func roleView(m Member) string {
	if m.view != "" {
		return m.view // worked out once per entry: try compares it for every event
	}
	return fmt.Sprint(m.Role, " ", m.Changes, " ", m.fork, " ", m.admitted) // fmt prints maps in key order
}

// loadRoleViews records, for every member, the view of her entry her
// events were judged by (the store as it is: judged).
func (r *Replica) loadRoleViews() {
	r.roleSeen = maps.Clone(r.members)
}

// judgeRoles judges again the events of every member whose entry changed
// (r.dirty) in what her role verdicts depend on: events refused for her
// role go back to pending, applied or sealed events her role at their
// place may not write are refused, and the records whose kind she may no
// longer have fixed are settled again. It reports whether anything moved.
//
// Judging one member's events again can refuse an event that wrote into
// another's entry, rebuilding it (and marking it dirty) mid-pass: the
// members are taken in order, pass after pass, until a pass finds no
// entry whose view changed (session 14 review, C6: a map being ranged
// over may or may not yield a key added meanwhile).
func (r *Replica) judgeRoles(ctx context.Context, tx *store.Tx) (bool, error) {
	moved := false
	for pass := 0; pass < maxRolePasses; pass++ {
		again := false
		for _, fp := range slices.Sorted(maps.Keys(r.dirty)) {
			r.state.RLock()
			m, ok := r.members[fp]
			r.state.RUnlock()
			if !ok {
				continue
			}
			was, seen := r.roleSeen[fp]
			if !seen && (r.anchors[fp] || r.founder(fp)) {
				// Authorised as an administrator before her entry came.
				seen, was = true, Member{Role: roles.Administrator}
			}
			r.roleSeen[fp] = m
			if !seen || roleView(was) == roleView(m) {
				continue // nothing of hers was judged by a role before
			}
			did, err := r.rejudgeRole(ctx, tx, fp, &was, m)
			if err != nil {
				return moved, err
			}
			moved, again = moved || did, true
		}
		if !again {
			return moved, nil
		}
	}
	// At the bound: the members whose entry changed since their events
	// were last judged go round again in settle's next round, not lost
	// when judgeDirectory takes the dirty set (session 14 review, D3).
	for _, fp := range slices.Sorted(maps.Keys(r.dirty)) {
		r.state.RLock()
		m, ok := r.members[fp]
		r.state.RUnlock()
		if was, seen := r.roleSeen[fp]; ok && seen && roleView(was) != roleView(m) {
			r.roleLeft = append(r.roleLeft, fp)
		}
	}
	return moved, nil
}

// carryRoles puts back into the dirty set the members judgeRoles left at
// its bound (after judgeDirectory took it) and reports whether there were
// any.
func (r *Replica) carryRoles() bool {
	for _, fp := range r.roleLeft {
		r.dirty[fp] = true
	}
	left := len(r.roleLeft) > 0
	r.roleLeft = nil
	return left
}

// maxRolePasses bounds judgeRoles' passes in one round of settle: each
// pass that finds work judges events again by a view that changed, and
// views change only as entries are rebuilt, so honest batches settle in
// two; what is left goes round again (carryRoles), at most maxRoleRounds
// times in one settle.
const (
	maxRolePasses = 16
	maxRoleRounds = 64
)

// rejudgeRole judges the events of member fp again by her entry m: those
// whose role at their place differs between was, the entry they were
// judged by, and m (all of them when was is nil), so a change of role
// re-applies or refuses only what it changed (session 13 review, S6).
func (r *Replica) rejudgeRole(ctx context.Context, tx *store.Tx, fp string, was *Member, m Member) (bool, error) {
	devices, err := tx.DevicesOf(ctx, fp)
	if err != nil {
		return false, fmt.Errorf("replica: devices of %s: %w", short(fp), err)
	}
	moved := false
	var touched []string
	for _, d := range devices {
		for after := uint64(0); ; {
			rows, err := tx.EnvelopesAfter(ctx, d, after, rolePage)
			if err != nil {
				return moved, fmt.Errorf("replica: events of %s: %w", short(fp), err)
			}
			if len(rows) == 0 {
				break
			}
			after = rows[len(rows)-1].Seq
			did, ids, err := r.rejudgeRows(ctx, tx, fp, was, m, rows)
			if err != nil {
				return moved, err
			}
			moved = moved || did
			touched = append(touched, ids...)
		}
	}
	slices.Sort(touched)
	for _, id := range slices.Compact(touched) {
		if err := r.rebind(ctx, tx, id, nil); err != nil {
			return moved, err
		}
		moved = true
	}
	return moved, nil
}

// headerOf is the header of a stored event as far as the role rules read
// it (roleAt, authorize).
func headerOf(row store.Envelope) crypto.Header {
	return crypto.Header{Kind: row.Kind, Scope: row.Scope, Entity: row.Entity, Author: row.Author,
		Device: row.Device, Seq: row.Seq, Lamport: row.Lamport}
}

// rolePage is how many of a member's events rejudgeRole reads at a time.
const rolePage = 2000

// rejudgeRows judges rows, events of member fp's device, again by her
// entry m where their role differs from was's (rejudgeRole). It returns
// the records whose kind must be settled again.
func (r *Replica) rejudgeRows(ctx context.Context, tx *store.Tx, fp string, was *Member, m Member, rows []store.Envelope) (moved bool, touched []string, err error) {
	for _, row := range rows {
		if row.Author != fp || noAct(row.Kind) {
			continue
		}
		h := headerOf(row)
		if was != nil && was.roleAt(h) == m.roleAt(h) {
			continue // judged by the same role
		}
		r.rejudged.Add(1)
		role, rule, reason, ok, aerr := r.authorizeAct(ctx, tx, row, h, m, true)
		if aerr != nil {
			return moved, touched, aerr
		}
		switch {
		case row.State == store.Rejected && row.Rule == ruleRole:
			err = r.setState(ctx, tx, row, pending("the author's role was changed: judged again"))
			moved = true
		case (row.State == store.Applied || row.State == store.Sealed) && !ok && rule == ruleRole:
			// Her role at its place is disputed now (rolecells.go).
			err = r.setState(ctx, tx, row, refused(ruleRole, "%s", reason))
			moved = true
			if isRecordKind(row.Kind) {
				touched = append(touched, row.Entity)
			}
		case row.State != store.Applied && row.State != store.Sealed || !ok:
			continue // refused otherwise, or swept by its own rule
		default:
			v, allowed := roleAllows(h, role)
			if allowed && roleOfFields(row.Kind) && row.State == store.Applied {
				// Her confirmations (an appointment's visit times), by the
				// role she wrote them in.
				var f Fields
				if _, f, err = r.storedFields(row); err != nil {
					return moved, touched, err
				}
				if bad := checkRoleOfFields(row.Kind, row.Entity, role, f); bad != nil {
					v, allowed = contentVerdict(bad), false
				}
			}
			if !allowed {
				err = r.setState(ctx, tx, row, v)
				moved = true
				if isRecordKind(row.Kind) {
					touched = append(touched, row.Entity)
				}
				break
			}
			// Her event may still stand, but no longer fix its
			// record's kind.
			if k, _ := roles.KindOf(row.Kind); isRecordKind(row.Kind) && !k.MayCreate(role) {
				b, berr := tx.Binding(ctx, row.Entity)
				if berr != nil && !errors.Is(berr, store.ErrNotFound) {
					return moved, touched, fmt.Errorf("replica: binding of %s: %w", row.Entity, berr)
				}
				if berr == nil && b.Device == row.Device && b.Seq == row.Seq {
					touched = append(touched, row.Entity)
				}
			}
		}
		if err != nil {
			return moved, touched, err
		}
	}
	return moved, touched, nil
}

// MaxRevokedDevices bounds the chains of a member a revocation names
// (MemberHeads): a revocation is one directory event of at most 1 MiB,
// which holds some 28,000 heads, and a member's modified software makes a
// chain with one event (a move from the random id her entry names, each
// its own chain since h-sec19c; a key event on any id bound to her key,
// for an entry naming no device): 30,000 of them made her revocation
// impossible to write (h-sec20a). An honest member has a chain per
// workstation and one per move: a few.
const MaxRevokedDevices = 1024

// MemberHeads returns the last event of each of member fp's devices this
// workstation judged: its head (the last applied or sealed), then the
// events after it refused by a rule that keeps the chain whole (a note
// her role did not allow), which she wrote before too. What a revocation
// (revoked_heads, at most MaxRevokedDevices chains) and a change of role
// (RoleChange, at most MaxRoleDevices) record.
//
// It names at most most chains (h-sec20a): first those her last change
// of role names (a change's heads never go back: follows), then those her
// entry names, then the ones holding the most of her events, then by
// device id. A chain left out is one the administrator's workstation had
// not seen: a revocation keeps nothing of it but what no rule of
// membership refuses (her moves and keys: noAct), a change of role judges
// it by the new role. Only a member whose software made more chains than
// honest software does loses what she wrote in the ones left out.
func (r *Replica) MemberHeads(ctx context.Context, fp string, most int) (map[string]uint64, error) {
	r.state.RLock()
	m := r.members[fp]
	r.state.RUnlock()
	tier := map[string]int{}
	for _, d := range m.Devices {
		tier[d] = 1
	}
	var last map[string]uint64 // the heads of her last change of role
	if len(m.Changes) > 0 {
		last = m.Changes[len(m.Changes)-1].Heads
		for d := range last {
			tier[d] = 0
		}
	}
	type chain struct {
		device       string
		seq, lamport uint64
	}
	var chains []chain
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		hs, err := tx.Heads(ctx)
		if err != nil {
			return err
		}
		for _, h := range hs {
			e, err := tx.EnvelopeAt(ctx, h.Device, h.Seq)
			if err != nil {
				return err
			}
			if e.Author != fp {
				continue
			}
			tail, err := tx.EnvelopesAfter(ctx, h.Device, h.Seq, -1)
			if err != nil {
				return err
			}
			c := chain{device: h.Device, seq: h.Seq, lamport: e.Lamport}
			for _, t := range tail {
				if t.Seq != c.seq+1 || t.State != store.Rejected || t.Rule == "" {
					break
				}
				c.seq, c.lamport = t.Seq, max(c.lamport, t.Lamport)
			}
			chains = append(chains, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replica: heads of %s: %w", short(fp), err)
	}
	// Her last change's heads are a floor: what it named was written
	// before it, so before this one too, even where this workstation
	// holds less of the chain (or none of it) yet; a head below it would
	// not follow that change, and her history would read as disputed
	// (h-sec20a's aside).
	have := map[string]bool{}
	for i := range chains {
		have[chains[i].device] = true
		chains[i].seq = max(chains[i].seq, last[chains[i].device])
	}
	for d, seq := range last {
		if !have[d] {
			chains = append(chains, chain{device: d, seq: seq})
		}
	}
	rank := func(d string) int {
		if t, ok := tier[d]; ok {
			return t
		}
		return 2
	}
	slices.SortFunc(chains, func(a, b chain) int {
		if c := cmp.Compare(rank(a.device), rank(b.device)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.seq, a.seq); c != 0 {
			return c
		}
		return strings.Compare(a.device, b.device)
	})
	heads := map[string]uint64{}
	var seen uint64 // the latest clock of the events they name
	for _, c := range chains[:min(len(chains), max(most, 0))] {
		heads[c.device], seen = c.seq, max(seen, c.lamport)
	}
	// The change or revocation this workstation writes next records them:
	// its clock passes theirs, or its heads would not cover the refused
	// ones (a change covers only events written before it: RoleChange).
	r.mu.Lock()
	r.lamport = max(r.lamport, seen)
	r.mu.Unlock()
	return heads, nil
}

// mendRoles reads every directory entry again by this version's role
// history (run by mendFields once per version of the declarations): each
// entry is rebuilt from its applied events, so it keeps the role it was
// admitted with and reads its changes as this version does, and every
// member's events are judged again by it. Whether an entry stands for its
// token is kept as it was (judgeDirectory judges it again at the next
// Apply).
func (r *Replica) mendRoles(ctx context.Context) error {
	r.state.RLock()
	fps := slices.Sorted(maps.Keys(r.members))
	taken := map[string]string{}
	for fp, m := range r.members {
		taken[fp] = m.TokenTakenBy
	}
	r.state.RUnlock()
	err := r.p.DB.Update(ctx, func(tx *store.Tx) error {
		defer r.begin()()
		for _, fp := range fps {
			if err := r.rebuildEntity(ctx, tx, fp); err != nil {
				return err
			}
		}
		r.state.Lock()
		for fp, m := range r.members {
			m.TokenTakenBy = taken[fp]
			r.members[fp] = m
		}
		r.state.Unlock()
		// Each revoked member's events swept by her revocation as it
		// reads now (the rebuild marked them): an act an earlier version
		// let stand as one of a mutual pair that this one judges after
		// the other's (mutual.go namesLess, h-ret22) is refused.
		if _, err := r.sweepRevoked(ctx, tx); err != nil {
			return err
		}
		// What a revocation refused that none standing refuses now (an
		// earlier version kept a voided revocation's sweep: session 15
		// review, V1 and sec-s15f W1) is judged again, once.
		refused, err := tx.RejectedAuthors(ctx, ruleRevoked)
		if err != nil {
			return err
		}
		for _, fp := range refused {
			if err := r.judgeAgain(ctx, tx, fp, ruleRevoked, "judged again after the upgrade"); err != nil {
				return err
			}
		}
		// Each member's events judged by the entry as it reads now; an
		// entry rebuilt after its turn (her events in it refused or
		// applied again) is judged again by judgeRoles below, which
		// compares the view each was judged by (session 14 review,
		// sec-s14b's note on mendRoles).
		r.mu.Lock()
		r.roleSeen = map[string]Member{}
		r.mu.Unlock()
		for _, fp := range fps {
			r.state.RLock()
			m, ok := r.members[fp]
			r.state.RUnlock()
			if !ok {
				continue
			}
			if _, err := r.rejudgeRole(ctx, tx, fp, nil, m); err != nil {
				return err
			}
			r.mu.Lock()
			r.roleSeen[fp], r.dirty[fp] = m, true
			r.mu.Unlock()
		}
		if _, err := r.judgeRoles(ctx, tx); err != nil {
			return err
		}
		// Each held member's confirmations judged by what holds her (a
		// version before session 16 kept them: hold.go).
		if _, err := r.judgeHolds(ctx, tx, true); err != nil {
			return err
		}
		r.carryRoles() // past the bound: judged at the next Apply
		return r.writeIndex(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("replica: judge the directory's role histories again: %w", err)
	}
	return nil
}
