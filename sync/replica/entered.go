package replica

// entered.go binds a colleague's confirmation to the event by which the
// member last came into a role holding the scope it counts for (session
// 15 review, V3), with no clock involved.
//
// A confirmation vouches for the colleague in the role she held when she
// was met: one written before she was moved into a role holding the scope
// (or before she left it and was moved back) counts for nothing there
// (session 13 review, S2). Until session 16 "before" was read by Lamport
// clocks (Member.EnteredAt: the field's clock above the move's), and a
// clock is its writer's word: an administrator who wrote change 1
// "receptionist to physician" with a low clock (or from a fresh device
// whose chain starts low) kept a physician's "member/" of the receptionist,
// written while he was at the desk, counting for the clinical key after
// the physician had left. Now a confirmation names an event of the
// colleague's directory entry (confirm.go: "member/FP/EVENT",
// "desk/FP/EVENT"), and nobody can name an event before it is signed, so:
//
//   - admitted in a role holding the scope and never moved out of it: any
//     event of her entry, as before (and the older bare form by clock,
//     forAdmissionLocked);
//   - moved in by change N of her history (role_change/N, the last change
//     that took her from a role not holding the scope into one holding
//     it): an event that wrote role_change/N. Every such event wrote the
//     same pair of roles (else the history forks there), so a
//     confirmation naming one was written after she was moved. For a
//     history read from session 12's list (no role_change/N field), the
//     event that wrote the list, which also wrote her role;
//   - her role written outside the recorded history (an older version's
//     change, or software that leaves the change out): an event that wrote
//     the role her entry names now, unless those are the events of her
//     admission or of her last recorded change. Which events wrote it is
//     read from her entry's applied events, not from clocks, so no clock
//     chosen below or level with the admission's hides a rewrite;
//   - a history that forks (rolecells.go: changes that disagree, or past
//     what a revocation read): none. The fork's changes are unordered among
//     themselves (each could be the last), so no event of theirs proves a
//     confirmation came after the member's last move into the scope. This
//     is a denial, shown as a disputed history (HistoryDisputed); before,
//     the fork's highest clock bounded the confirmations, which is the
//     clock its writers chose. The remedy is the one for any disputed
//     history: a new token.
//
// The events of each kind are collected by entryClaims from the entry's
// applied events with their fields (admission.note), whenever
// judgeDirectory reads the entry and at load: no state is stored, and
// the set is a function of the applied events, so every workstation
// decides alike whatever order they came in. Confirmations are judged at
// read time (edgeLocked), so no event is judged again.

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// entryWay is how a member last came into a role holding a scope.
type entryWay int

const (
	// enteredAtAdmission: never moved into it (admitted in such a role,
	// or never in one): a confirmation naming any event of her entry.
	enteredAtAdmission entryWay = iota
	// enteredByChange: by change entry.change of her history.
	enteredByChange
	// enteredDisputed: her history forks; no confirmation counts.
	enteredDisputed
)

// entry is how a member last came into a role holding a scope, by her
// history (a role written outside it is the replica's to find: it knows
// which events wrote it, entryEventsLocked).
type entry struct {
	way    entryWay
	change int // enteredByChange: the change's number, from 1
}

// entered reads from the member's history how she last came into a role
// holding scope (entered.go's file comment). A revoked member's history
// is read as far as her revocation read it; the rest is a fork.
func (m Member) entered(scope roles.Scope) entry {
	if m.fork.roles != nil || m.fork.latest != 0 {
		return entry{way: enteredDisputed}
	}
	e := entry{way: enteredAtAdmission}
	for i, c := range m.Changes {
		if c.To.Holds(scope) && !c.From.Holds(scope) {
			e = entry{way: enteredByChange, change: i + 1}
		}
	}
	return e
}

// note records what event hash, header h and fields f, an applied event
// of the member's entry, says for entered.go: which change numbers it
// wrote, whether it wrote the entry's role (the highest by Lamport,
// device) and whether it is the admission the entry keeps its admission
// role from (the lowest admission-shaped event: fold).
func (a *admission) note(hash string, h crypto.Header, f Fields) {
	at := Cell{L: h.Lamport, D: h.Device}
	for name := range f {
		if n, ok := changeNumber(name); ok && n > 0 {
			if a.changes == nil {
				a.changes = map[int]map[string]bool{}
			}
			if a.changes[n] == nil {
				a.changes[n] = map[string]bool{}
			}
			a.changes[n][hash] = true
		}
	}
	if admissionShaped(f) {
		noteAt(&a.admitted, hash, at, f["role"], true)
	}
	if role, ok := f["role"]; ok {
		noteAt(&a.role, hash, at, role, false)
	}
}

// writers is the set of events that wrote one cell of an entry: those at
// the lowest or highest place (Lamport, device) of any that wrote it, and
// whether they all wrote one value (two events at one place that wrote
// different values leave the cell to the order they were merged in).
type writers struct {
	at     Cell
	events map[string]bool
	value  string
	mixed  bool
}

