package replica

// rolecells.go keeps every change of role written into a member's entry,
// not only the one that stands (session 13 second review, B2, B3, B6, B7).
//
// The Lamport clock of an event is its writer's word: nothing bounds it
// from below. So "the cell written first" of a written-once field is the
// cell written with the lowest clock, and an administrator who writes a
// change again later with a lower clock replaces it, invisibly (B2: she
// stretched the heads of her own move out of the physicians over a
// confirmation she wrote afterwards). The replica therefore also keeps,
// for each change number N, every distinct change written for it, folded
// into one internal field "role_seen/N" (never written by an event: the
// fields rule knows no such name). The fold takes minima and maxima and
// unions, so the field is a function of the set of events, whatever order
// they came in. For each pair of roles (left, taken) it keeps
//   - the change written with the lowest clock (which stands, as before),
//   - the narrowest heads and lowest clock of any change of the pair, and
//     the widest heads and highest clock.
//
// The history is read through them (roleHistory) as long as every change
// written for a number follows the change before and takes the same role;
// an event of the member is judged by every role some change written for
// N says she held (roleAt): if two changes disagree on whether it was
// written before the change, both roles may be hers. Past the history (a
// fork: changes that do not follow, or take different roles, and every
// change written for a later number) every role any of them names may be
// hers: no administrator routes the history around a change with lower
// clocks (session 14 review, C1), and no poisoned change is a wall (B6):
// it holds only what the roles it names do not all allow. A rewrite can narrow what she may have written (an
// administrator can erase by revoking anyway), never widen it. A
// colleague's confirmation counts only if it names an event that wrote the
// change that moved her into the scope, and past a fork none counts
// (entered.go), so no rewrite, whatever its clock, brings old
// confirmations back.
//
// "role_seen/0" keeps the roles the entry was admitted with, from events
// of the admission's shape only (a role written with a status, no
// change): a role written alone with a tiny clock no longer rewrites the
// admission role (B7), and change 1 follows any of them.
//
// "role_seen/revoked" keeps the fewest changes any
// revocation of the entry recorded (the RevokedChanges key of its heads)
// and the roles they read: a revoked member's history is read only that
// far; what lies past it joins the fork (directory.go), so a change
// written after the revocation, whatever its clock, holds what she wrote
// past the history (a denial, shown as disputed: B3 as session 14 leaves
// it) and never widens it (session 14 review, D1, D2).

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// RevokedChanges is the key of a revocation's heads (revoked_heads) that
// records how many changes of role the revoking workstation read in the
// entry. No device id has its form, so a workstation of a version before
// session 14 reads the heads as before (a new field would make it refuse
// the revocation: the fields rule).
const RevokedChanges = "role_changes"

// RevokedRole prefixes the key of a revocation's heads that records the
// role the revoking workstation read in the entry ("role:physician": 1),
// which a revoked member's events are judged by past her changes: no role
// written after the revocation, whatever its clock or shape, re-judges
// her chain (session 14 review, C3).
const RevokedRole = "role:"

// roleSeenPrefix prefixes the replica's own fields of a directory entry
// that keep every change of role written (rolecells.go).
const roleSeenPrefix = "role_seen/"

// roleSeenField is the field keeping every change written for number n.
func roleSeenField(n int) string { return roleSeenPrefix + strconv.Itoa(n) }

// revokedSeenField keeps the fewest changes a revocation recorded.
const revokedSeenField = roleSeenPrefix + "revoked"

// revokedHeadsField keeps what every revocation of the entry let stand
// (revokedReach): revoked_heads itself is an ordinary field, the highest
// clock's, so a second revocation with wider heads would bring back what
// the first refused, on the workstations that had not refused it yet
// (session 15 review, G1).
const revokedHeadsField = roleSeenPrefix + "revoked_heads"

// devicesSeenField keeps every device any event named in the entry's
// "devices" list, sorted (at most maxEntryDevices): an entry's devices
// only grow. "devices" itself is an ordinary field, the last list
// written; an administrator who wrote a list leaving out a member's
// workstation made every event of it not the member's and not kept —
// another administrator's revocation of a colleague with them, which then
// held nobody (session 16 review h-sec16a, H1). A device a member no
// longer uses is cut by revoking her, with heads.
const devicesSeenField = roleSeenPrefix + "devices"

