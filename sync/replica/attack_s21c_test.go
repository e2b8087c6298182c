package replica

// Session 21 review h-sec21c: two administrators who act on each other at
// once (session 14's C2, open since; the mutual revocation case older). Each
// act names the other's heads as her workstation knew them, from before the
// other's act: neither saw the other. Before the fix each workstation kept
// the act it heard first and refused the other (judged by the role or
// revocation the first decided), so the clinic split by arrival order.
// Findings: /work/notes/sec-s21c.md.

import (
	"fmt"
	"maps"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// s21cAct is what one administrator's workstation writes on a colleague:
// by writes on p's entry and returns the event's id.
type s21cAct func(t *testing.T, by *station, p *person) string

func s21cRevoke(t *testing.T, by *station, p *person) string {
	return revokeOn(t, by, p).Header.ID
}

func s21cDemote(t *testing.T, by *station, p *person) string {
	m, _ := by.r.Member(p.fp())
	honestChange(t, by, p, len(m.Changes)+1, roles.Receptionist)
	own := by.own()
	env, err := crypto.ParseEnvelope(own[len(own)-1])
	if err != nil {
		t.Fatal(err)
	}
	return env.Header.ID
}

// s21cRewrite writes p's change 1 again, its heads stretched far over her
// chain and its clock high (a hostile rewrite: every event of hers in the
// span is judged by both roles, so her directory writes there are refused).
func s21cRewrite(t *testing.T, by *station, p *person) string {
	m, _ := by.r.Member(p.fp())
	if len(m.Changes) == 0 {
		t.Fatalf("setup: %s has no change to rewrite", p.name)
	}
	first := m.Changes[0]
	heads := maps.Clone(first.Heads)
	for d := range memberHeads(t, by, p) {
		heads[d] = 1 << 40
	}
	// A clock well above anything written since: every event of hers in
	// the span is "before" the rewrite.
	return by.forge(forged{Entity: p.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: by.r.lamport + 1000,
		Fields: fields(t, map[string]any{RoleChangeField(1): RoleChange{From: first.From, To: first.To, Heads: heads}})}).Header.ID
}

// s21cObserver is a workstation holding the clinic's keys that applied what
// from held (everything before the acts).
func s21cObserver(t *testing.T, c *clinic, from *station, name string) *station {
	s := open(t, newPerson(t, name, roles.Physician), c.id)
	s.holdKeys(c.sAdmin, roles.Directory, roles.Admin)
	s.holdKeys(c.sPhys, roles.FrontDesk, roles.Clinical)
	s.apply(from.everything()...)
	return s
}

// s21cBothOrders has xFirst apply sx's chain then sy's and yFirst the
// other way round, then every station in all exchange everything; it
// fails t unless both observers read ps alike, and returns that reading.
func s21cBothOrders(t *testing.T, xFirst, yFirst, sx, sy *station, all []*station, ps ...*person) string {
	t.Helper()
	xFirst.apply(sx.own()...)
	xFirst.apply(sy.own()...)
	yFirst.apply(sy.own()...)
	yFirst.apply(sx.own()...)
	exchange(t, all...)
	a, b := s21cView(xFirst, ps...), s21cView(yFirst, ps...)
	t.Logf("%s's act first: %s", sx.p.name, a)
	t.Logf("%s's act first: %s", sy.p.name, b)
	if a != b {
		t.Errorf("the observers read the two administrators differently by arrival order:\n  %s's first: %s\n  %s's first: %s", sx.p.name, a, sy.p.name, b)
	}
	if d := xFirst.snapshot().diff(yFirst.snapshot()); d != "" {
		t.Errorf("the observers differ by arrival order:\n%s", d)
	}
	return a
}

// s21cView is what a workstation made of the two administrators.
func s21cView(s *station, ps ...*person) string {
	out := ""
	for _, p := range ps {
		m, ok := s.r.Member(p.fp())
		out += fmt.Sprintf("%s: stands %v, %s %s, active %v, %d change(s), disputed %v; ", p.name, ok, m.Status, m.Role, m.Active(), len(m.Changes), m.HistoryDisputed())
	}
	return out
}

// TestAttackS21cMutualActs: Hal and Pam, administrators Ada admitted, act on
// each other at once, each on her own workstation, before either hears of
// the other's act. Two observers apply the same events, one Hal's act
// first, the other Pam's; then all workstations exchange everything. The
// invariant: every workstation ends with the same directory and the same
// events kept. The rule chosen (attack_s21c): both acts stand, as neither
// saw the other; since session 27 (h-seca27, seniority.go) the senior's
// stands and the other's falls: Hal's, as Ada admitted him before Pam (or
// before she made Pam an administrator).
func TestAttackS21cMutualActs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		promoted bool // Pam was admitted at the desk and made an administrator (change 1)
		hal, pam s21cAct
		// halSaw: Hal's act names heads over Pam's (stretched far), so it
		// says it was written after her act: it does not stand.
		halSaw bool
	}{
		{name: "control: Hal alone revokes Pam", hal: s21cRevoke},
		{name: "mutual revocation", hal: s21cRevoke, pam: s21cRevoke},
		{name: "mutual demotion", hal: s21cDemote, pam: s21cDemote},
		{name: "Hal revokes Pam while Pam demotes Hal", hal: s21cRevoke, pam: s21cDemote},
		{name: "Hal rewrites Pam's role while Pam revokes him", promoted: true, hal: s21cRewrite, pam: s21cRevoke, halSaw: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sHal := c.anotherAdmin(t, "Hal Admin")
			var sPam *station
			if tc.promoted {
				pam, s := c.admitted(t, "Pam Admin", roles.Receptionist)
				sPam = s
				exchange(t, append(c.stations(), sHal, sPam)...)
				honestChange(t, c.sAdmin, pam, 1, roles.Administrator)
				c.sAdmin.grant(roles.Admin, pam)
			} else {
				sPam = c.anotherAdmin(t, "Pam Admin", sHal)
			}
			all := append(c.stations(), sHal, sPam)
			exchange(t, all...)
			hal, pam := sHal.p, sPam.p
			if m, _ := sHal.r.Member(pam.fp()); m.Role != roles.Administrator || !m.Active() {
				t.Fatalf("setup: Pam reads %s %s", m.Status, m.Role)
			}
			halFirst := s21cObserver(t, c, c.sAdmin, "Olga Observer")
			pamFirst := s21cObserver(t, c, c.sAdmin, "Oscar Observer")
			want := map[string]store.EnvelopeState{} // act -> its verdict
			halAct, pamAct := "", ""
			if tc.hal != nil {
				halAct = tc.hal(t, sHal, pam)
				want[halAct] = store.Applied
			}
			if tc.pam != nil {
				pamAct = tc.pam(t, sPam, hal)
				want[pamAct] = store.Rejected // Hal, the senior, stands
			}
			if tc.halSaw {
				// His heads say it came after Pam's revocation of him.
				want[halAct], want[pamAct] = store.Rejected, store.Applied
			}
			a := s21cBothOrders(t, halFirst, pamFirst, sHal, sPam, all, hal, pam)
			for _, s := range all {
				if v := s21cView(s, hal, pam); v != a {
					t.Errorf("%s's workstation reads %s", s.p.name, v)
				}
			}
			for id, w := range want {
				for _, s := range []*station{halFirst, pamFirst, c.sAdmin} {
					if st, why := s.state(id); st != w {
						t.Errorf("%s: act %s (Hal's: %v) is %v (%s), want %v", s.p.name, id, id == halAct, st, why, w)
					}
				}
			}
		})
	}
}

