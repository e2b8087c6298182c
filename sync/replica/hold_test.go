package replica

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestHolds: a revocation refused only because of its writer (his own
// revocation, or his role, refused it) holds its member when its writer
// was ever an administrator (hold.go): she is not active, her
// confirmations written past its heads are refused, everything else she
// wrote stands, and two workstations that got the events in opposite
// orders agree. A receptionist's revocation holds nobody.
func TestHolds(t *testing.T) {
	for _, tc := range []struct {
		name string
		by   string // who revokes Paul: "bob" (an administrator Ada revoked before), "rita" (a receptionist)
		held bool
	}{
		{name: "a revoked administrator's revocation holds", by: "bob", held: true},
		{name: "a receptionist's revocation holds nobody", by: "rita"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sBob := c.anotherAdmin(t, "Bob Admin")
			all := append(c.stations(), sBob)
			pat := c.sPhys.patient("Doe")
			exchange(t, all...)
			paulHeads := memberHeads(t, c.sAdmin, c.phys)
			revocation := Change{Entity: c.phys.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": paulHeads})}
			var by *station
			if tc.by == "bob" {
				c.revokeAsTheAppDoes(t, sBob.p) // Ada revokes Bob; he has not heard of it
				by = sBob
				by.append(revocation)
			} else {
				by = c.sRecep
				by.forge(forged{Entity: revocation.Entity, Kind: revocation.Kind, Scope: string(revocation.Scope), Fields: revocation.Fields})
			}
			// Paul, who has not heard of it either, confirms Bob's stand-in
			// for the front desk: past the heads the revocation names.
			late := c.sPhys.forge(forged{Entity: ConfirmsEntity(c.phys.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{c.sPhys.confirmation(deskFieldPrefix, sBob.p): mustJSON(true)}})
			// Rita gets the revocation first, Pia Ada's revocation of Bob
			// and Paul's confirmation first.
			c.sRecep.apply(by.own()...)
			c.sRecep.apply(c.sPhys.own()...)
			c.sRecep.apply(c.sAdmin.own()...)
			c.sPh2.apply(c.sAdmin.own()...)
			c.sPh2.apply(c.sPhys.own()...)
			c.sPh2.apply(by.own()...)
			exchange(t, all...)
			for _, s := range []*station{c.sRecep, c.sPh2, c.sAdmin} {
				m, _ := s.r.Member(c.phys.fp())
				st, why := s.state(pat.Header.ID)
				lateState, lateRule := s.ruleOf(late.Header.ID)
				t.Logf("%s's workstation: Paul %s, held by %d, active %v; his patient %v %s; his late confirmation %v %s",
					s.p.name, m.Status, len(m.HeldBy), m.Active(), st, why, lateState, lateRule)
				if m.Held() != tc.held || m.Active() == tc.held || m.Revoked() {
					t.Errorf("%s's workstation: Paul held %v, active %v, revoked %v; want held %v", s.p.name, m.Held(), m.Active(), m.Revoked(), tc.held)
				}
				if st != store.Applied && st != store.Sealed {
					t.Errorf("%s's workstation: Paul's patient %v (%s): a hold refuses none of his records", s.p.name, st, why)
				}
				if tc.held && (lateState != store.Rejected || lateRule != ruleHeld) {
					t.Errorf("%s's workstation: Paul's confirmation past the hold is %v %q, want refused by %q", s.p.name, lateState, lateRule, ruleHeld)
				}
				if !tc.held && lateState != store.Applied {
					t.Errorf("%s's workstation: Paul's confirmation is %v %q, want applied", s.p.name, lateState, lateRule)
				}
				if !s.r.Confirms(roles.Clinical, c.phys.fp(), c.phys2.fp()) {
					t.Errorf("%s's workstation: Paul's confirmation of Pia, written before, no longer counts", s.p.name)
				}
				if s == c.sPh2 && s.r.MayGrant(roles.Clinical, c.phys.fp()) == tc.held {
					t.Errorf("%s's workstation: may grant Paul the clinical key: %v", s.p.name, !tc.held)
				}
			}
			if tc.held { // (a forger's own store keeps what it forged)
				if diff := c.sRecep.snapshot().diff(c.sPh2.snapshot()); diff != "" {
					t.Errorf("Rita's and Pia's workstations differ: %s", diff)
				}
			}
			if !tc.held {
				return
			}
			// An administrator revokes him for good: revoked, not only held.
			c.revokeAsTheAppDoes(t, c.phys)
			exchange(t, all...)
			if m, _ := c.sPh2.r.Member(c.phys.fp()); !m.Revoked() || m.Active() {
				t.Errorf("Paul after Ada revokes him: %s, active %v", m.Status, m.Active())
			}
		})
	}
}

// TestNothingHoldsAnAdministrator: a revoked administrator's revocation of
// the administrator who revoked him, written once he knows, holds her
// not: else he would lock the clinic's administrators out. (Two
// administrators who revoke each other at once are the known limit C2.)
func TestNothingHoldsAnAdministrator(t *testing.T) {
	c := newClinic(t)
	sBob, _ := c.revokedAdminRevokes(t, c.admin)
	for _, s := range []*station{c.sRecep, c.sPh2, c.sAdmin} {
		b, _ := s.r.Member(sBob.p.fp())
		t.Logf("%s's workstation: Bob %s, active %v, held by %v", s.p.name, b.Status, b.Active(), b.HeldBy)
		if m, _ := s.r.Member(c.admin.fp()); !m.Active() || m.Held() {
			t.Errorf("%s's workstation: Ada %s, active %v, held by %v", s.p.name, m.Status, m.Active(), m.HeldBy)
		}
	}
}

// TestHeldConfirmationsStayRefusedWhateverHerRole: a held physician's
// confirmation past the hold stays refused when an administrator moves her
// to the administrators (where nothing holds her out) and then revokes
// her: else it would stand as a revoked member's confirmations do, and
// vouch for a stand-in admitted after she was held.
func TestHeldConfirmationsStayRefusedWhateverHerRole(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	_, all := c.revokedAdminRevokes(t, c.phys2)
	if m, _ := c.sPhys.r.Member(c.phys2.fp()); !m.Held() {
		t.Fatalf("setup: Pia on Paul's workstation is not held: %s, %v", m.Status, m.HeldBy)
	}
	sly, sSly := c.admitted(t, "Sly Standin", roles.Physician)
	all = append(all, sSly)
	exchange(t, all...)
	if err := sSly.r.Confirm(ctx, c.phys.fp()); err != nil {
		t.Fatal(err)
	}
	late := c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
		Fields: Fields{c.sPh2.confirmation(confirmsFieldPrefix, sly): mustJSON(true)}})
	exchange(t, all...)
	m, _ := c.sAdmin.r.Member(c.phys2.fp())
	writeChange(t, c.sAdmin, c.phys2, len(m.Changes)+1,
		RoleChange{From: roles.Physician, To: roles.Administrator, Heads: memberHeads(t, c.sAdmin, c.phys2)}, true)
	exchange(t, all...)
	if m, _ := c.sPhys.r.Member(c.phys2.fp()); m.Role != roles.Administrator || !m.Active() {
		t.Fatalf("setup: Pia moved to the administrators reads %s %s, active %v", m.Status, m.Role, m.Active())
	}
	c.revokeAsTheAppDoes(t, c.phys2)
	exchange(t, all...)
	st, rule := c.sPhys.ruleOf(late.Header.ID)
	t.Logf("Pia's confirmation of Sly on Paul's workstation: %v %s", st, rule)
	if st == store.Applied {
		t.Error("Pia's confirmation written after the hold stands once she is revoked as an administrator")
	}
	if c.sPhys.r.MayGrant(roles.Clinical, sly.fp()) {
		t.Error("Paul grants Sly the clinical key on Pia's word, written after a revocation held her")
	}
}

// revokedAdminRevokes admits Bob, an administrator, has Ada revoke him,
// and once he knows, has his modified software revoke p; every station
// has every event. It returns Bob's station and all of them.
func (c *clinic) revokedAdminRevokes(t *testing.T, p *person) (*station, []*station) {
	t.Helper()
	sBob := c.anotherAdmin(t, "Bob Admin")
	all := append(c.stations(), sBob)
	exchange(t, all...)
	c.revokeAsTheAppDoes(t, sBob.p)
	exchange(t, all...)
	sBob.forge(forged{Entity: p.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": memberHeads(t, sBob, p)})})
	exchange(t, all...)
	return sBob, all
}
