package replica

// Session 14 second hostile review (h-sec14b) of the fixes of h-sec14's
// findings (b8aaa83, 4e61749). Each TestAttackS14b* proof fails on main
// (d5180bc); each control case passes. Findings: /work/notes/sec-s14b.md.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS14bRevocationCutsTheExit: a revoked entry's history is read
// only as far as the revocation's count (RevokedChanges, the fewest any
// revocation recorded) and only its changes written below the
// revocation's clock (memberFromState). Both are the revoking
// administrator's word, and one revocation is all a leaver gets (the app
// refuses to revoke a revoked member). Rita, a receptionist, was made a
// physician (change 1), Paul met and confirmed her, and she was moved back
// to the desk (change 2). At the desk her modified software confirms Sly,
// a stand-in physician (refused: a receptionist's). Hal, a hostile
// administrator, revokes her recording one change (or, in a session 13
// revocation's shape, with a clock below change 2): every workstation
// reads her a physician over her whole chain, her desk confirmation
// stands, and Paul reaches Sly through her — the clinical key for a
// stand-in, with no disputed history shown (C1's impact, no reroute).
func TestAttackS14bRevocationCutsTheExit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		revoke func(t *testing.T, c *clinic, sHal *station, rita *person)
	}{
		{name: "control: the revocation as the app writes it", revoke: func(t *testing.T, c *clinic, _ *station, rita *person) {
			c.revokeAsTheAppDoes(t, rita)
		}},
		{name: "a revocation recording one change", revoke: func(t *testing.T, c *clinic, sHal *station, rita *person) {
			heads := memberHeads(t, sHal, rita)
			heads[RevokedChanges], heads[RevokedRole+string(roles.Physician)] = 1, 1
			sHal.append(Change{Entity: rita.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
		}},
		{name: "a revocation recording one change, then a role written after it", revoke: func(t *testing.T, c *clinic, sHal *station, rita *person) {
			heads := memberHeads(t, sHal, rita)
			heads[RevokedChanges], heads[RevokedRole+string(roles.Physician)] = 1, 1
			sHal.append(Change{Entity: rita.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
			roleAfter(t, sHal, rita)
		}},
		{name: "a revocation of session 13's shape below change 2's clock", revoke: func(t *testing.T, c *clinic, sHal *station, rita *person) {
			revokeBelow(t, sHal, rita, false)
		}},
		{name: "a revocation recording both changes and the role physician, below change 2's clock", revoke: func(t *testing.T, c *clinic, sHal *station, rita *person) {
			revokeBelow(t, sHal, rita, true)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ritaAtTheDesk(t)
			c, sHal, rita, sly, conf, all := d.c, d.sHal, d.rita, d.sly, d.conf, d.all
			tc.revoke(t, c, sHal, rita)
			exchange(t, all...)
			m, _ := c.sPhys.r.Member(rita.fp())
			st, why := c.sPhys.state(conf.Header.ID)
			t.Logf("Rita on Paul's workstation: %s %s, %d change(s), disputed %v, entered the clinical scope %v; her desk confirmation of Sly: %v %s",
				m.Status, m.Role, len(m.Changes), m.HistoryDisputed(), m.entered(roles.Clinical), st, why)
			if !m.Revoked() {
				t.Fatal("setup: Rita is not revoked")
			}
			if c.sPhys.r.MayGrant(roles.Clinical, sly.fp()) {
				t.Error("Paul grants the clinical key to Sly, whom no physician met: one revocation cut Rita's history before her move to the desk, so her desk confirmation counts as a physician's")
			}
			if st == store.Applied {
				t.Error("Rita's confirmation written at the front desk is applied: one revocation cut her history before her move to the desk")
			}
		})
	}
}

// deskScene is TestAttackS14bRevocationCutsTheExit's clinic: Rita, a
// receptionist made a physician (change 1), confirmed by Paul, moved back
// to the desk (change 2), where her modified software confirmed Sly, a
// stand-in physician (conf, refused); Hal, a hostile administrator.
type deskScene struct {
	c         *clinic
	sHal      *station
	rita, sly *person
	conf      *crypto.Envelope
	all       []*station
}

func ritaAtTheDesk(t *testing.T) deskScene {
	t.Helper()
	ctx := context.Background()
	c := newClinic(t)
	rita := c.recep
	sHal := c.anotherAdmin(t, "Hal Hostile")
	all := append(c.stations(), sHal)
	honestChange(t, c.sAdmin, rita, 1, roles.Physician)
	exchange(t, all...)
	if err := c.sPhys.r.Confirm(ctx, rita.fp()); err != nil {
		t.Fatal(err)
	}
	exchange(t, all...)
	honestChange(t, c.sAdmin, rita, 2, roles.Receptionist)
	exchange(t, all...)
	sly, sSly := c.admitted(t, "Sly Standin", roles.Physician)
	all = append(all, sSly)
	exchange(t, all...)
	conf := c.sRecep.forge(forged{Entity: ConfirmsEntity(rita.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
		Fields: Fields{c.sRecep.confirmation(confirmsFieldPrefix, sly): mustJSON(true)}})
	if err := sSly.r.Confirm(ctx, c.phys.fp()); err != nil {
		t.Fatal(err)
	}
	exchange(t, all...)
	if st, _ := c.sPhys.state(conf.Header.ID); st == store.Applied {
		t.Fatal("setup: her desk confirmation is applied before the revocation")
	}
	return deskScene{c: c, sHal: sHal, rita: rita, sly: sly, conf: conf, all: all}
}

// revokeBelow has administrator s revoke p with a clock just below p's
// last change of role: with the app's count of changes and the role p
// held before it, or in session 13's shape without either.
func revokeBelow(t *testing.T, s *station, p *person, counted bool) {
	t.Helper()
	m, _ := s.r.Member(p.fp())
	heads := memberHeads(t, s, p)
	if counted {
		heads[RevokedChanges], heads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
		delete(heads, RevokedRole+string(m.Role))
		heads[RevokedRole+string(m.Changes[len(m.Changes)-1].From)] = 1
	}
	s.forge(forged{Entity: p.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: m.Changes[len(m.Changes)-1].Lamport - 1,
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
}

// roleAfter has administrator s write p's role (receptionist, what it
// is) alone, after everything: the role's cell then carries a clock past
// the revocation's, and memberFromState forgets when the role was last
// written (RoleWritten 0), which is what kept the confirmations of a
// history cut short void (EnteredAt).
func roleAfter(t *testing.T, s *station, p *person) {
	t.Helper()
	s.append(Change{Entity: p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"role": roles.Receptionist})})
}

// TestAttackS14bRevocationDropsTheFork: a revoked member's fork past what
// every revocation read is dropped (memberFromState: m.fork.at > most),
// and the honest revocation reads only the changes before the fork
// (RecordedChanges). So a hostile administrator who forks change 2 of
// Rita's history (the move back to the desk) before she is revoked — a
// disputed history while she is active, her events past change 1 judged
// by every role the fork names — has the honest revocation record one
// change and the physician role: the fork is gone, she reads "revoked
// physician", no dispute is shown, and her desk confirmation of Sly
// stands. The honest change 2 still wrote her role, which keeps Paul's
// confirmation of her void (EnteredAt), until Hal writes her role once
// more after the revocation: then Paul reaches Sly.
func TestAttackS14bRevocationDropsTheFork(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fork, late bool
	}{
		{name: "control: no fork, a role written after the revocation", late: true},
		{name: "change 2 forked before the revocation", fork: true},
		{name: "change 2 forked before the revocation, a role written after it", fork: true, late: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ritaAtTheDesk(t)
			c, sHal, rita := d.c, d.sHal, d.rita
			if tc.fork {
				m, _ := sHal.r.Member(rita.fp())
				sHal.append(Change{Entity: rita.fp(), Kind: KindMember, Scope: roles.Directory,
					Fields: fields(t, map[string]any{RoleChangeField(2): RoleChange{From: roles.Physician, To: roles.Administrator, Heads: m.Changes[0].Heads}})})
				exchange(t, d.all...)
				if m, _ := c.sAdmin.r.Member(rita.fp()); !m.HistoryDisputed() {
					t.Fatal("setup: the fork is not shown")
				}
			}
			c.revokeAsTheAppDoes(t, rita)
			exchange(t, d.all...)
			if tc.late {
				roleAfter(t, sHal, rita)
				exchange(t, d.all...)
			}
			m, _ := c.sPhys.r.Member(rita.fp())
			st, why := c.sPhys.state(d.conf.Header.ID)
			t.Logf("Rita on Paul's workstation: %s %s, %d change(s), disputed %v, entered the clinical scope %v; her desk confirmation of Sly: %v %s",
				m.Status, m.Role, len(m.Changes), m.HistoryDisputed(), m.entered(roles.Clinical), st, why)
			if !m.Revoked() {
				t.Fatal("setup: Rita is not revoked")
			}
			if c.sPhys.r.MayGrant(roles.Clinical, d.sly.fp()) {
				t.Error("Paul grants the clinical key to Sly, whom no physician met: the revocation dropped the fork of Rita's history, so her desk confirmation counts as a physician's")
			}
			if st == store.Applied {
				t.Error("Rita's confirmation written at the front desk is applied: the revocation dropped the fork of her history")
			}
			if tc.fork && !m.HistoryDisputed() {
				t.Error("Rita's forked history is no longer shown as disputed once she is revoked")
			}
		})
	}
}

// TestAttackS14bRejudgeChainPastThePassBound: judgeRoles stops after
// maxRolePasses (16) passes, and judgeDirectory then clears the dirty set:
// an entry rebuilt in the last pass keeps the view its member's events
// were judged by before (roleSeen), so they are never judged by her new
// entry until it changes again (C6's staleness, by depth instead of map
// order). Each pass re-judges one link of a chain of administrators, each
// of whom wrote the change that made the next one an administrator again
// (Ada had moved each to the desk with no heads). When Ada disputes the
// first one's move, every link falls in turn and the last one, who
// admitted Sly, reads receptionist — but past sixteen links his admission
// stays applied on the workstation that heard it all, its verdict
// disagreeing with its own directory (and with one that heard the
// chain's fall in smaller batches).
func TestAttackS14bRejudgeChainPastThePassBound(t *testing.T) {
	for _, tc := range []struct {
		name  string
		links int
	}{
		{name: "control: a chain of four administrators", links: 4},
		{name: "a chain of twenty administrators", links: 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			chain := make([]*station, tc.links)
			for i := range chain {
				chain[i] = c.anotherAdmin(t, "Puppet")
			}
			base := c.sAdmin.r.lamport + 100
			for i := 1; i < len(chain); i++ {
				c.sAdmin.forge(forged{Entity: chain[i].p.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: base,
					Fields: fields(t, map[string]any{RoleChangeField(1): RoleChange{From: roles.Administrator, To: roles.Receptionist, Heads: map[string]uint64{}}})})
			}
			var first *crypto.Envelope
			for i := 1; i < len(chain); i++ {
				e := chain[i-1].forge(forged{Entity: chain[i].p.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: base + 10,
					Fields: fields(t, map[string]any{RoleChangeField(2): RoleChange{From: roles.Receptionist, To: roles.Administrator, Heads: map[string]uint64{}}})})
				if i == 1 {
					first = e
				}
			}
			last := chain[len(chain)-1]
			sly := newPerson(t, "Sly Standin", roles.Physician)
			h := last.forge(forged{Entity: sly.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: base + 20,
				Fields: fields(t, map[string]any{"name": sly.name, "role": roles.Physician, "status": StatusActive})})
			w := c.sPhys
			w.apply(c.sAdmin.own()...)
			for _, s := range chain {
				w.apply(s.own()...)
			}
			if st, why := w.state(h.Header.ID); st != store.Applied {
				t.Fatalf("setup: the last link's admission of Sly is %v: %s", st, why)
			}
			for i, heads := range []map[string]uint64{{}, {chain[0].r.Device(): first.Header.Seq}} {
				c.sAdmin.forge(forged{Entity: chain[0].p.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: base + 30 + uint64(i),
					Fields: fields(t, map[string]any{RoleChangeField(1): RoleChange{From: roles.Administrator, To: roles.Receptionist, Heads: heads}})})
			}
			w.apply(c.sAdmin.own()...)
			if st, _ := w.state(first.Header.ID); st != store.Rejected {
				t.Fatalf("setup: the first link's change is %v, want refused", st)
			}
			// Pia's workstation hears it all at once, the fall first.
			w2 := c.sPh2
			w2.apply(c.sAdmin.own()...)
			for _, s := range chain {
				w2.apply(s.own()...)
			}
			stale := 0
			for i := 1; i < len(chain); i++ {
				writer, _ := w.r.Member(chain[i-1].p.fp())
				own := chain[i-1].own()
				for _, raw := range own {
					env, err := crypto.ParseEnvelope(raw)
					if err != nil || env.Header.Entity != chain[i].p.fp() {
						continue
					}
					if st, _ := w.state(env.Header.ID); st == store.Applied {
						if _, ok := roleAllows(env.Header, writer.roleAt(env.Header)); !ok {
							stale++
						}
					}
				}
			}
			m, _ := w.r.Member(last.p.fp())
			m2, _ := w2.r.Member(last.p.fp())
			st, _ := w.state(h.Header.ID)
			st2, _ := w2.state(h.Header.ID)
			t.Logf("the last link reads %s on Paul's workstation (his admission of Sly %v), %s on Pia's (%v); links applied though their writer reads a receptionist on Paul's: %d",
				m.Role, st, m2.Role, st2, stale)
			if stale > 0 {
				t.Errorf("Paul's workstation keeps %d change(s) of the chain applied though its own directory says their writers were receptionists (%d links, %d passes)", stale, tc.links, maxRolePasses)
			}
			if m.Role != m2.Role || st != st2 {
				t.Errorf("Paul's and Pia's workstations disagree on the last link (%s, %s) and his admission of Sly (%v, %v): the order the events came in decides", m.Role, m2.Role, st, st2)
			}
		})
	}
}

// TestAttackS14bChangeOneLeavesAForgedAdmissionRole: change 1 is read when
// every change written for it follows (leaves a role the entry was
// admitted with) and takes the same role (agreedChange); its lowest-clock
// cell is the one read, and an event every cell covers is judged by that
// cell's From alone (rolesIn: coversAll). The entry's admission roles are
// every role an admission-shaped event wrote (admittedRoles). So an
// administrator who writes an admission of Rita again as a physician
// (clock 1: her role and status keep theirs) and change 1 again as
// physician -> administrator with the honest heads and a lower clock has
// every event Rita wrote at the desk before change 1 judged a physician's,
// with no dispute shown: her front-desk confirmation of Sly stands.
func TestAttackS14bChangeOneLeavesAForgedAdmissionRole(t *testing.T) {
	for _, tc := range []struct {
		name   string
		forged bool
	}{
		{name: "control: the honest history"},
		{name: "admission and change 1 written again from physician", forged: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			rita := c.recep
			sHal := c.anotherAdmin(t, "Hal Hostile")
			sly, sSly := c.admitted(t, "Sly Standin", roles.Physician)
			all := append(c.stations(), sHal, sSly)
			exchange(t, all...)
			conf := c.sRecep.forge(forged{Entity: ConfirmsEntity(rita.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{c.sRecep.confirmation(confirmsFieldPrefix, sly): mustJSON(true)}})
			exchange(t, all...)
			c.sAdmin.r.lamport += 10 // her workstation's clock ran ahead
			honestChange(t, c.sAdmin, rita, 1, roles.Administrator)
			exchange(t, all...)
			if tc.forged {
				m, _ := sHal.r.Member(rita.fp())
				sHal.forge(forged{Entity: rita.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 1,
					Fields: fields(t, map[string]any{"role": roles.Physician, "status": StatusActive})})
				sHal.forge(forged{Entity: rita.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: m.Changes[0].Lamport - 1,
					Fields: fields(t, map[string]any{RoleChangeField(1): RoleChange{From: roles.Physician, To: roles.Administrator, Heads: m.Changes[0].Heads}})})
				exchange(t, all...)
			}
			m, _ := c.sPhys.r.Member(rita.fp())
			st, why := c.sPhys.state(conf.Header.ID)
			t.Logf("Rita on Paul's workstation: %s, admitted %s, %d change(s), disputed %v; her desk confirmation of Sly: %v %s",
				m.Role, m.Admitted, len(m.Changes), m.HistoryDisputed(), st, why)
			if st == store.Applied {
				t.Errorf("Rita's confirmation written at the front desk is applied as a physician's (disputed shown: %v)", m.HistoryDisputed())
			}
		})
	}
}