// noteAt adds event hash, at place at, writing v, to w when it is at w's
// place, or starts w anew from it when it is below w's (lowest) or above
// it (else).
func noteAt(w *writers, hash string, at Cell, v json.RawMessage, lowest bool) {
	past := at.newer(w.at)
	if lowest {
		past = w.at.newer(at)
	}
	switch {
	case w.events == nil || past:
		*w = writers{at: at, events: map[string]bool{hash: true}, value: string(v)}
	case at.L == w.at.L && at.D == w.at.D:
		w.events[hash] = true
		w.mixed = w.mixed || string(v) != w.value
	}
}

// changeWriters returns the events that wrote change n (from 1) of the
// member's history m: role_change/n's writers, or, for a history read from
// session 12's list (which the event that wrote it wrote with the role,
// no role_change field), the events that wrote her role. Read before
// judgeDirectory has read the entry again (a change just merged), a
// recorded change has none: nothing counts meanwhile.
func (a admission) changeWriters(m Member, n int, role map[string]bool) map[string]bool {
	if m.Changes[n-1].legacy() {
		return role
	}
	return a.changes[n]
}

// entryEventsLocked returns what a confirmation of member fp must name to
// count for scope (under state; entered.go's file comment): any event of
// her entry (anyEvent), or one of events; neither (events nil, anyEvent
// false) when none counts.
func (r *Replica) entryEventsLocked(scope roles.Scope, fp string) (events map[string]bool, anyEvent bool) {
	m, a := r.members[fp], r.admissions[fp]
	e := m.entered(scope)
	if e.way == enteredDisputed {
		return nil, false
	}
	// The events that wrote the role her entry names, as this
	// workstation read them; none when they disagree, or were read from
	// other events than her entry's state was folded from (judgeDirectory
	// has not read the entry again yet).
	var role map[string]bool
	if !a.role.mixed && a.role.at.L == m.RoleWritten && a.role.at.D == m.roleD {
		role = a.role.events
	}
	if len(m.Changes) == 0 && m.Role.Holds(scope) && m.RoleWritten != 0 && !a.recorded(m, role) {
		// Her role was written by an event that is neither her
		// admission nor one of her recorded changes: outside the
		// history, perhaps out of the scope and back (session 13 second
		// review, B1 and B4). Only with no change: with one, her role is
		// the last change's and a role written alone takes no effect, so
		// the event at the top of the role cell (by clock) says nothing
		// of when she last came in, and would outlive every later move
		// into the scope (session 16 review h-sec16b, B).
		return role, false
	}
	if e.way == enteredByChange {
		return a.changeWriters(m, e.change, role), false
	}
	// Admitted in the scope: an event of her admission (the first
	// event of her entry of its shape: admission.note) or of one of her
	// recorded changes, not any event of her entry: one of neither
	// kind (a name alone, or a role without a status, so no admission)
	// may have been written before the admission, while she held no
	// role or another one (session 16 review h-sec16b, A).
	out := maps.Clone(a.admitted.events)
	for k := 1; k <= len(m.Changes); k++ {
		maps.Copy(out, a.changeWriters(m, k, role))
	}
	return out, true
}

// recorded reports whether the events role, which wrote the role m's
// entry names, are all her admission or wrote one of her changes (a
// history read from session 12's list: the events that wrote it).
// Nothing (role read from other events than the state: see above) is
// not.
func (a admission) recorded(m Member, role map[string]bool) bool {
	for h := range role {
		in := a.admitted.events[h]
		for k := 1; k <= len(m.Changes) && !in; k++ {
			in = a.changeWriters(m, k, role)[h]
		}
		if !in {
			return false
		}
	}
	return len(role) > 0
}

// namesEntryLocked reports whether by's field name, naming fp and the
// event adm of her entry ("" in the older bare form), counts for the way
// fp last came into a role holding scope (under state).
func (r *Replica) namesEntryLocked(scope roles.Scope, by, name, fp, adm string) bool {
	events, admitted := r.entryEventsLocked(scope, fp)
	if admitted && adm == "" {
		return r.forAdmissionLocked(by, name, fp, adm)
	}
	return adm != "" && events[adm]
}

// entryEventLocked returns the event a confirmation of fp written now
// names to count for scope (under state): her admission's when any event
// counts, else the first by hash of the events it must name; ok is false
// when none counts.
func (r *Replica) entryEventLocked(scope roles.Scope, fp string) (string, bool) {
	events, _ := r.entryEventsLocked(scope, fp)
	if len(events) == 0 {
		return "", false
	}
	var hashes []string
	for h := range events {
		hashes = append(hashes, h)
	}
	return slices.Min(hashes), true
}

// String says how she came in, for logs and test reports.
func (e entry) String() string {
	switch e.way {
	case enteredByChange:
		return "by change " + strconv.Itoa(e.change)
	case enteredDisputed:
		return "disputed"
	}
	return "at admission"
}
