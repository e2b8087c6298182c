package replica

// Session 29 (h-seca29): the attacks session 28 left "reached only from a
// quiet or newly named chain" (h-secb28: the chain rule refuses them from
// a busy one), rebuilt from a workstation of the administrator that her
// entry names late and whose chain starts at the clock she likes
// (quietChain), with every chain of hers still named, as honest software
// leaves them.

import (
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS29aMoveBackFromAQuietChain: session 13's low-clock move back
// (TestAttackS13bLowClockMoveBackKeepsOldConfirmations) from a quiet
// chain, which the chain rule does not bound: Pia, made an administrator,
// moved back to physician by a change 2 at clock 1. Paul's confirmation of
// her from before her move out must not count: he grants her nothing
// until he confirms her again.
func TestAttackS29aMoveBackFromAQuietChain(t *testing.T) {
	c := newClinic(t)
	honestChange(t, c.sAdmin, c.phys2, 1, roles.Administrator)
	exchange(t, c.stations()...)
	if c.sPhys.r.MayGrant(roles.Clinical, c.phys2.fp()) {
		t.Fatal("setup: Paul still grants Pia the clinical key as an administrator")
	}
	q := quietChain(t, c.sAdmin, c.id, c.stations()...)
	back := q.forge(forged{Entity: c.phys2.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 2,
		Fields: fields(t, map[string]any{RoleChangeField(2): RoleChange{From: roles.Administrator, To: roles.Physician,
			Heads: memberHeads(t, c.sAdmin, c.phys2)}})})
	for _, s := range c.stations() {
		s.apply(q.own()...)
	}
	exchange(t, c.stations()...)
	if st, why := c.sPhys.stateOf(back); st != store.Applied {
		t.Fatalf("setup: the move back from the quiet chain is %v (%s); want applied (the chain rule does not bound it)", st, why)
	}
	m, _ := c.sPhys.r.Member(c.phys2.fp())
	t.Logf("Pia on Paul's workstation: %s, %d change(s), entered the clinical scope %v, disputed %v", m.Role, len(m.Changes), m.entered(roles.Clinical), m.HistoryDisputed())
	for _, s := range []*station{c.sPhys, c.sRecep, c.sPh2} {
		if s.r.Confirms(roles.Clinical, c.phys.fp(), c.phys2.fp()) {
			t.Errorf("on %s's workstation Paul's confirmation of Pia, written before her move out, counts after a move back at clock 1", s.p.name)
		}
	}
	if c.sPhys.r.MayGrant(roles.Clinical, c.phys2.fp()) {
		t.Error("Paul grants Pia the clinical key again: made a physician again at clock 1 from a quiet chain, nobody confirmed her since")
	}
}

// TestAttackS29aChangesBelowTheRevocationFromAQuietChain: session 13's
// changes written below the revocation's clock
// (TestAttackS13bChangeBelowTheRevocationClock) from a quiet chain: the
// revoked Paul moved out of the physicians and back "before" his
// revocation. He stays revoked, the physician the revocation read, and the
// changes show as a disputed history on every workstation, as the same
// changes written from her busy chain at her clock do (the control). A
// disputed history holds his vouching (a denial, shown: Known limits), so
// whether Pia and Tom, whom he alone connected, still count each other is
// the control's answer, not more.
func TestAttackS29aChangesBelowTheRevocationFromAQuietChain(t *testing.T) {
	var control [2]bool
	for _, tc := range []struct {
		name  string
		quiet bool
	}{
		{name: "control: from her busy chain, at her clock"},
		{name: "from a quiet chain, below the revocation's clock", quiet: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, tom, sTom, all := clinicAroundPaul(t)
			rev := c.revoke(c.phys)
			exchange(t, all...)
			if !c.sPh2.r.MayGrant(roles.Clinical, tom.fp()) {
				t.Fatal("setup: Paul's leaving split the clinic")
			}
			w, lamport := c.sAdmin, uint64(0)
			if tc.quiet {
				w, lamport = quietChain(t, c.sAdmin, c.id, all...), rev.Header.Lamport-1
			}
			changes := w.forge(forged{Entity: c.phys.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: lamport,
				Fields: fields(t, map[string]any{
					RoleChangeField(1): RoleChange{From: roles.Physician, To: roles.Administrator, Heads: map[string]uint64{}},
					RoleChangeField(2): RoleChange{From: roles.Administrator, To: roles.Physician,
						Heads: map[string]uint64{c.sPhys.r.Device(): 1 << 40}}})})
			for _, s := range all {
				s.apply(w.own()...)
			}
			exchange(t, all...)
			if st, why := c.sPh2.stateOf(changes); st != store.Applied {
				t.Fatalf("setup: the changes are %v (%s); want applied (the chain rule does not bound a quiet chain)", st, why)
			}
			for _, s := range append(all, reversedObserver(t, c)) {
				if s == w {
					continue // forge stores her events, not what they write
				}
				m, _ := s.r.Member(c.phys.fp())
				if !m.Revoked() || m.Active() {
					t.Errorf("on %s's workstation the revoked Paul reads %s (active %v)", s.p.name, m.Status, m.Active())
				}
				if m.Role != roles.Physician || len(m.Changes) != 0 {
					t.Errorf("on %s's workstation the revoked Paul reads %s with %d changes, want the physician the revocation read, none", s.p.name, m.Role, len(m.Changes))
				}
				if !m.HistoryDisputed() {
					t.Errorf("on %s's workstation changes written into the revoked Paul's entry do not show as a disputed history", s.p.name)
				}
			}
			got := [2]bool{c.sPh2.r.Confirmed(roles.Clinical, tom.fp()), sTom.r.Confirmed(roles.Clinical, c.phys2.fp())}
			t.Logf("Pia counts Tom %v, Tom counts Pia %v", got[0], got[1])
			if !tc.quiet {
				control = got
			} else if got != control {
				t.Errorf("Pia and Tom count each other %v from a quiet chain, %v from her busy one", got, control)
			}
		})
	}
}

