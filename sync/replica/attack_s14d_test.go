package replica

// Session 14 hostile review, fourth pass (h-sec14d, /work/notes/sec-s14d.md):
// proofs against the fixes of sec-s14c (E1-E4). Each fails on main when
// committed.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS14dIntermediateViewIsNeverJudgedAgain: judgeRoles judges a
// member's events again where their role differs between the view
// recorded for her (roleSeen: the last judgeRoles, or since E4 the view
// her first event of an Apply was decided by) and her entry now. An event
// decided on arrival by a view in between — her entry changed, the event
// came, her entry changed again, all in one Apply — is compared by the
// two ends only: where they agree on its role, it keeps the verdict of
// the view in between. Tom, a receptionist, is moved to the physicians by
// Ada; he confirms Paul as a physician; Bob, who had Tom's chain but not
// Ada's move, moves him too (the same pair, heads over the confirmation:
// a disputed history, shown). Every workstation judges the confirmation
// by {receptionist, physician} and refuses it (a receptionist's
// "member/"). Nell, who knew Tom as a receptionist, gets Ada's move,
// Tom's confirmation and Bob's move in one batch: the confirmation is
// decided by the move alone (physician: applied), and judgeRoles
// compares receptionist (before) with receptionist (the least of the
// disputed set): it stays applied on Nell's workstation for good.
func TestAttackS14dIntermediateViewIsNeverJudgedAgain(t *testing.T) {
	for _, tc := range []struct {
		name string
		one  bool
	}{
		{name: "control: each change in an Apply of its own"},
		{name: "both moves and the confirmation in one Apply", one: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			_, sNell := c.admitted(t, "Nell Newcomer", roles.Physician)
			exchange(t, append(c.stations(), sNell)...)
			sBob := c.anotherAdmin(t, "Bob Admin", sNell)
			tom, sTom := c.admitted(t, "Tom Desk", roles.Receptionist)
			all := append(c.stations(), sNell, sBob, sTom)
			exchange(t, all...)
			if m, _ := sNell.r.Member(tom.fp()); m.Role != roles.Receptionist {
				t.Fatalf("setup: Nell reads Tom as %s", m.Role)
			}
			// Ada moves Tom to the physicians; Tom has it.
			honestChange(t, c.sAdmin, tom, 1, roles.Physician)
			ada := c.sAdmin.own()
			move := ada[len(ada)-1]
			sTom.apply(move)
			if err := sTom.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			confs := ownOfKind(t, sTom, KindConfirms)
			if len(confs) != 1 {
				t.Fatalf("setup: Tom wrote %d confirmations", len(confs))
			}
			// Bob has Tom's chain, not Ada's move, and moves him too.
			sBob.apply(sTom.own()...)
			honestChange(t, sBob, tom, 1, roles.Physician)
			bob := sBob.own()
			bobMove := bob[len(bob)-1]
			if tc.one {
				sNell.apply(append(append([][]byte{move}, sTom.own()...), bobMove)...)
			} else {
				sNell.apply(move)
				sNell.apply(sTom.own()...)
				sNell.apply(bobMove)
			}
			nellSt, nellWhy := sNell.state(confs[0])
			exchange(t, all...)
			m, _ := c.sPhys.r.Member(tom.fp())
			t.Logf("Tom: %s, disputed %v; Nell before the exchange: %v %s", m.Role, m.HistoryDisputed(), nellSt, nellWhy)
			on := map[string]store.EnvelopeState{}
			for _, s := range all {
				st, why := s.state(confs[0])
				on[s.p.name] = st
				t.Logf("Tom's confirmation of Paul on %s's workstation: %v %s", s.p.name, st, why)
			}
			if on[sNell.p.name] != on[sBob.p.name] || on[c.phys.name] != on[sBob.p.name] {
				t.Errorf("Tom's confirmation: %v on Nell's, %v on Paul's, %v on Bob's workstation (arrival order decides)",
					on[sNell.p.name], on[c.phys.name], on[sBob.p.name])
			}
		})
	}
}

