package replica

// Session 13 hostile review, second pass (h-sec13b): the B5 proof (the
// other proofs are on h/sec13b), failing on main at 5a2cdc8.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/roles"
)

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
				sly = newPerson(t, "Sly Standin", roles.Physician)
				sSly = join(t, sly, c.id, c.phys2.fp())
				c.sPh2.apply(sSly.own()...)
				c.sPh2.admit(sly)
				c.sPh2.grant(roles.Directory, sly)
				pam := newPerson(t, "Pam Puppet", roles.Administrator)
				sPam := join(t, pam, c.id, c.phys2.fp())
				c.sPh2.apply(sPam.own()...)
				c.sPh2.admit(pam)
				c.sPh2.grant(roles.Directory, pam)
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
