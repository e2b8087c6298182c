package replica

// Session 27 review h-seca27 (/work/notes/seca27-s27.md): two administrators
// who cut each other in a tight pair (mutual.go), neither of them the
// founder, both fell on every workstation alike; where they were the
// clinic's only administrators (the founder left or was revoked) it had
// none left, and nothing admits one again. Session 26 made the founder win
// a pair she is in. Now the senior of the two by the admission tree wins
// (seniority.go): her act stands, the other's falls, on every workstation
// in any order.

import (
	"context"
	"fmt"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// s27aTree is a clinic with Hal and Pam administrators, admitted as the
// case says, everything exchanged; the founder, Ada, still an
// administrator. others are the further administrators' stations.
type s27aTree func(t *testing.T, c *clinic) (sHal, sPam *station, others []*station)

// s27aBothByAda: Ada admits Hal, then Pam.
func s27aBothByAda(t *testing.T, c *clinic) (*station, *station, []*station) {
	sHal := c.anotherAdmin(t, "Hal Admin")
	return sHal, c.anotherAdmin(t, "Pam Admin", sHal), nil
}

// s27aPamFirst: Ada admits Pam, then Hal.
func s27aPamFirst(t *testing.T, c *clinic) (*station, *station, []*station) {
	sPam := c.anotherAdmin(t, "Pam Admin")
	return c.anotherAdmin(t, "Hal Admin", sPam), sPam, nil
}

// s27aDeeper: Ada admits Zed, then Hal; Zed admits Pam (Zed was admitted
// before Hal, but Pam stands one admission further from the founder).
func s27aDeeper(t *testing.T, c *clinic) (*station, *station, []*station) {
	sZed := c.anotherAdmin(t, "Zed Admin")
	sHal := c.anotherAdmin(t, "Hal Admin", sZed)
	return sHal, c.adminBy(t, sZed, "Pam Admin", sZed, sHal), []*station{sZed}
}

// s27aPromoted: Ada admits Pam at the front desk, then Hal an
// administrator, then makes Pam an administrator: the promotion is what
// made Pam one, after Hal's admission in Ada's chain.
func s27aPromoted(t *testing.T, c *clinic) (*station, *station, []*station) {
	pam, sPam := c.admitted(t, "Pam Admin", roles.Receptionist)
	exchange(t, append(c.stations(), sPam)...)
	sHal := c.anotherAdmin(t, "Hal Admin", sPam)
	honestChange(t, c.sAdmin, pam, 1, roles.Administrator)
	c.sAdmin.grant(roles.Admin, pam)
	exchange(t, append(c.stations(), sHal, sPam)...)
	return sHal, sPam, nil
}

// s27aByZed: Ada admits Zed; Zed admits Pam, then Hal (their lowest
// common admitter is Zed, whose chain has Pam first).
func s27aByZed(t *testing.T, c *clinic) (*station, *station, []*station) {
	sZed := c.anotherAdmin(t, "Zed Admin")
	sPam := c.adminBy(t, sZed, "Pam Admin", sZed)
	return c.adminBy(t, sZed, "Hal Admin", sZed, sPam), sPam, []*station{sZed}
}

// TestAttackS27aMutualPairOfTwoAdministrators: Hal and Pam, neither the
// founder, cut each other in a tight pair, each on her own workstation
// before hearing of the other's act; the founder and every other
// administrator were revoked before (Hal's doing), so the two are the
// clinic's only administrators. Two observers apply the acts in either
// order, then everyone exchanges. Every workstation must read the same,
// keep an active administrator, and let the act of the senior by the
// admission tree stand and the other fall.
func TestAttackS27aMutualPairOfTwoAdministrators(t *testing.T) {
	for _, tc := range []struct {
		name        string
		tree        s27aTree
		hal, pam    s21cAct
		halIsSenior bool
	}{
		{name: "both admitted by the founder, Hal first: mutual revocation", tree: s27aBothByAda, hal: s21cRevoke, pam: s21cRevoke, halIsSenior: true},
		{name: "both admitted by the founder, Hal first: mutual demotion", tree: s27aBothByAda, hal: s21cDemote, pam: s21cDemote, halIsSenior: true},
		{name: "both admitted by the founder, Hal first: Hal revokes, Pam demotes", tree: s27aBothByAda, hal: s21cRevoke, pam: s21cDemote, halIsSenior: true},
		{name: "both admitted by the founder, Hal first: Hal demotes, Pam revokes", tree: s27aBothByAda, hal: s21cDemote, pam: s21cRevoke, halIsSenior: true},
		{name: "both admitted by the founder, Pam first", tree: s27aPamFirst, hal: s21cRevoke, pam: s21cRevoke},
		{name: "Pam admitted by an administrator the founder admitted", tree: s27aDeeper, hal: s21cRevoke, pam: s21cRevoke, halIsSenior: true},
		{name: "Pam promoted after Hal's admission", tree: s27aPromoted, hal: s21cRevoke, pam: s21cRevoke, halIsSenior: true},
		{name: "both admitted by Zed, Pam first", tree: s27aByZed, hal: s21cDemote, pam: s21cRevoke},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sHal, sPam, others := tc.tree(t, c)
			all := append(append(c.stations(), sHal, sPam), others...)
			exchange(t, all...)
			hal, pam := sHal.p, sPam.p
			// Hal removes every other administrator: he and Pam are left.
			revokeOn(t, sHal, c.admin)
			for _, s := range others {
				revokeOn(t, sHal, s.p)
			}
			exchange(t, all...)
			if n := activeAdmins(c.sAdmin); n != 2 {
				t.Fatalf("setup: %d active administrators", n)
			}
			halFirst := s21cObserver(t, c, c.sAdmin, "Olga Observer")
			pamFirst := s21cObserver(t, c, c.sAdmin, "Oscar Observer")
			halAct := tc.hal(t, sHal, pam)
			pamAct := tc.pam(t, sPam, hal)
			a := s21cBothOrders(t, halFirst, pamFirst, sHal, sPam, all, hal, pam)
			senior, junior, seniorAct, juniorAct := hal, pam, halAct, pamAct
			if !tc.halIsSenior {
				senior, junior, seniorAct, juniorAct = pam, hal, pamAct, halAct
			}
			for _, s := range append(all, halFirst, pamFirst) {
				if v := s21cView(s, hal, pam); v != a {
					t.Errorf("%s's workstation reads %s", s.p.name, v)
				}
				if activeAdmins(s) == 0 {
					t.Errorf("%s's workstation reads no active administrator: the clinic cannot admit or revoke anyone again (%s)", s.p.name, s21cView(s, hal, pam))
				}
				if m, _ := s.r.Member(senior.fp()); !m.Active() || m.Role != roles.Administrator {
					t.Errorf("%s's workstation reads %s, the senior, %s %s, active %v", s.p.name, senior.name, m.Status, m.Role, m.Active())
				}
				if m, _ := s.r.Member(junior.fp()); m.Active() && m.Role == roles.Administrator {
					t.Errorf("%s's workstation reads %s still an active administrator: the senior's act fell", s.p.name, junior.name)
				}
				if st, why := s.state(seniorAct); st != store.Applied {
					t.Errorf("%s: %s's act is %v (%s)", s.p.name, senior.name, st, why)
				}
				if st, _ := s.state(juniorAct); st != store.Rejected {
					t.Errorf("%s: %s's act, written past the senior's cut of her, is %v", s.p.name, junior.name, st)
				}
			}
		})
	}
}