// devicesOpenField marks an entry an admission-shaped event of which
// named no devices (an entry written before devices were named, issue 13,
// or written again so): the devices its lists name are hers, and so is
// every chain she signed first, as before any list (Member.namesDevice).
// Before session 29 the first list an administrator wrote into such an
// entry named her devices only: every event of her other chains was not
// kept on any workstation, the revocations she wrote with them, which then
// held nobody (h-seca29: an administrator's own entry, so her revocation
// of a colleague undone silently; any member's entry by another
// administrator). Set once, by the set of events applied, never removed
// but with the event that set it.
const devicesOpenField = roleSeenPrefix + "unlisted"

// devicesOpenRule is false only in a test playing a workstation of a
// version before session 29, which kept no devicesOpenField.
var devicesOpenRule = true

// maxEntryDevices bounds the devices one list may name for the cell
// (devicesSeenField).
const maxEntryDevices = 64

// revokedReach is the content of "role_seen/revoked_heads": per device the
// lowest last sequence any revocation accepted (a device one revocation
// does not name has none), and the lowest clock of any revocation.
type revokedReach struct {
	Heads  map[string]uint64 `json:"heads"`
	Lowest uint64            `json:"lowest"`
}

// narrow folds one revocation's heads, written at lamport, into r.
func (r *revokedReach) narrow(heads map[string]uint64, lamport uint64) {
	devices := map[string]uint64{}
	for d, seq := range heads {
		if d != RevokedChanges && !strings.HasPrefix(d, RevokedRole) { // what it read, not a device
			devices[d] = seq
		}
	}
	if r.Heads == nil { // the first revocation folded
		r.Heads, r.Lowest = devices, lamport
		return
	}
	for d, seq := range r.Heads {
		if other, ok := devices[d]; ok {
			r.Heads[d] = min(seq, other)
		} else {
			delete(r.Heads, d)
		}
	}
	r.Lowest = min(r.Lowest, lamport)
}

// revokedReachOf returns what every revocation of the entry let stand (ok
// false: no revocation folded).
func revokedReachOf(st State) (r revokedReach, ok bool) {
	c, found := st[revokedHeadsField]
	if !found || json.Unmarshal(c.V, &r) != nil || r.Heads == nil {
		return revokedReach{}, false
	}
	return r, true
}

// maxWideDevices bounds the devices the widest heads of a pair name; past
// it, the pair covers every device (wider, so more events are judged by
// both roles: never more allowed).
const maxWideDevices = 4 * MaxRoleDevices

// pairCells folds every change of one pair of roles written for one
// change number.
type pairCells struct {
	First  RoleChange        `json:"first"`
	FirstL uint64            `json:"first_l"`
	FirstD string            `json:"first_d"`
	Narrow map[string]uint64 `json:"narrow"`
	Wide   map[string]uint64 `json:"wide"`
	AllDev bool              `json:"all_devices,omitempty"`
	MinL   uint64            `json:"min_l"`
	MaxL   uint64            `json:"max_l"`
}

// changeCells is the content of a "role_seen/N" field: the pairs of roles
// written for change N, keyed "from>to".
type changeCells map[string]*pairCells

func pairKey(from, to roles.Role) string { return string(from) + ">" + string(to) }

// add folds change c, written at (lamport, device), into the pair's cells.
func (p *pairCells) add(c RoleChange, lamport uint64, device string) {
	if p.Narrow == nil { // nothing folded yet
		*p = pairCells{First: c, FirstL: lamport, FirstD: device, Narrow: maps.Clone(c.Heads), Wide: maps.Clone(c.Heads),
			MinL: lamport, MaxL: lamport}
		if p.Narrow == nil {
			p.Narrow, p.Wide = map[string]uint64{}, map[string]uint64{}
		}
		p.AllDev = len(p.Wide) > maxWideDevices
		return
	}
	if lamport < p.FirstL || lamport == p.FirstL && device < p.FirstD {
		p.First, p.FirstL, p.FirstD = c, lamport, device
	}
	narrowHeads(p.Narrow, c.Heads)
	if !p.AllDev {
		widenHeads(p.Wide, c.Heads)
	}
	if len(p.Wide) > maxWideDevices {
		p.AllDev, p.Wide = true, map[string]uint64{}
	}
	p.MinL, p.MaxL = min(p.MinL, lamport), max(p.MaxL, lamport)
}