// TestAttackS29aRoleOutsideTheHistoryFromAQuietChain: session 16's role
// written outside the history (TestAttackS16bRoleOutsideTheHistoryOutlivesAMoveBack)
// with the move to the desk and back written from a quiet chain below it.
// Paul's confirmation of Rex, written while Rex was a physician before the
// moves, names the event that wrote the role alone; it must not count
// after the move back.
func TestAttackS29aRoleOutsideTheHistoryFromAQuietChain(t *testing.T) {
	ctx := t.Context()
	c, rex, sRex, all, _ := clinicWithRex(t, roles.Physician)
	top := c.sAdmin.r.lamport + 1000
	c.sAdmin.forge(forged{Entity: rex.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: top,
		Fields: Fields{"role": mustJSON(roles.Physician)}})
	exchange(t, all...)
	if err := c.sPhys.r.Confirm(ctx, rex.fp()); err != nil {
		t.Fatal(err)
	}
	exchange(t, all...)
	if !c.sPh2.r.Confirms(roles.Clinical, c.phys.fp(), rex.fp()) {
		t.Fatal("setup: Paul's confirmation of Rex, a physician, does not count")
	}
	q := quietChain(t, c.sAdmin, c.id, all...)
	from := roles.Physician
	for i, to := range []roles.Role{roles.Receptionist, roles.Physician} {
		change := q.forge(forged{Entity: rex.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: top - 100 + uint64(i),
			Fields: Fields{"role": mustJSON(to), RoleChangeField(i + 1): mustJSON(RoleChange{From: from, To: to,
				Heads: memberHeads(t, c.sAdmin, rex)})}})
		from = to
		for _, s := range all {
			s.apply(q.own()...)
		}
		exchange(t, all...)
		if st, why := c.sPh2.stateOf(change); st != store.Applied {
			t.Fatalf("setup: change %d from the quiet chain is %v (%s); want applied", i+1, st, why)
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
}

// TestAttackS29aFirstDeviceListDropsHerRevocation: Attack (MEDIUM for
// entries of before issue 13: a revoked member active again, silently, on
// every workstation; an administrator's modified software): what session
// 28 read as a revocation undone from a quiet chain. An entry written
// before devices were named (issue 13; the harness writes every entry so)
// names none, so every chain its member signed first is hers. The first
// list an administrator wrote into it named her devices only: every event
// of her other chains was dropped on every workstation ("whose directory
// entry does not name device X: not kept"), her revocations with them.
//   - Ada's own entry: her software names a new workstation alone and
//     writes Paul's admission again from it; Paul, whom she revoked, read
//     an active receptionist, no dispute shown;
//   - Rita's entry (the receptionist, who wrote registrations): Ada names
//     a device of no use to Rita; every patient Rita registered vanished.
//
// Honest software never writes a list into an existing entry (app: the
// founding and Admit only). Now an entry one of whose admissions named no
// devices keeps every chain its member signed first (devicesOpenField):
// the list adds devices, never takes one away. Failed before the rule
// (both cases; the first skipped in 07dd1ed as open).
func TestAttackS29aFirstDeviceListDropsHerRevocation(t *testing.T) {
	for _, tc := range []struct {
		name string
		own  bool
	}{
		{name: "Ada names a new workstation alone in her own entry", own: true},
		{name: "Ada names a device alone in Rita's entry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _, all := clinicAroundPaul(t)
			patient := registered(t, c.sRecep, "Abbott", "MH0000001")
			exchange(t, all...)
			rev := revokeOn(t, c.sAdmin, c.phys)
			exchange(t, all...)
			q := join(t, c.admin, c.id)
			q.holdKeys(c.sAdmin, roles.Directory)
			whose := c.recep
			if tc.own {
				whose = c.admin
			}
			list := c.sAdmin.append(Change{Entity: whose.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"devices": []string{q.r.p.Device}})})
			if tc.own {
				q.forge(forged{Entity: c.phys.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 1,
					Fields: fields(t, map[string]any{"role": roles.Receptionist, "status": StatusActive})})
			}
			for _, s := range all {
				s.apply(c.sAdmin.own()...)
				s.apply(q.own()...)
			}
			exchange(t, all...)
			for _, s := range append(all, reversedObserver(t, c)) {
				if st, why := s.stateOf(list); st != store.Applied {
					t.Fatalf("setup: on %s's workstation the list is %v (%s)", s.p.name, st, why)
				}
				if st, why := s.stateOf(rev); st != store.Applied {
					t.Errorf("on %s's workstation Ada's revocation of Paul is %v (%s); want applied", s.p.name, st, why)
				}
				if st, why := s.stateOf(patient); st != store.Applied && st != store.Sealed { // sealed: no front-desk key
					t.Errorf("on %s's workstation Rita's registration is %v (%s); want kept", s.p.name, st, why)
				}
				if m, _ := s.r.Member(c.phys.fp()); m.Active() {
					t.Errorf("on %s's workstation the revoked Paul is active again (%s, disputed %v)", s.p.name, m.Role, m.HistoryDisputed())
				}
			}
		})
	}
}