// TestAttackS27aEveryArrivalOrder: the verdict is the same whatever order
// the admissions and the pair arrive in. Newcomers catching up from
// scratch take the chains (Ada's with her admissions and promotions, each
// other admitter's, Hal's and Pam's with their acts) in every order, then
// everything else; each must end as the workstations that exchanged did:
// the senior's act applied, the other's refused, the same events kept.
func TestAttackS27aEveryArrivalOrder(t *testing.T) {
	for _, tc := range []struct {
		name        string
		tree        s27aTree
		hal, pam    s21cAct
		halIsSenior bool
	}{
		{name: "Pam admitted by Zed, whom Ada admitted before Hal", tree: s27aDeeper, hal: s21cRevoke, pam: s21cRevoke, halIsSenior: true},
		{name: "Pam promoted after Hal's admission", tree: s27aPromoted, hal: s21cDemote, pam: s21cRevoke, halIsSenior: true},
		{name: "both admitted by Zed, Pam first", tree: s27aByZed, hal: s21cRevoke, pam: s21cDemote},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sHal, sPam, others := tc.tree(t, c)
			all := append(append(c.stations(), sHal, sPam), others...)
			exchange(t, all...)
			hal, pam := sHal.p, sPam.p
			seniorAct, juniorAct := tc.hal(t, sHal, pam), tc.pam(t, sPam, hal)
			if !tc.halIsSenior {
				seniorAct, juniorAct = juniorAct, seniorAct
			}
			chains := [][][]byte{c.sAdmin.own()}
			for _, s := range append(others, sHal, sPam) {
				chains = append(chains, s.own())
			}
			exchange(t, all...)
			want, wantSnap := s21cView(c.sAdmin, hal, pam), c.sAdmin.snapshot()
			for _, order := range s27aOrders(len(chains)) {
				s := open(t, newPerson(t, fmt.Sprintf("Nina %v", order), roles.Physician), c.id)
				s.holdKeys(c.sAdmin, roles.Directory, roles.Admin)
				s.holdKeys(c.sPhys, roles.FrontDesk, roles.Clinical)
				for _, i := range order {
					s.apply(chains[i]...)
				}
				s.apply(c.sAdmin.everything()...)
				if v := s21cView(s, hal, pam); v != want {
					t.Errorf("chains in order %v: %s, where the clinic reads %s", order, v, want)
				}
				if st, why := s.state(seniorAct); st != store.Applied {
					t.Errorf("chains in order %v: the senior's act is %v (%s)", order, st, why)
				}
				if st, _ := s.state(juniorAct); st != store.Rejected {
					t.Errorf("chains in order %v: the junior's act is %v", order, st)
				}
				if d := wantSnap.diff(s.snapshot()); d != "" {
					t.Errorf("chains in order %v: the newcomer differs from Ada's workstation:\n%s", order, d)
				}
			}
		})
	}
}