// narrowHeads keeps in heads only what other names too, at the lower
// sequence; widenHeads adds what other names, at the higher.
func narrowHeads(heads, other map[string]uint64) {
	for d, seq := range heads {
		if s, ok := other[d]; !ok {
			delete(heads, d)
		} else {
			heads[d] = min(seq, s)
		}
	}
}

func widenHeads(heads, other map[string]uint64) {
	for d, seq := range other {
		heads[d] = max(heads[d], seq)
	}
}

// admissionShaped reports whether an event's fields are those of an
// admission (a role written with a status, and no change of role).
func admissionShaped(f Fields) bool {
	_, role := f["role"]
	_, status := f["status"]
	_, legacy := f[FieldRoleHeads]
	if !role || !status || legacy {
		return false
	}
	for name := range f {
		if strings.HasPrefix(name, FieldRoleChange) && name != admittedField { // fold adds the admission's
			return false
		}
	}
	return true
}

// foldRoleCells keeps, in a directory entry's state, every change of role
// and admission role event h wrote, the fewest changes a revocation
// recorded and what every revocation let stand (rolecells.go), and
// reports whether it kept anything new. Called by fold for each event of
// the entry.
func foldRoleCells(st State, h crypto.Header, f Fields) bool {
	changed := false
	keep := func(name string, c Cell) {
		if old, ok := st[name]; !ok || string(old.V) != string(c.V) || old.L != c.L {
			st[name], changed = c, true
		}
	}
	add := func(n int, c RoleChange) {
		name := roleSeenField(n)
		cells := changeCells{}
		if old, ok := st[name]; ok {
			json.Unmarshal(old.V, &cells) //nolint:errcheck // the replica wrote it; unreadable reads as none
		}
		key := pairKey(c.From, c.To)
		p := cells[key]
		if p == nil {
			if len(cells) >= maxRolePairs {
				return
			}
			p = &pairCells{}
			cells[key] = p
		}
		p.add(c, h.Lamport, h.Device)
		raw, _ := json.Marshal(cells) //nolint:errcheck // plain maps and strings
		keep(name, Cell{V: raw, L: max(st[name].L, h.Lamport)})
	}
	for name, raw := range f {
		n, ok := changeNumber(name)
		if !ok || n == 0 {
			continue
		}
		var c RoleChange
		if json.Unmarshal(raw, &c) != nil || c.check() != nil {
			continue
		}
		add(n, c)
	}
	if admissionShaped(f) {
		var role roles.Role
		if json.Unmarshal(f["role"], &role) == nil && role.Valid() {
			add(0, RoleChange{To: role})
		}
	}
	var devices []string
	listed := false
	if raw, ok := f["devices"]; ok && json.Unmarshal(raw, &devices) == nil && len(devices) > 0 {
		listed = true
	}
	if admissionShaped(f) && !listed && devicesOpenRule {
		keep(devicesOpenField, Cell{V: json.RawMessage("true"), L: max(st[devicesOpenField].L, h.Lamport)})
	}
	// A list longer than maxEntryDevices is not read into the cell; the
	// cell itself is not cut, or which devices it kept would depend on
	// the order events were folded in (session 16 review h-sec16c).
	if listed && len(devices) <= maxEntryDevices {
		var seen []string
		if old, ok := st[devicesSeenField]; ok {
			json.Unmarshal(old.V, &seen) //nolint:errcheck // the replica wrote it; unreadable reads as none
		}
		for _, d := range devices {
			if d != "" && !slices.Contains(seen, d) {
				seen = append(seen, d)
			}
		}
		slices.Sort(seen)
		v, _ := json.Marshal(seen) //nolint:errcheck // a list of strings
		keep(devicesSeenField, Cell{V: v, L: max(st[devicesSeenField].L, h.Lamport)})
	}
	var heads map[string]uint64
	if raw, ok := f["revoked_heads"]; ok && json.Unmarshal(raw, &heads) == nil {
		reach, _ := revokedReachOf(st)
		reach.narrow(heads, h.Lamport)
		v, _ := json.Marshal(reach) //nolint:errcheck // a map of ints and an int
		keep(revokedHeadsField, Cell{V: v, L: max(st[revokedHeadsField].L, h.Lamport)})
		if n, ok := heads[RevokedChanges]; ok && n <= MaxRoleChanges {
			n := int(n)
			r := revokedCount{Fewest: n}
			if old, ok := st[revokedSeenField]; ok && json.Unmarshal(old.V, &r) == nil {
				r.Fewest = min(r.Fewest, n)
			}
			for k := range heads {
				if role := roles.Role(strings.TrimPrefix(k, RevokedRole)); strings.HasPrefix(k, RevokedRole) &&
					role.Valid() && !slices.Contains(r.Roles, role) {
					r.Roles = append(r.Roles, role)
				}
			}
			slices.Sort(r.Roles)
			v, _ := json.Marshal(r) //nolint:errcheck // two ints
			keep(revokedSeenField, Cell{V: v, L: max(st[revokedSeenField].L, h.Lamport)})
		}
	}
	return changed
}

