package replica

// Session 13 hostile review, second pass (h-sec13b): the proofs of B1 and
// B4, fixed by Member.EnteredAt, and of B5, fixed by the confirms role rule
// (each failed on main). The review's other findings stay open: their
// proofs are on branch h/sec13b.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/roles"
)

// TestAttackS13bLowClockMoveBackKeepsOldConfirmations: a confirmation
// counts only if set after the colleague last moved into a role holding
// the scope (sinceEnteredLocked), and "after" is the Lamport clock of the
// change that moved her, which its writer chooses: nothing bounds an
// event's clock from below, and a change of role is consistent whatever
// its clock (roleHistory checks roles and heads only). Pia, whom Paul
// confirmed in person, is made an administrator; an administrator (a
// puppet she admitted, or a hostile colleague) writes change 2 moving her
// back to physician with a clock of 1. Her history reads physician ->
// administrator -> physician, EnteredAt is 1, Paul's old member/Pia is
// "after" it: he grants her the clinical key again with nobody having met
// her since (session 13 review S2, back).
func TestAttackS13bLowClockMoveBackKeepsOldConfirmations(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lamport uint64 // 0: the honest clock (control)
	}{
		{name: "control: the move back written with the writer's clock"},
		{name: "the move back written with a clock of 1", lamport: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			honestChange(t, c.sAdmin, c.phys2, 1, roles.Administrator)
			exchange(t, c.stations()...)
			if c.sPhys.r.MayGrant(roles.Clinical, c.phys2.fp()) {
				t.Fatal("setup: Paul still grants Pia the clinical key as an administrator")
			}
			heads := memberHeads(t, c.sAdmin, c.phys2)
			c.sAdmin.forge(forged{Entity: c.phys2.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: tc.lamport,
				Fields: fields(t, map[string]any{RoleChangeField(2): RoleChange{From: roles.Administrator, To: roles.Physician, Heads: heads}})})
			exchange(t, c.stations()...)
			m, _ := c.sPhys.r.Member(c.phys2.fp())
			if m.Role != roles.Physician || len(m.Changes) != 2 {
				t.Fatalf("setup: Pia reads as %s with %d changes on Paul's workstation", m.Role, len(m.Changes))
			}
			c.sPhys.r.state.RLock()
			var at []uint64
			for _, name := range c.sPhys.r.namingLocked(c.phys.fp(), confirmsFieldPrefix, c.phys2.fp(), true) {
				at = append(at, c.sPhys.r.confirms[c.phys.fp()].set[name].L)
			}
			c.sPhys.r.state.RUnlock()
			t.Logf("Pia entered the clinical scope at clock %d; Paul's confirmations of her are at %v", m.EnteredAt(roles.Clinical), at)
			if c.sPhys.r.MayGrant(roles.Clinical, c.phys2.fp()) {
				t.Error("Paul grants Pia the clinical key again: made a physician again by an administrator's word, nobody confirmed her since")
			}
		})
	}
}

// TestAttackS13bRoundTripWithoutRecordedChanges: an entry that records no
// change of role is judged by the role it names (Known limits: a version
// before session 12, or an administrator's software that leaves the change
// out), and Member.EnteredAt knows of a move into the scope then only when
// the role differs from the admission role. An administrator writes Pia's
// role administrator, then physician again, with no role_change/N: her
// role is her admission role again, EnteredAt is 0, and Paul's
// confirmation of her from before counts: she gets the clinical key back
// with nobody having met her (session 13 review S2, back, without any
// clock trick).
func TestAttackS13bRoundTripWithoutRecordedChanges(t *testing.T) {
	c := newClinic(t)
	c.changeRole(c.phys2, roles.Administrator)
	exchange(t, c.stations()...)
	if m, _ := c.sPhys.r.Member(c.phys2.fp()); m.Role != roles.Administrator || c.sPhys.r.MayGrant(roles.Clinical, c.phys2.fp()) {
		t.Fatalf("setup: Pia is %s on Paul's workstation, or he still grants her the clinical key", m.Role)
	}
	c.changeRole(c.phys2, roles.Physician)
	exchange(t, c.stations()...)
	if c.sPhys.r.MayGrant(roles.Clinical, c.phys2.fp()) {
		t.Error("Paul grants Pia the clinical key again: made an administrator and a physician again with no recorded change, nobody confirmed her since")
	}
}

// TestAttackS13bFormerPhysicianAtTheDeskVouchesOnceRevoked: a revoked
// member's "member/" fields count whatever role her entry says (edgeLocked,
// session 12 F2), and a receptionist may write her confirmations record
// (the member/ field is judged where the reckoning reads it, not on
// apply). Pia, a physician Paul confirmed, is moved to the front desk (an
// honest change). An administrator then admits Sly, a stand-in physician;
// Pia, now a receptionist, confirms Sly with a member/ field naming his
// admission (her modified software: the app writes desk/). While she works
// at the desk it counts for nothing; once she leaves and is revoked it
// counts as a physician's: Paul reaches Sly through his old confirmation
// of Pia and grants him the clinical key. Known limits justify the F2 rule
// with "as it could have while she was a physician", but Sly's admission
// did not exist while she was one (the session 12 F3 shape, back through
// the front desk; takes an administrator and the former physician).
func TestAttackS13bFormerPhysicianAtTheDeskVouchesOnceRevoked(t *testing.T) {
	for _, tc := range []struct {
		name   string
		revoke bool
		puppet bool // Pia, made an administrator, admits Sly and Pam; Pam moves her to the desk
	}{
		{name: "control: Pia still at the desk"},
		{name: "Pia revoked", revoke: true},
		{name: "Pia alone: an administrator, then at the desk by her puppet, revoked", revoke: true, puppet: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			var sly *person
			var all []*station
			var sSly *station
			if !tc.puppet {
				honestChange(t, c.sAdmin, c.phys2, 1, roles.Receptionist)
				exchange(t, c.stations()...)
				sly, sSly = c.admitted(t, "Sly Standin", roles.Physician)
				all = append(c.stations(), sSly)
				exchange(t, all...)
			} else {
				honestChange(t, c.sAdmin, c.phys2, 1, roles.Administrator)
				exchange(t, c.stations()...)
				sly, sSly = c.admittedBy(t, c.sPh2, "Sly Standin", roles.Physician)
				_, sPam := c.admittedBy(t, c.sPh2, "Pam Puppet", roles.Administrator)
				all = append(c.stations(), sSly, sPam)
				exchange(t, all...)
				honestChange(t, sPam, c.phys2, 2, roles.Receptionist)
				exchange(t, all...)
			}
			conf := c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{c.sPh2.confirmation(confirmsFieldPrefix, sly): mustJSON(true)}})
			if err := sSly.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			if tc.revoke {
				c.revoke(c.phys2)
				exchange(t, all...)
			}
			st, why := c.sPhys.state(conf.Header.ID)
			m, _ := c.sPhys.r.Member(c.phys2.fp())
			t.Logf("Pia on Paul's workstation: %s %s; her member/ confirmation of Sly: %v %s", m.Status, m.Role, st, why)
			if c.sPhys.r.MayGrant(roles.Clinical, sly.fp()) {
				t.Error("Paul grants the clinical key to Sly, whom no physician met: Pia confirmed him from the front desk, and her revocation made it a physician's confirmation")
			}
		})
	}
}
