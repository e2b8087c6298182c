package replica

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/medihaven/medihaven/roles"
)

// TestConfirmationNamesTheMoveIntoTheScope (session 15 review, V3): a
// colleague's "member/" of a member moved into the physicians counts for
// the clinical key only if it names an event that wrote the change that
// moved him there, the last one into the scope; any event of his entry
// still counts for the front desk, which he never left. Paul's software
// writes the field at the step given (modified software where it names
// what his own would not); every workstation, and one that took every
// event in the reverse order, reads it alike.
func TestConfirmationNamesTheMoveIntoTheScope(t *testing.T) {
	const admission, change1, change2 = 0, 1, 2 // the event named: the entry's first, or the change's
	for _, tc := range []struct {
		name     string
		admitted roles.Role
		moves    []roles.Role // the changes written in turn, each as ChangeRole writes it
		at       int          // Paul confirms after this many of them
		names    int          // the event his field names
		want     bool         // it counts for the clinical key
	}{
		{name: "desk to physician, confirmed naming the move", admitted: roles.Receptionist,
			moves: []roles.Role{roles.Physician}, at: 1, names: change1, want: true},
		{name: "desk to physician, the admission named at the desk", admitted: roles.Receptionist,
			moves: []roles.Role{roles.Physician}, at: 0, names: admission},
		{name: "desk to physician, the admission named after the move (the previous version's field: not carried over)",
			admitted: roles.Receptionist, moves: []roles.Role{roles.Physician}, at: 1, names: admission},
		{name: "physician to the desk and back, the admission named before", admitted: roles.Physician,
			moves: []roles.Role{roles.Receptionist, roles.Physician}, at: 0, names: admission},
		{name: "physician to the desk and back, change 1 named at the desk", admitted: roles.Physician,
			moves: []roles.Role{roles.Receptionist, roles.Physician}, at: 1, names: change1},
		{name: "physician to the desk and back, change 1 named after the move back", admitted: roles.Physician,
			moves: []roles.Role{roles.Receptionist, roles.Physician}, at: 2, names: change1},
		{name: "physician to the desk and back, the admission named after the move back", admitted: roles.Physician,
			moves: []roles.Role{roles.Receptionist, roles.Physician}, at: 2, names: admission},
		{name: "physician to the desk and back, change 2 named", admitted: roles.Physician,
			moves: []roles.Role{roles.Receptionist, roles.Physician}, at: 2, names: change2, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, rex, _, all, adm := clinicWithRex(t, tc.admitted)
			events := []string{adm}
			confirm := func() {
				c.sPhys.forge(forged{Entity: ConfirmsEntity(c.phys.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
					Fields: Fields{confirmsFieldPrefix + rex.fp() + "/" + events[tc.names]: mustJSON(true)}})
				exchange(t, all...)
			}
			for i, to := range tc.moves {
				if i == tc.at {
					confirm()
				}
				m, _ := c.sAdmin.r.Member(rex.fp())
				env := writeChange(t, c.sAdmin, rex, i+1, RoleChange{From: m.Role, To: to, Heads: memberHeads(t, c.sAdmin, rex)}, true)
				events = append(events, env.Hash())
				exchange(t, all...)
			}
			if tc.at == len(tc.moves) {
				confirm()
			}
			late := reversedObserver(t, c)
			for _, s := range append(all, late) {
				if s == c.sPhys {
					continue // forge stores Paul's event, not what it writes
				}
				m, _ := s.r.Member(rex.fp())
				if m.Role != roles.Physician || m.HistoryDisputed() {
					t.Fatalf("setup: on %s's workstation Rex is %s, disputed %v", s.p.name, m.Role, m.HistoryDisputed())
				}
				if got := s.r.Confirms(roles.Clinical, c.phys.fp(), rex.fp()); got != tc.want {
					t.Errorf("on %s's workstation Paul's confirmation counts for the clinical key: %v, want %v (Rex entered it %v)",
						s.p.name, got, tc.want, m.entered(roles.Clinical))
				}
				if !s.r.Confirms(roles.FrontDesk, c.phys.fp(), rex.fp()) {
					t.Errorf("on %s's workstation Paul's confirmation does not count for the front desk, which Rex never left", s.p.name)
				}
			}
		})
	}
}