// maxRolePairs bounds the pairs of roles one change number keeps: every
// ordered pair of distinct roles (three roles), and the admission's one
// per role.
const maxRolePairs = 9

// changeNumber reads N from a field "role_change/N".
func changeNumber(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, FieldRoleChange)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxRoleChanges || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// seenCells reads the changes kept for number n (nil: none kept, as in a
// state folded by a version before this one).
func seenCells(st State, n int) changeCells {
	c, ok := st[roleSeenField(n)]
	if !ok {
		return nil
	}
	var cells changeCells
	if json.Unmarshal(c.V, &cells) != nil {
		return nil
	}
	return cells
}

// admittedRoles returns the roles the entry was admitted with: every role
// an admission-shaped event wrote into it, else the admission role kept
// by an older version's fold.
func admittedRoles(st State) []roles.Role {
	var out []roles.Role
	for _, p := range seenCells(st, 0) {
		out = append(out, p.First.To)
	}
	if len(out) == 0 {
		if r := roles.Role(st.String(admittedField)); r != "" {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// revokedCount is the content of "role_seen/revoked": the fewest changes
// of role any revocation of the entry recorded, and the roles they read.
type revokedCount struct {
	Fewest int          `json:"fewest"`
	Roles  []roles.Role `json:"roles,omitempty"` // the roles the revocations read, sorted
}

// revokedChanges returns what the revocations of the entry recorded: the
// fewest changes, and the roles read (ok false: none recorded any).
func revokedChanges(st State) (r revokedCount, ok bool) {
	c, found := st[revokedSeenField]
	if !found || json.Unmarshal(c.V, &r) != nil {
		return revokedCount{}, false
	}
	return r, true
}

// changeBounds is what every change written for one number says of the
// member's events: the narrowest and the widest reach, by heads and clock
// (a change covers an event at or below its heads, written before it).
type changeBounds struct {
	set          bool // false: the change alone (covers)
	disputed     bool // the changes written for the number differ in heads or clock
	narrow, wide map[string]uint64
	allDevices   bool
	minL, maxL   uint64
}

// coversAll reports whether every change written for the number covers
// event h; coversAny whether some change does.
func (b *changeBounds) coversAll(h crypto.Header) bool {
	return h.Seq <= b.narrow[h.Device] && h.Lamport < b.minL
}

func (b *changeBounds) coversAny(h crypto.Header) bool {
	return (b.allDevices || h.Seq <= b.wide[h.Device]) && h.Lamport < b.maxL
}

// roleFork is what a member's entry records past the history that is
// read: changes written for a number that do not all follow the change
// before or do not all take the same role, and every change written for a
// later number (a lower clock would otherwise let an administrator route
// the history around a change, session 14 review C1). Every role they
// name may be the one an event of hers past the history was written in,
// and no colleague's confirmation of her counts (entered.go: before
// session 16, one written after the latest of their clocks did, and
// clocks are their writers' word).
type roleFork struct {
	roles  []roles.Role // every role the changes past the history name, sorted
	latest uint64       // the highest clock of any of them (non-zero: a fork)
}

// with returns the fork with the changes cut joined to it (a revocation
// read the history only so far: directory.go).
func (f roleFork) with(cut []RoleChange) roleFork {
	for _, c := range cut {
		f.roles = unionRoles(f.roles, []roles.Role{c.From, c.To})
		f.latest = max(f.latest, c.latest())
	}
	return f
}

// cellsAt returns the changes written for number n (nil: none): kept by
// this version's fold, or the one that stands in a state folded by an
// older version.
func cellsAt(st State, n int) changeCells {
	if cells := seenCells(st, n); cells != nil {
		return cells
	}
	cell, ok := st[RoleChangeField(n)]
	var c RoleChange
	if !ok || json.Unmarshal(cell.V, &c) != nil {
		return nil
	}
	return changeCells{pairKey(c.From, c.To): {First: c, FirstL: cell.L, FirstD: cell.D,
		Narrow: c.Heads, Wide: c.Heads, MinL: cell.L, MaxL: cell.L}}
}

// agreedChange reads change n when the changes written for it are one pair
// of roles (the same role left and taken: an entry admitted in two roles
// whose change 1 leaves each is a fork too) that follows the one before
// (leaves a role in prev, its heads do not go back from last's): the
// lowest-clock change, with the bounds of all of them. ok is false
// otherwise.
func agreedChange(cells changeCells, prev []roles.Role, last *RoleChange) (RoleChange, bool) {
	if len(cells) != 1 {
		return RoleChange{}, false
	}
	var p *pairCells
	for _, only := range cells {
		p = only
	}
	c := p.First
	if !(len(prev) == 0 || slices.Contains(prev, c.From)) || c.check() != nil ||
		last != nil && !headsFollow(c.Heads, last.Heads) {
		return RoleChange{}, false
	}
	b := changeBounds{set: true, narrow: maps.Clone(p.Narrow), wide: maps.Clone(p.Wide), allDevices: p.AllDev,
		minL: p.MinL, maxL: p.MaxL}
	// Changes of the number with other heads, or written with other
	// clocks (coversAll reads the lowest, coversAny the highest), disagree
	// on which events came before it: shown (session 14 review, E1).
	b.disputed = b.allDevices || !maps.Equal(b.narrow, b.wide) || b.minL != b.maxL
	c.Lamport, c.bounds = p.FirstL, b
	return c, true
}

// forkFrom is the fork of an entry whose history is read up to change
// n-1 (rolecells.go): every change written for n and later.
func forkFrom(st State, n int) roleFork {
	var f roleFork
	for ; n <= MaxRoleChanges; n++ {
		for _, p := range cellsAt(st, n) {
			for _, r := range []roles.Role{p.First.From, p.First.To} {
				if r.Valid() && !slices.Contains(f.roles, r) {
					f.roles = append(f.roles, r)
				}
			}
			f.latest = max(f.latest, p.MaxL)
		}
	}
	if f.roles == nil {
		return roleFork{}
	}
	slices.Sort(f.roles)
	return f
}

// headsFollow reports whether heads do not go back from before on any
// device.
func headsFollow(heads, before map[string]uint64) bool {
	for d, seq := range before {
		if heads[d] < seq {
			return false
		}
	}
	return true
}

// HistoryDisputed reports whether administrators wrote different changes
// of the member's role for one number, or her revocations recorded
// different numbers of changes: some of her events may then be held
// (roleAt). The staff directory says so.
func (m Member) HistoryDisputed() bool {
	if m.fork.roles != nil || len(m.admitted) > 1 {
		return true
	}
	for _, c := range m.Changes {
		if c.bounds.disputed {
			return true
		}
	}
	return false
}

// RoleRewritten reports whether a role was written into the member's entry
// outside her recorded history (a version before session 12, or an
// administrator's software that leaves the change out), by clock: it
// voids her colleagues' earlier confirmations, so the staff directory
// says so. What voids them is which events wrote her role, not their
// clocks (entered.go), so a rewrite at her last change's or admission's
// very clock (from another device) voids them too without showing here.
func (m Member) RoleRewritten() bool {
	recorded := m.AdmittedLamport
	for _, c := range m.Changes {
		recorded = max(recorded, c.latest())
	}
	return m.RoleWritten > recorded
}

// HistoryForked reports whether the member's entry records changes past
// the history that is read (a fork, rolecells.go): what she writes now is
// judged by every role they name too, so her grants of keys and her
// confirmations stand only where every one of them allows them.
func (m Member) HistoryForked() bool { return m.fork.roles != nil }
