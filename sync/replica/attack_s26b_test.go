package replica

// Session 26 review h-sec26 (/work/notes/sec26-s26.md), item 1: two
// administrators who are the clinic's only ones and cut each other in a
// tight pair (mutual.go) left it with none, on every workstation alike, and
// nothing re-admits. A hostile administrator racing the founder (or
// retaliating late, as a tight pair) so made the clinic unmanageable for
// good. The founder (her fingerprint starts with the clinic id: nobody else
// can hold such a key) now wins a tight pair: her act stands, the other
// falls, on every workstation in any order.

import (
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// activeAdmins counts the active administrators s reads.
func activeAdmins(s *station) int {
	n := 0
	for _, m := range s.r.Members() {
		if m.Active() && m.Role == roles.Administrator {
			n++
		}
	}
	return n
}

// TestAttackS26bMutualPairWithTheFounder: Ada founded the clinic and
// admitted Hal, an administrator; they are its only administrators. Hal's
// modified software races Ada: each revokes (or moves to the desk) the
// other, neither having heard of the other's act, a tight pair. Two
// observers apply the acts in either order, then everyone exchanges. Every
// workstation must read the same, and the clinic must keep an active
// administrator: Ada's act stands, Hal's falls.
func TestAttackS26bMutualPairWithTheFounder(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ada, hl s21cAct
	}{
		{name: "mutual revocation", ada: s21cRevoke, hl: s21cRevoke},
		{name: "mutual demotion", ada: s21cDemote, hl: s21cDemote},
		{name: "Ada revokes Hal while Hal demotes Ada", ada: s21cRevoke, hl: s21cDemote},
		{name: "Ada demotes Hal while Hal revokes Ada", ada: s21cDemote, hl: s21cRevoke},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sHal := c.anotherAdmin(t, "Hal Admin")
			all := append(c.stations(), sHal)
			exchange(t, all...)
			ada, hal := c.admin, sHal.p
			adaFirst := s21cObserver(t, c, c.sAdmin, "Olga Observer")
			halFirst := s21cObserver(t, c, c.sAdmin, "Oscar Observer")
			adaAct := tc.ada(t, c.sAdmin, hal)
			halAct := tc.hl(t, sHal, ada)
			a := s21cBothOrders(t, adaFirst, halFirst, c.sAdmin, sHal, all, ada, hal)
			for _, s := range append(all, adaFirst, halFirst) {
				if v := s21cView(s, ada, hal); v != a {
					t.Errorf("%s's workstation reads %s", s.p.name, v)
				}
				if n := activeAdmins(s); n == 0 {
					t.Errorf("%s's workstation reads no active administrator: the clinic cannot admit or revoke anyone again", s.p.name)
				}
				if m, _ := s.r.Member(ada.fp()); !m.Active() || m.Role != roles.Administrator {
					t.Errorf("%s's workstation reads the founder %s %s, active %v", s.p.name, m.Status, m.Role, m.Active())
				}
				if st, why := s.state(adaAct); st != store.Applied {
					t.Errorf("%s: the founder's act is %v (%s)", s.p.name, st, why)
				}
				if st, _ := s.state(halAct); st != store.Rejected {
					t.Errorf("%s: Hal's act on the founder, written past her cut of him, is %v", s.p.name, st)
				}
			}
		})
	}
}