// TestConfirmNamesTheMove: what this version's Confirm writes for a
// colleague moved into the physicians names the change that moved him, so
// it counts; a confirmation an earlier version wrote after the move, which
// named his admission and counted by the clock, counts no more (it is not
// carried over: entered.go), the staff screen shows him unconfirmed, and
// Confirm writes again rather than taking it for done. Confirming twice
// writes nothing.
func TestConfirmNamesTheMove(t *testing.T) {
	for _, older := range []bool{false, true} {
		name := map[bool]string{false: "confirmed after the move", true: "confirmed by an earlier version after the move"}[older]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c, rex, sRex, all, adm := clinicWithRex(t, roles.Receptionist)
			m, _ := c.sAdmin.r.Member(rex.fp())
			move := writeChange(t, c.sAdmin, rex, 1, RoleChange{From: m.Role, To: roles.Physician, Heads: memberHeads(t, c.sAdmin, rex)}, true)
			exchange(t, all...)
			if older {
				// What the previous version's Confirm wrote.
				if err := c.sPhys.r.appendConfirms(ctx, []string{confirmsFieldPrefix + rex.fp() + "/" + adm}, "confirm"); err != nil {
					t.Fatal(err)
				}
				exchange(t, all...)
				if c.sPhys.r.Confirms(roles.Clinical, c.phys.fp(), rex.fp()) {
					t.Error("a confirmation naming Rex's admission counts for the clinical key after his move")
				}
				if !slices.Contains(c.sPhys.r.Unconfirmed(roles.Clinical), rex.fp()) {
					t.Error("Paul's staff screen does not show Rex unconfirmed")
				}
			}
			if err := c.sPhys.r.Confirm(ctx, rex.fp()); err != nil {
				t.Fatal(err)
			}
			c.sPhys.r.state.RLock()
			wrote := slices.Sorted(maps.Keys(c.sPhys.r.confirms[c.phys.fp()].set))
			c.sPhys.r.state.RUnlock()
			if want := confirmsFieldPrefix + rex.fp() + "/" + move.Hash(); !slices.Contains(wrote, want) ||
				slices.Contains(wrote, confirmsFieldPrefix+rex.fp()+"/"+adm) != older {
				t.Errorf("Paul's record %v: want the change that moved Rex named, once", wrote)
			}
			if err := sRex.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			for _, s := range all {
				if !s.r.Confirms(roles.Clinical, c.phys.fp(), rex.fp()) {
					t.Errorf("on %s's workstation Paul's confirmation of Rex does not count for the clinical key", s.p.name)
				}
			}
			if !c.sPhys.r.MayGrant(roles.Clinical, rex.fp()) {
				t.Error("Paul does not grant Rex the clinical key")
			}
			head := c.sPhys.r.mySeq
			if err := c.sPhys.r.Confirm(ctx, rex.fp()); err != nil {
				t.Fatal(err)
			}
			if c.sPhys.r.mySeq != head {
				t.Error("confirming Rex twice wrote again")
			}
		})
	}
}