// s21cAdmins is the test clinic with two more administrators Ada
// admitted, Hal and Pam, everything exchanged.
func s21cAdmins(t *testing.T) (c *clinic, sHal, sPam *station, all []*station) {
	t.Helper()
	c = newClinic(t)
	sHal = c.anotherAdmin(t, "Hal Admin")
	sPam = c.anotherAdmin(t, "Pam Admin", sHal)
	all = append(c.stations(), sHal, sPam)
	exchange(t, all...)
	return c, sHal, sPam, all
}

// TestAttackS21cLateRetaliation: the cost of the rule, shown. Hal revokes
// Pam and every workstation applies it. Later Pam's modified software
// writes a revocation of Hal in her chain's next place (her revocation
// named her last event, she wrote nothing since) naming his heads just
// before his revocation of her: by both heads the pair of a race. Before
// the fix a workstation that had Hal's act refused hers, and a newcomer
// catching up with Pam's chain first took hers and refused his (Pam active
// again there: a split). Now every workstation reads both revoked: a
// denial of her revoker, in the open, no reinstatement. Session 22
// (h-ret22): still so here, where no workstation witnessed anything (her
// act names all of his chains she had witnessed: none); with her own
// earlier witnesses pinning more of his chains than her act names, it
// falls and he stands (TestAttackS22aLateRetaliationCutsHisPast).
func TestAttackS21cLateRetaliation(t *testing.T) {
	c, sHal, sPam, all := s21cAdmins(t)
	hal, pam := sHal.p, sPam.p
	// A newcomer who has what came before, and catches up later.
	newcomer := s21cObserver(t, c, c.sAdmin, "Nina Newcomer")
	rh := revokeOn(t, sHal, pam)
	exchange(t, all...)
	if m, _ := c.sAdmin.r.Member(pam.fp()); !m.Revoked() {
		t.Fatal("setup: Pam is not revoked")
	}
	late := s21cObserver(t, c, c.sAdmin, "Olga Observer") // had Hal's act
	heads := map[string]uint64{sHal.r.Device(): rh.Header.Seq - 1, RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
	e := sPam.forge(forged{Entity: hal.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	late.apply(sPam.own()...)
	newcomer.apply(sPam.own()...)
	newcomer.apply(sHal.own()...)
	a, b := s21cView(late, hal, pam), s21cView(newcomer, hal, pam)
	t.Logf("had Hal's act: %s", a)
	t.Logf("Pam's chain first: %s", b)
	if a != b {
		t.Errorf("a late retaliation splits the clinic:\n  %s\n  %s", a, b)
	}
	if d := late.snapshot().diff(newcomer.snapshot()); d != "" {
		t.Errorf("the workstations differ:\n%s", d)
	}
	if m, _ := late.r.Member(pam.fp()); !m.Revoked() || m.Active() {
		t.Error("Pam's retaliation reinstated her")
	}
	if st, _ := late.state(e.Header.ID); st == store.Applied {
		t.Logf("as documented (Known limits): Pam's late revocation of Hal stands, both are revoked")
	}
}

// TestAttackS21cLooseRace: one of the two writes another directory event
// (a name she corrects) that the other's workstation has not heard of,
// then they revoke each other: the other's act names her heads before her
// correction, so the two are no tight pair, and the act heard first
// refused the other (open until session 28). Since session 28 (h-seca28,
// contest.go) a pair one of whose acts names the other's chain up to the
// other's act has a winner, the senior (Hal, admitted first), whichever of
// the two wrote the correction; neither is contested (one crossing each).
func TestAttackS21cLooseRace(t *testing.T) {
	for _, writer := range []string{"Pam", "Hal"} {
		t.Run(writer+" corrects a name first", func(t *testing.T) {
			c, sHal, sPam, all := s21cAdmins(t)
			hal, pam := sHal.p, sPam.p
			by := map[string]*station{"Pam": sPam, "Hal": sHal}[writer]
			by.append(Change{Entity: c.recep.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"name": "Rita Reception-Smith"})})
			rh := revokeOn(t, sHal, pam)
			rp := revokeOn(t, sPam, hal)
			halFirst := s21cObserver(t, c, c.sAdmin, "Olga Observer")
			pamFirst := s21cObserver(t, c, c.sAdmin, "Oscar Observer")
			s21cBothOrders(t, halFirst, pamFirst, sHal, sPam, append(all, halFirst, pamFirst), hal, pam)
			for _, s := range append(all, halFirst, pamFirst) {
				if m, _ := s.r.Member(hal.fp()); !m.Active() {
					t.Errorf("%s: Hal, the senior, is not active: %s", s.p.name, s21cView(s, hal, pam))
				}
				if st, why := s.stateOf(rh); st != store.Applied {
					t.Errorf("%s: Hal's act is %v (%s)", s.p.name, st, why)
				}
				if st, _ := s.stateOf(rp); st != store.Rejected {
					t.Errorf("%s: Pam's act is %v", s.p.name, st)
				}
			}
		})
	}
}

// TestUpgradeJudgesAMutualPairAgain: a workstation of an earlier version
// kept Pam's revocation of Hal (heard first) and refused his of her. The
// upgrade's mend (fields revision 14; since 28 the senior's act stands,
// seniority.go) judges his act again: Hal, whom Ada admitted first,
// stands and Pam is revoked, as on every workstation of this version.
func TestUpgradeJudgesAMutualPairAgain(t *testing.T) {
	c, sHal, sPam, _ := s21cAdmins(t)
	hal, pam := sHal.p, sPam.p
	s := s21cObserver(t, c, c.sAdmin, "Olga Observer")
	rh := revokeOn(t, sHal, pam)
	rp := revokeOn(t, sPam, hal)
	s.apply(sPam.own()...)
	s.apply(sHal.own()...)
	// As the earlier version left it: his act refused, Pam active.
	asEarlierVersion(t, s, map[string]verdict{rh.Header.ID: refused(ruleRevoked, "written after the author's membership was revoked")}, pam.fp())
	if m, _ := s.r.Member(pam.fp()); m.Revoked() {
		t.Fatal("setup: Pam reads revoked")
	}
	s.upgrade()
	if st, why := s.state(rh.Header.ID); st != store.Applied {
		t.Errorf("after the upgrade Hal's revocation of Pam is %v: %s", st, why)
	}
	if st, why := s.state(rp.Header.ID); st != store.Rejected {
		t.Errorf("after the upgrade Pam's revocation of Hal is %v: %s", st, why)
	}
	if m, _ := s.r.Member(pam.fp()); !m.Revoked() {
		t.Error("after the upgrade Pam is not revoked")
	}
	if m, _ := s.r.Member(hal.fp()); m.Revoked() || !m.Active() {
		t.Errorf("after the upgrade Hal reads %s, active %v", m.Status, m.Active())
	}
}