// s27aOrders is every order of n things.
func s27aOrders(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, rest := range s27aOrders(n - 1) {
		for at := 0; at <= len(rest); at++ {
			o := append(append(append([]int{}, rest[:at]...), n-1), rest[at:]...)
			out = append(out, o)
		}
	}
	return out
}

// TestUpgradeS27aSeniorPairJudgedAgain: a workstation of an earlier
// version let both acts of a tight pair of Hal and Pam stand (both
// revoked). After the upgrade (fields revision 28) it judges them again as
// a newcomer would: Pam's act refused, Hal, the senior, active.
func TestUpgradeS27aSeniorPairJudgedAgain(t *testing.T) {
	c, sHal, sPam, _ := s21cAdmins(t)
	hal, pam := sHal.p, sPam.p
	s := s21cObserver(t, c, c.sAdmin, "Olga Observer")
	revokeOn(t, sHal, pam)
	rp := revokeOn(t, sPam, hal)
	s.apply(sHal.own()...)
	s.apply(sPam.own()...)
	if st, _ := s.state(rp.Header.ID); st != store.Rejected {
		t.Fatalf("setup: Pam's act is %v", st)
	}
	// As the earlier version left it: Pam's act applied, Hal revoked.
	asEarlierVersion(t, s, map[string]verdict{rp.Header.ID: {state: store.Applied}}, hal.fp())
	if m, _ := s.r.Member(hal.fp()); !m.Revoked() {
		t.Fatal("setup: Hal does not read revoked")
	}
	s.upgrade()
	if st, why := s.state(rp.Header.ID); st != store.Rejected {
		t.Errorf("after the upgrade Pam's act on Hal is %v: %s", st, why)
	}
	if m, _ := s.r.Member(hal.fp()); m.Revoked() || !m.Active() {
		t.Errorf("after the upgrade Hal reads %s, active %v", m.Status, m.Active())
	}
	if m, _ := s.r.Member(pam.fp()); !m.Revoked() {
		t.Error("after the upgrade Pam is not revoked")
	}
}