// TestAttackS14dRevocationRoleOverAnEntryAdmittedWithoutStatus: E3's fix
// checks a revocation's role against the roles the entry was admitted
// with (admittedRoles: every role an admission-shaped event wrote, that
// is a role written with a status). An administrator whose software
// admits Rex, a receptionist, with his name and role and no status (the
// entry reads active all the same: memberFromState) leaves admittedRoles
// empty, and `len(read) > 0` skips the check: the revocation's role
// replaces his outright, as before E3's fix. The rest is E3's attack:
// Pia, a physician, confirmed Rex ("member/", harmless: a receptionist's
// confirmations count for nothing clinical) before she left; Rex
// confirms Sly, the administrator's stand-in physician, from the desk
// (refused); the administrator revokes Rex recording "role:physician":
// his confirmation of Sly counts, and Paul grants Sly the clinical key.
func TestAttackS14dRevocationRoleOverAnEntryAdmittedWithoutStatus(t *testing.T) {
	for _, tc := range []struct {
		name     string
		noStatus bool
		after    bool // the revocation records no role; "physician" is written into the entry after it
		readmit  bool // ... with a status (an admission's shape: a second admission role)
	}{
		{name: "control: admitted as the app does"},
		{name: "admitted without a status", noStatus: true},
		{name: "control: admitted as the app does, the role written after the revocation", after: true},
		{name: "admitted without a status, the role written after the revocation", noStatus: true, after: true},
		{name: "admitted as the app does, admitted again as a physician after the revocation", after: true, readmit: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			rex := newPerson(t, "Rex Desk", roles.Receptionist)
			sRex := join(t, rex, c.id, c.admin.fp())
			c.sAdmin.apply(sRex.own()...)
			admission := map[string]any{"name": rex.name, "role": rex.role, "status": StatusActive}
			if tc.noStatus {
				delete(admission, "status")
			}
			c.sAdmin.append(Change{Entity: rex.fp(), Kind: KindMember, Scope: roles.Directory, Fields: fields(t, admission)})
			c.sAdmin.grant(roles.Directory, rex)
			all := append(c.stations(), sRex)
			exchange(t, all...)
			if m, _ := c.sPhys.r.Member(rex.fp()); !m.Active() || m.Role != roles.Receptionist {
				t.Fatalf("setup: Rex reads %s %s", m.Status, m.Role)
			}
			c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{c.sPh2.confirmation(confirmsFieldPrefix, rex): mustJSON(true)}})
			exchange(t, all...)
			c.revokeAsTheAppDoes(t, c.phys2) // Pia leaves
			exchange(t, all...)
			sly, sSly := c.admitted(t, "Sly Standin", roles.Physician)
			all = append(all, sSly)
			exchange(t, all...)
			conf := sRex.forge(forged{Entity: ConfirmsEntity(rex.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{sRex.confirmation(confirmsFieldPrefix, sly): mustJSON(true)}})
			if err := sSly.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			heads := memberHeads(t, c.sAdmin, rex)
			if !tc.after {
				heads[RevokedChanges], heads[RevokedRole+string(roles.Physician)] = 0, 1
			}
			c.sAdmin.append(Change{Entity: rex.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
			if tc.after {
				again := map[string]any{"role": roles.Physician}
				if tc.readmit {
					again["status"] = StatusActive
				}
				c.sAdmin.append(Change{Entity: rex.fp(), Kind: KindMember, Scope: roles.Directory, Fields: fields(t, again)})
			}
			exchange(t, all...)
			m, _ := c.sPhys.r.Member(rex.fp())
			st, why := c.sPhys.state(conf.Header.ID)
			t.Logf("Rex on Paul's workstation: %s %s, disputed %v, rewritten %v; his member/ confirmation of Sly: %v %s",
				m.Status, m.Role, m.HistoryDisputed(), m.RoleRewritten(), st, why)
			if c.sPhys.r.MayGrant(roles.Clinical, sly.fp()) {
				t.Error("Paul grants the clinical key to Sly, whom no physician met: Rex confirmed him at the desk, and his revoked entry reads him a physician")
			}
		})
	}
}

// TestAttackS14dAnchorJudgedByHerEntryNeverAgain: a newcomer authorises
// the administrator who invited her (an anchor) before her entry comes,
// and judgeRoles judges her events again by her entry when it comes
// ("authorised as an administrator before her entry came",
// roleheads.go). E4's fix records, in decide, the view a member's events
// are first judged by: an event of the anchor decided after her entry
// came, in the same Apply, records her entry's view, and judgeRoles then
// finds nothing changed. Bob, an administrator Ada moved to the desk,
// admits Sly after the move (refused everywhere: a receptionist). Nell,
// whom Bob invited, gets Bob's chain up to Sly's admission, Ada's chain
// (Bob's entry and his move), and one more event of Bob's in one Apply:
// Sly's admission stays applied on her workstation.
func TestAttackS14dAnchorJudgedByHerEntryNeverAgain(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after bool // one more event of Bob's after Ada's chain
	}{
		{name: "control: nothing of Bob's after his entry"},
		{name: "one more event of Bob's after his entry", after: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sBob := c.anotherAdmin(t, "Bob Admin")
			bob := sBob.p
			nell := newPerson(t, "Nell Newcomer", roles.Physician)
			sNell := join(t, nell, c.id, bob.fp())
			sBob.apply(sNell.own()...)
			sBob.admit(nell)
			sBob.grant(roles.Directory, nell)
			all := append(c.stations(), sBob)
			exchange(t, all...)
			honestChange(t, c.sAdmin, bob, 1, roles.Receptionist)
			exchange(t, c.stations()...) // not Bob
			sly := newPerson(t, "Sly Standin", roles.Physician)
			sSly := join(t, sly, c.id, c.admin.fp())
			sBob.apply(sSly.own()...)
			sBob.admit(sly)
			bobs := sBob.own()
			admitSly := bobs[len(bobs)-1]
			batch := append(append(append([][]byte{}, bobs...), sSly.own()...), c.sAdmin.own()...)
			if tc.after {
				e2 := sBob.append(Change{Entity: nell.fp(), Kind: KindMember, Scope: roles.Directory,
					Fields: fields(t, map[string]any{"name": nell.name})})
				batch = append(batch, e2.Raw)
			}
			sNell.apply(batch...)
			env, _ := crypto.ParseEnvelope(admitSly)
			exchange(t, append(all, sSly)...)
			m, _ := sNell.r.Member(bob.fp())
			nellSt, nellWhy := sNell.state(env.Header.ID)
			paulSt, paulWhy := c.sPhys.state(env.Header.ID)
			t.Logf("Bob on Nell's workstation: %s; his admission of Sly: Nell %v %s; Paul %v %s", m.Role, nellSt, nellWhy, paulSt, paulWhy)
			if nellSt != paulSt {
				t.Errorf("Bob's admission of Sly, written after he left the administrators: %v on Nell's workstation, %v on Paul's", nellSt, paulSt)
			}
		})
	}
}