// TestUpgradeS29aDroppedChainKeptAgain: a workstation of a version before
// session 29 dropped Rita's chain when Ada's first device list for her
// entry named another device alone (her registration with it). Opened by
// this version (fields revision 32: every entry folded again), the chain,
// when it comes again, is kept. Without the fold (the store marked as
// judged by this revision) it is dropped again.
func TestUpgradeS29aDroppedChainKeptAgain(t *testing.T) {
	for _, mended := range []bool{false, true} {
		t.Run(map[bool]string{false: "control: not folded again", true: "folded again at the upgrade"}[mended], func(t *testing.T) {
			ctx := t.Context()
			c := newClinic(t)
			patient := registered(t, c.sRecep, "Abbott", "MH0000001")
			exchange(t, c.stations()...)
			devicesOpenRule = false // the entries folded as the older version did
			t.Cleanup(func() { devicesOpenRule = true })
			s := c.observer(t)
			c.sAdmin.append(Change{Entity: c.recep.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"devices": []string{crypto.NewEventID()}})})
			s.apply(c.sAdmin.own()...)
			if st, _ := s.stateOf(patient); st == store.Applied {
				t.Fatal("setup: the older version kept Rita's registration")
			}
			devicesOpenRule = true
			if mended {
				if err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteMeta(ctx, metaFieldsRule) }); err != nil {
					t.Fatal(err)
				}
			}
			openAgain(t, s)
			s.apply(c.sRecep.own()...) // asked for again, as the walk does
			st, why := s.stateOf(patient)
			if mended && st != store.Applied {
				t.Errorf("after the upgrade Rita's registration is %v (%s); want applied", st, why)
			}
			if !mended && st == store.Applied {
				t.Error("control: Rita's registration kept without the entries folded again (the test reads nothing)")
			}
		})
	}
}