// TestAttackS27aJuniorCannotRaiseHerself: Pam, whom Ada admitted after
// Hal, tries before the race to move her standing or his: she writes an
// admission of Hal as an administrator herself (the re-admission session
// 26 feared would make her his admitter), admits Quinn, an administrator
// of hers, and has Quinn admit her again; then they revoke each other in
// a tight pair. Nothing either of them signed counts in their contest, and
// Quinn stands on Pam alone: Hal stays the senior on every workstation.
func TestAttackS27aJuniorCannotRaiseHerself(t *testing.T) {
	c := newClinic(t)
	sHal, sPam, _ := s27aBothByAda(t, c)
	hal, pam := sHal.p, sPam.p
	sQuinn := c.adminBy(t, sPam, "Quinn Admin", sPam, sHal)
	all := append(c.stations(), sHal, sPam, sQuinn)
	sPam.admit(hal)
	exchange(t, all...)
	sQuinn.admit(pam)
	exchange(t, all...)
	halFirst := s21cObserver(t, c, c.sAdmin, "Olga Observer")
	pamFirst := s21cObserver(t, c, c.sAdmin, "Oscar Observer")
	halAct := s21cRevoke(t, sHal, pam)
	pamAct := s21cRevoke(t, sPam, hal)
	a := s21cBothOrders(t, halFirst, pamFirst, sHal, sPam, all, hal, pam)
	for _, s := range append(all, halFirst, pamFirst) {
		if v := s21cView(s, hal, pam); v != a {
			t.Errorf("%s's workstation reads %s", s.p.name, v)
		}
		if st, why := s.state(halAct); st != store.Applied {
			t.Errorf("%s: Hal's act is %v (%s)", s.p.name, st, why)
		}
		if st, _ := s.state(pamAct); st != store.Rejected {
			t.Errorf("%s: Pam's act is %v: her own events raised her", s.p.name, st)
		}
	}
}