// TestAttackS26bLateRetaliationOnTheFounder: Ada revokes Hal and every
// workstation applies it. Later Hal's modified software writes a revocation
// of Ada in his chain's next place, naming her heads just before her act (a
// tight pair by both heads; no workstation witnessed, so namesLess cannot
// tell). Before: both revoked, the clinic with no administrator. Now his
// act falls and Ada stands, on a workstation that had her act and on a
// newcomer catching up with his chain first.
func TestAttackS26bLateRetaliationOnTheFounder(t *testing.T) {
	c := newClinic(t)
	sHal := c.anotherAdmin(t, "Hal Admin")
	all := append(c.stations(), sHal)
	exchange(t, all...)
	ada, hal := c.admin, sHal.p
	newcomer := s21cObserver(t, c, c.sAdmin, "Nina Newcomer")
	ra := revokeOn(t, c.sAdmin, hal)
	exchange(t, all...)
	late := s21cObserver(t, c, c.sAdmin, "Olga Observer")
	heads := map[string]uint64{c.sAdmin.r.Device(): ra.Header.Seq - 1, RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
	e := sHal.forge(forged{Entity: ada.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	late.apply(sHal.own()...)
	newcomer.apply(sHal.own()...)
	newcomer.apply(c.sAdmin.own()...)
	for _, s := range []*station{late, newcomer} {
		if m, _ := s.r.Member(ada.fp()); !m.Active() || m.Revoked() {
			t.Errorf("%s: Hal's late retaliation revoked the founder: %s", s.p.name, s21cView(s, ada, hal))
		}
		if m, _ := s.r.Member(hal.fp()); !m.Revoked() || m.Active() {
			t.Errorf("%s: Hal's retaliation reinstated him: %s", s.p.name, s21cView(s, ada, hal))
		}
		if st, _ := s.state(e.Header.ID); st != store.Rejected {
			t.Errorf("%s: Hal's late revocation of the founder is %v", s.p.name, st)
		}
		if activeAdmins(s) == 0 {
			t.Errorf("%s: no active administrator left", s.p.name)
		}
	}
	if d := late.snapshot().diff(newcomer.snapshot()); d != "" {
		t.Errorf("the workstations differ:\n%s", d)
	}
}

// TestUpgradeS26bFounderPairJudgedAgain: a workstation of an earlier
// version let both acts of a tight pair with the founder stand (both
// revoked, no administrator left). After the upgrade (fields revision 27)
// it judges them again as a newcomer would: Hal's act refused, the founder
// active.
func TestUpgradeS26bFounderPairJudgedAgain(t *testing.T) {
	c := newClinic(t)
	sHal := c.anotherAdmin(t, "Hal Admin")
	ada, hal := c.admin, sHal.p
	s := s21cObserver(t, c, c.sAdmin, "Olga Observer")
	revokeOn(t, c.sAdmin, hal)
	rh := revokeOn(t, sHal, ada)
	s.apply(c.sAdmin.own()...)
	s.apply(sHal.own()...)
	if st, _ := s.state(rh.Header.ID); st != store.Rejected {
		t.Fatalf("setup: Hal's act is %v", st)
	}
	// As the earlier version left it: Hal's act applied, Ada revoked.
	asEarlierVersion(t, s, map[string]verdict{rh.Header.ID: {state: store.Applied}}, ada.fp())
	if m, _ := s.r.Member(ada.fp()); !m.Revoked() {
		t.Fatal("setup: Ada does not read revoked")
	}
	s.upgrade()
	if st, why := s.state(rh.Header.ID); st != store.Rejected {
		t.Errorf("after the upgrade Hal's act on the founder is %v: %s", st, why)
	}
	if m, _ := s.r.Member(ada.fp()); m.Revoked() || !m.Active() {
		t.Errorf("after the upgrade the founder reads %s, active %v", m.Status, m.Active())
	}
	if m, _ := s.r.Member(hal.fp()); !m.Revoked() {
		t.Error("after the upgrade Hal is not revoked")
	}
}

// TestAttackS26bHostileFounderRevokedByTwo: the rule's cost, bounded. The
// founder's modified software answers a revocation of her by a tight
// retaliation, which now stands (her revoker falls). Two administrators
// who revoke her still remove her: her next event in her chain answers
// one of them, and the other's revocation, which it does not pair with,
// refuses it.
func TestAttackS26bHostileFounderRevokedByTwo(t *testing.T) {
	c, sHal, sPam, all := s21cAdmins(t)
	ada, hal, pam := c.admin, sHal.p, sPam.p
	halFirst := s21cObserver(t, c, c.sAdmin, "Olga Observer")
	pamFirst := s21cObserver(t, c, c.sAdmin, "Oscar Observer")
	late := s21cObserver(t, c, c.sAdmin, "Lena Late")
	rh := revokeOn(t, sHal, ada)
	revokeOn(t, sPam, ada)
	// Ada answers Hal, naming his chain up to just before his act.
	heads := map[string]uint64{sHal.r.Device(): rh.Header.Seq - 1, RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
	e := c.sAdmin.forge(forged{Entity: hal.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	for _, s := range []*station{halFirst, pamFirst} {
		s.apply(c.sAdmin.own()...)
	}
	halFirst.apply(sHal.own()...)
	halFirst.apply(sPam.own()...)
	pamFirst.apply(sPam.own()...)
	pamFirst.apply(sHal.own()...)
	exchange(t, all...)
	// Ada's own workstation is left out: her modified software stored her
	// answer without folding it into her directory (forge), so Hal's act
	// reads applied there and Pam's, naming the same heads, changes
	// nothing to sweep by; what her workstation shows is hers. Lena,
	// hearing Hal, then Ada, then Pam, judges as the others.
	late.apply(sHal.own()...)
	late.apply(c.sAdmin.own()...)
	late.apply(sPam.own()...)
	for _, s := range []*station{sHal, sPam, halFirst, pamFirst, late} {
		if m, _ := s.r.Member(ada.fp()); m.Active() {
			t.Errorf("%s: the founder revoked by two administrators stands: %s", s.p.name, s21cView(s, ada, hal, pam))
		}
		for _, p := range []*person{hal, pam} {
			if m, _ := s.r.Member(p.fp()); !m.Active() {
				t.Errorf("%s: %s is not active: %s", s.p.name, p.name, s21cView(s, ada, hal, pam))
			}
		}
		if st, _ := s.state(e.Header.ID); st != store.Rejected {
			t.Errorf("%s: the founder's answer to Hal is %v", s.p.name, st)
		}
	}
}
