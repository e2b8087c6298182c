package replica

// Session 16 hostile review of the V3 fix (h-sec16b, /work/notes/sec-s16b.md):
// confirmations bound to the event of the move into a scope (entered.go).
// Each proof fails on main at da1f1c1.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// TestAttackS16bEntryEventBeforeTheAdmissionCounts: "admitted in a role
// holding the scope and never moved out of it: any event of her entry"
// (entered.go). The admission the replica reads is the lowest
// admission-shaped event (a role written with a status, no change, no
// session 12 list: rolecells.go admissionShaped), not the entry's first
// role. Ada writes Rex's entry first without that shape (a role and no
// status, which reads active; a role with session 12's empty list; or a
// name alone), so Rex works at the front desk, or is nobody, with no
// admission the replica knows of. Pia, a physician about to leave, writes
// "member/" of Rex naming that event (E3's "harmless" desk-era field, the
// V3 scene), and leaves. Ada then writes {role: physician, status: active}:
// an admission, the first and only one, so Rex "was admitted a physician
// and never moved", every event of his entry counts, Pia's among them,
// and Paul grants him the clinical key. Nothing shows: no change, no
// dispute, no rewrite. Control: a first entry of the admission's shape
// makes the physician write a role outside the history (must be named).
func TestAttackS16bEntryEventBeforeTheAdmissionCounts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first map[string]any // Rex's first entry event, besides his name
	}{
		{name: "control: admitted at the desk in the admission's shape",
			first: map[string]any{"role": roles.Receptionist, "status": StatusActive}},
		{name: "at the desk without a status", first: map[string]any{"role": roles.Receptionist}},
		{name: "at the desk with session 12's empty list",
			first: map[string]any{"role": roles.Receptionist, "status": StatusActive, FieldRoleHeads: []RoleHeld{}}},
		{name: "a name alone", first: map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			rex := newPerson(t, "Rex Desk", roles.Receptionist)
			sRex := join(t, rex, c.id, c.admin.fp())
			c.sAdmin.apply(sRex.own()...)
			kv := map[string]any{"name": rex.name}
			for k, v := range tc.first {
				kv[k] = v
			}
			c.sAdmin.append(Change{Entity: rex.fp(), Kind: KindMember, Scope: roles.Directory, Fields: fields(t, kv)})
			c.sAdmin.grant(roles.Directory, rex)
			all := append(c.stations(), sRex)
			exchange(t, all...)
			if m, ok := c.sPhys.r.Member(rex.fp()); !ok || m.Role.Holds(roles.Clinical) {
				t.Fatalf("setup: Rex on Paul's workstation: %v %s", ok, m.Role)
			}
			conf := c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{c.sPh2.confirmation(confirmsFieldPrefix, rex): mustJSON(true)}})
			exchange(t, all...)
			c.revokeAsTheAppDoes(t, c.phys2) // Pia leaves
			exchange(t, all...)
			c.sAdmin.append(Change{Entity: rex.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"role": roles.Physician, "status": StatusActive})})
			exchange(t, all...)
			if err := sRex.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Logf("Rex confirms Paul: %v", err) // the control: his role there is disputed (G3)
			}
			exchange(t, all...)
			m, _ := c.sPhys.r.Member(rex.fp())
			st, _ := c.sPhys.state(conf.Header.ID)
			t.Logf("Rex on Paul's workstation: %s %s, admitted %v, entered the clinical scope %v, disputed %v, rewritten %v; Pia's field %v",
				m.Status, m.Role, m.admitted, m.entered(roles.Clinical), m.HistoryDisputed(), m.RoleRewritten(), st)
			if m.Role != roles.Physician || !m.Active() {
				t.Fatalf("setup: Rex is %s %s", m.Status, m.Role)
			}
			if c.sPhys.r.Confirms(roles.Clinical, c.phys2.fp(), rex.fp()) {
				t.Error("Pia's \"member/\" of Rex, written before he was a physician, counts for the clinical key")
			}
			if c.sPhys.r.MayGrant(roles.Clinical, rex.fp()) {
				t.Error("Paul grants Rex the clinical key on a departed physician's confirmation of him before his admission as a physician")
			}
		})
	}
}