// TestConfirmationOfARoleOutsideTheHistory: the other ways into the
// physicians (entered.go). A role written without a change (an older
// version's change, or software that leaves it out), or with session 12's
// list of former roles, counts only for a confirmation naming the event
// that wrote it; where administrators wrote
// two different changes 1 (a fork), no confirmation counts for the
// clinical key, whichever event it names (a denial, shown as disputed).
// Each check also on a workstation that took the events in reverse order.
func TestConfirmationOfARoleOutsideTheHistory(t *testing.T) {
	const admission, write1, write2 = 0, 1, 2 // the event named: the entry's first, or the writes'
	roleOnly := Fields{"role": mustJSON(roles.Physician)}
	change := func(to roles.Role) func(c *clinic, rex *person) Fields {
		return func(c *clinic, rex *person) Fields {
			return Fields{"role": mustJSON(to), RoleChangeField(1): mustJSON(RoleChange{From: roles.Receptionist, To: to,
				Heads: memberHeads(t, c.sAdmin, rex)})}
		}
	}
	legacy := func(c *clinic, rex *person) Fields { // session 12's list, written with the role
		return Fields{"role": mustJSON(roles.Physician), FieldRoleHeads: mustJSON([]RoleHeld{{Role: roles.Receptionist,
			Heads: memberHeads(t, c.sAdmin, rex)}})}
	}
	for _, tc := range []struct {
		name     string
		writes   []func(c *clinic, rex *person) Fields // written by Ada in turn, each at her clock
		names    int
		want     bool
		disputed bool
		entered  string // by her history (m.entered)
	}{
		{name: "a role written alone, the admission named after it",
			writes: []func(*clinic, *person) Fields{func(*clinic, *person) Fields { return roleOnly }}, names: admission,
			entered: "at admission"},
		{name: "a role written alone, its event named",
			writes: []func(*clinic, *person) Fields{func(*clinic, *person) Fields { return roleOnly }}, names: write1, want: true,
			entered: "at admission"},
		{name: "session 12's list of former roles, the admission named after it",
			writes: []func(*clinic, *person) Fields{legacy}, names: admission, entered: "by change 1"},
		{name: "session 12's list of former roles, its event named",
			writes: []func(*clinic, *person) Fields{legacy}, names: write1, want: true, entered: "by change 1"},
		{name: "two changes 1, to the physicians and the administrators, the first named",
			writes: []func(*clinic, *person) Fields{change(roles.Administrator), change(roles.Physician)}, names: write1, disputed: true, entered: "disputed"},
		{name: "two changes 1, the one to the physicians named",
			writes: []func(*clinic, *person) Fields{change(roles.Administrator), change(roles.Physician)}, names: write2, disputed: true, entered: "disputed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, rex, _, all, adm := clinicWithRex(t, roles.Receptionist)
			events := []string{adm}
			for _, write := range tc.writes {
				env := c.sAdmin.forge(forged{Entity: rex.fp(), Kind: KindMember, Scope: string(roles.Directory), Fields: write(c, rex)})
				events = append(events, env.Hash())
			}
			exchange(t, all...)
			c.sPhys.forge(forged{Entity: ConfirmsEntity(c.phys.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{confirmsFieldPrefix + rex.fp() + "/" + events[tc.names]: mustJSON(true)}})
			exchange(t, all...)
			for _, s := range append(all, reversedObserver(t, c)) {
				if s == c.sPhys || s == c.sAdmin {
					continue // forge stores their events, not what they write
				}
				m, _ := s.r.Member(rex.fp())
				if m.Role != roles.Physician || m.HistoryDisputed() != tc.disputed || m.entered(roles.Clinical).String() != tc.entered {
					t.Fatalf("setup: on %s's workstation Rex is %s, disputed %v, entered the clinical scope %v",
						s.p.name, m.Role, m.HistoryDisputed(), m.entered(roles.Clinical))
				}
				if got := s.r.Confirms(roles.Clinical, c.phys.fp(), rex.fp()); got != tc.want {
					t.Errorf("on %s's workstation Paul's confirmation counts for the clinical key: %v, want %v (Rex entered it %v)",
						s.p.name, got, tc.want, m.entered(roles.Clinical))
				}
			}
		})
	}
}

// clinicWithRex is a clinic with Rex admitted in role and every
// workstation synced, and the hash of his entry's first event as Paul's
// workstation reads it (what a confirmation of his admission names).
func clinicWithRex(t *testing.T, role roles.Role) (c *clinic, rex *person, sRex *station, all []*station, adm string) {
	t.Helper()
	c = newClinic(t)
	rex, sRex = c.admitted(t, "Rex Moved", role)
	all = append(c.stations(), sRex)
	exchange(t, all...)
	c.sPhys.r.state.RLock()
	defer c.sPhys.r.state.RUnlock()
	return c, rex, sRex, all, c.sPhys.r.admissions[rex.fp()].hash
}

// reversedObserver is a workstation that came later and took every event
// of the clinic in the reverse order of its founder's.
func reversedObserver(t *testing.T, c *clinic) *station {
	t.Helper()
	s := open(t, newPerson(t, "Otto Observer", roles.Physician), c.id)
	s.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
	evs := slices.Clone(c.sPhys.everything())
	slices.Reverse(evs)
	for range 4 {
		s.apply(evs...)
	}
	return s
}