// TestAttackS27aSeniorAnswersBothRevokers: Hal and Pam, juniors, both
// revoke Ada, the founder (the senior of all). Her modified software
// answers Hal in the next place of her chain (a tight pair: she stands
// against him) and then Pam in the place after, naming Pam's chain up to
// just before her act: tight on Ada's side, loose on Pam's (Pam named
// Ada's chain before both answers). Open in session 27 (arrival order
// decided: a workstation that heard Ada's chain before Pam's took both
// answers); closed in session 28 (h-seca28, contest.go): Ada's cuts cross
// two colleagues' cuts of her, so she is contested and loses both pairs.
// The invariant: every workstation reads Ada revoked, Hal and Pam active.
func TestAttackS27aSeniorAnswersBothRevokers(t *testing.T) {
	c, sHal, sPam, all := s21cAdmins(t)
	ada, hal, pam := c.admin, sHal.p, sPam.p
	before := s21cObserver(t, c, c.sAdmin, "Olga Observer")
	adaFirst := s21cObserver(t, c, c.sAdmin, "Nina Newcomer")
	rh := revokeOn(t, sHal, ada)
	rp := revokeOn(t, sPam, ada)
	answer := func(p *person, to *station, act uint64) {
		heads := map[string]uint64{to.r.Device(): act - 1, RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
		c.sAdmin.forge(forged{Entity: p.fp(), Kind: KindMember, Scope: string(roles.Directory),
			Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	}
	before.apply(sHal.own()...)
	before.apply(sPam.own()...)
	answer(hal, sHal, rh.Header.Seq)
	answer(pam, sPam, rp.Header.Seq)
	before.apply(c.sAdmin.own()...)
	adaFirst.apply(c.sAdmin.own()...)
	adaFirst.apply(sHal.own()...)
	adaFirst.apply(sPam.own()...)
	exchange(t, append(all, before, adaFirst)...)
	// Ada's own workstation is left out (forge: her answers stored
	// without folding).
	for _, s := range []*station{sHal, sPam, before, adaFirst} {
		if m, _ := s.r.Member(ada.fp()); m.Active() {
			t.Errorf("%s: the founder revoked by two administrators stands: %s", s.p.name, s21cView(s, ada, hal, pam))
		}
		for _, p := range []*person{hal, pam} {
			if m, _ := s.r.Member(p.fp()); !m.Active() {
				t.Errorf("%s: %s is not active: %s", s.p.name, p.name, s21cView(s, ada, hal, pam))
			}
		}
	}
}

// asEarlierVersion leaves s's store as an earlier version did: each event
// (by id) in the state given, the entries of fps folded from them again,
// and the fields rule the store was judged under forgotten, so that the
// next Open (upgrade) judges what the rule decides again.
func asEarlierVersion(t *testing.T, s *station, states map[string]verdict, fps ...string) {
	t.Helper()
	ctx := context.Background()
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		defer s.r.begin()()
		for id, v := range states {
			row, err := tx.Envelope(ctx, id)
			if err != nil {
				return err
			}
			if err := s.r.setState(ctx, tx, row, v); err != nil {
				return err
			}
		}
		for _, fp := range fps {
			if err := s.r.rebuildEntity(ctx, tx, fp); err != nil {
				return err
			}
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// upgrade opens s's profile again, as a new version does, and settles.
func (s *station) upgrade() {
	s.t.Helper()
	var err error
	if s.r, err = Open(context.Background(), s.r.p); err != nil {
		s.t.Fatal(err)
	}
	s.apply()
}

// TestAttackS27aHostileSeniorRevokedByTwo: the cost, bounded as the
// founder's is (TestAttackS26bHostileFounderRevokedByTwo). Hal, the
// senior of three administrators Ada admitted, is revoked by Pam and by
// Quinn; his modified software answers Pam in his chain's next place (a
// tight pair, which he wins). Quinn's revocation, which his answer does
// not pair with, still removes him, on every workstation in any order.
func TestAttackS27aHostileSeniorRevokedByTwo(t *testing.T) {
	c, sHal, sPam, all := s21cAdmins(t)
	sQuinn := c.anotherAdmin(t, "Quinn Admin", sHal, sPam)
	all = append(all, sQuinn)
	exchange(t, all...)
	hal, pam, quinn := sHal.p, sPam.p, sQuinn.p
	var observers []*station
	for _, name := range []string{"Olga Observer", "Oscar Observer", "Lena Late"} {
		observers = append(observers, s21cObserver(t, c, c.sAdmin, name))
	}
	rp := revokeOn(t, sPam, hal)
	revokeOn(t, sQuinn, hal)
	heads := map[string]uint64{sPam.r.Device(): rp.Header.Seq - 1, RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
	e := sHal.forge(forged{Entity: pam.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	for i, order := range [][]*station{{sHal, sPam, sQuinn}, {sQuinn, sPam, sHal}, {sPam, sHal, sQuinn}} {
		for _, from := range order {
			observers[i].apply(from.own()...)
		}
	}
	// Hal's own workstation is left out (forge: his answer stored
	// without folding it into his directory).
	exchange(t, append([]*station{c.sAdmin, sPam, sQuinn}, observers...)...)
	for _, s := range append([]*station{c.sAdmin, sPam, sQuinn}, observers...) {
		if m, _ := s.r.Member(hal.fp()); m.Active() {
			t.Errorf("%s: Hal, revoked by two administrators, stands: %s", s.p.name, s21cView(s, hal, pam, quinn))
		}
		for _, p := range []*person{pam, quinn} {
			if m, _ := s.r.Member(p.fp()); !m.Active() {
				t.Errorf("%s: %s is not active: %s", s.p.name, p.name, s21cView(s, hal, pam, quinn))
			}
		}
		if st, _ := s.state(e.Header.ID); st != store.Rejected {
			t.Errorf("%s: Hal's answer to Pam is %v", s.p.name, st)
		}
	}
}