// TestAttackS16bRoleOutsideTheHistoryOutlivesAMoveBack: where the role
// her entry names was written by an event outside her recorded history,
// a confirmation must name that event (entryEventsLocked), and this check
// comes before the one for the change that moved her into the scope. With
// recorded changes the role cell does not set her role (memberFromState:
// the last change's), so the event at its top can stay there, by clock,
// across later changes. Ada writes Rex's role again alone ("physician")
// with a high clock; Paul meets Rex, a physician, and confirms him as his
// software does (naming that event). Ada then moves Rex to the desk and
// back by two recorded changes written below that clock. S2 says Paul
// confirms Rex again before Rex gets the clinical key back; here Paul's
// old confirmation still names "the event that wrote the role", and Paul
// grants Rex the key. Administrator alone (Rex her stand-in); Paul honest.
// Control: the same moves with no role written outside the history.
func TestAttackS16bRoleOutsideTheHistoryOutlivesAMoveBack(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outside bool
		quiet   bool // the moves written from a quiet chain (session 29)
	}{
		{name: "control: moved out and back, no role written outside the history"},
		{name: "a role written alone with a high clock before Paul confirms", outside: true},
		{name: "the same, the moves written below it from a quiet chain", outside: true, quiet: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c, rex, sRex, all, _ := clinicWithRex(t, roles.Physician)
			var top uint64
			if tc.outside {
				top = c.sAdmin.r.lamport + 1000
				c.sAdmin.forge(forged{Entity: rex.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: top,
					Fields: Fields{"role": mustJSON(roles.Physician)}})
				exchange(t, all...)
			}
			if err := c.sPhys.r.Confirm(ctx, rex.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			if !c.sPh2.r.Confirms(roles.Clinical, c.phys.fp(), rex.fp()) {
				t.Fatal("setup: Paul's confirmation of Rex, a physician, does not count")
			}
			// Ada moves Rex to the desk and back, as ChangeRole does
			// (below the role written alone, when there is one).
			w := c.sAdmin
			if tc.quiet {
				w = quietChain(t, c.sAdmin, c.id, all...)
			}
			from := roles.Physician
			for i, to := range []roles.Role{roles.Receptionist, roles.Physician} {
				lamport := uint64(0)
				if tc.outside {
					lamport = top - 100 + uint64(i)
				}
				change := w.forge(forged{Entity: rex.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: lamport,
					Fields: Fields{"role": mustJSON(to), RoleChangeField(i + 1): mustJSON(RoleChange{From: from, To: to,
						Heads: memberHeads(t, c.sAdmin, rex)})}})
				from = to
				for _, s := range all {
					s.apply(w.own()...)
				}
				exchange(t, all...)
				if tc.outside && !tc.quiet {
					// Since session 28 a change below the role she wrote
					// alone in the same chain is refused by the chain
					// rule (Known limits: a chain whose last event is
					// below).
					wantRefused(t, change, clockRule, c.sPhys, c.sPh2)
					return
				}
				if m, _ := c.sPh2.r.Member(rex.fp()); m.Role != to {
					t.Fatalf("setup: after change %d Rex is %s on Pia's workstation", i+1, m.Role)
				}
			}
			if err := sRex.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			m, _ := c.sPhys.r.Member(rex.fp())
			t.Logf("Rex on Paul's workstation: %s %s, entered the clinical scope %v, disputed %v, rewritten %v",
				m.Status, m.Role, m.entered(roles.Clinical), m.HistoryDisputed(), m.RoleRewritten())
			for _, s := range append(all, reversedObserver(t, c)) {
				if s == c.sAdmin {
					continue // forge stores Ada's events, not what they write
				}
				if s.r.Confirms(roles.Clinical, c.phys.fp(), rex.fp()) {
					t.Errorf("on %s's workstation Paul's confirmation of Rex, written before his move to the desk and back, counts for the clinical key", s.p.name)
				}
			}
			if c.sPhys.r.MayGrant(roles.Clinical, rex.fp()) {
				t.Error("Paul grants Rex the clinical key back without confirming him again")
			}
		})
	}
}

// TestAttackS16bEventThatChangesNothingIsNotRead: entryClaims reads an
// entry's events again only when the entry is dirty, and an applied event
// marks it dirty only when it changes the entry's state (merge.go kept:
// m.changed). An event that changes nothing is then missing from the
// admission (its events, change writers, role writers) on a workstation
// that had the entry already, and present on one that took it with the
// rest (or reopened its store): their verdicts on a confirmation naming it
// differ by arrival order, until the entry changes again or they restart.
// Two such events, each by an administrator alone:
//   - change 1 written again by the same device at the same clock, as it
//     was (Ada's software, or a retry that re-signs): a confirmation naming
//     it (what a physician's Confirm names when its hash is the lower)
//     counts on a workstation that joins later, not on those there before;
//   - Rex's name written again with clock 1: on a workstation that joins
//     later it is Rex's first event, which Tom's Confirm names.
func TestAttackS16bEventThatChangesNothingIsNotRead(t *testing.T) {
	for _, tc := range []struct {
		name   string
		again  bool // change 1 written again as it was
		noName bool // Rex's name written again, clock 1
	}{
		{name: "control: no such event"},
		{name: "change 1 written again as it was", again: true},
		{name: "Rex's name written again with clock 1", noName: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			admitted := roles.Receptionist
			if tc.noName {
				admitted = roles.Physician // no change: Tom names Rex's first event
			}
			c, rex, _, all, _ := clinicWithRex(t, admitted)
			rc := RoleChange{From: roles.Receptionist, To: roles.Physician, Heads: memberHeads(t, c.sAdmin, rex)}
			var named *crypto.Envelope
			if !tc.noName {
				named = writeChange(t, c.sAdmin, rex, 1, rc, true)
				exchange(t, all...)
			}
			if tc.again {
				named = c.sAdmin.forge(forged{Entity: rex.fp(), Kind: KindMember, Scope: string(roles.Directory),
					Lamport: named.Header.Lamport, Fields: fields(t, map[string]any{RoleChangeField(1): rc, "role": rc.To})})
				exchange(t, all...)
			}
			if tc.noName {
				c.sAdmin.forge(forged{Entity: rex.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 1,
					Fields: Fields{"name": mustJSON(rex.name)}})
				exchange(t, all...)
			}
			tom, sTom := c.admitted(t, "Tom Later", roles.Physician)
			all = append(all, sTom)
			exchange(t, all...)
			by := tom.fp()
			if tc.noName {
				if err := sTom.r.Confirm(ctx, rex.fp()); err != nil {
					t.Fatal(err)
				}
			} else {
				by = c.phys2.fp()
				c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
					Fields: Fields{confirmsFieldPrefix + rex.fp() + "/" + named.Hash(): mustJSON(true)}})
			}
			exchange(t, all...)
			late := reversedObserver(t, c)
			want := late.r.Confirms(roles.Clinical, by, rex.fp())
			for _, s := range all {
				if s == c.sAdmin || s.p.fp() == by {
					continue // forge stores its events, not what they write
				}
				if got := s.r.Confirms(roles.Clinical, by, rex.fp()); got != want {
					t.Errorf("on %s's workstation the confirmation of Rex counts for the clinical key: %v; on a workstation that took every event at once: %v",
						s.p.name, got, want)
				}
			}
		})
	}
}
