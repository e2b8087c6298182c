package replica

// Session 15 hostile review h-sec15d, V2 (/work/notes/sec-s15d.md), ported
// with its fix in session 16: a revocation swept by its author's own
// revocation (or change of role) still holds the member.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/roles"
)

// TestAttackS16RevokingTheRevokerReinstates: a revocation is final
// (memberFromState: an entry that carries revoked_heads reads revoked),
// but only while the revocation itself stands: the heads of a revocation
// are its writer's word, and one that names heads before the revoked
// administrator's revocation of a colleague refuses that revocation
// (sweepRevoked, refuseFrom: every event past the heads), which is folded
// out of the colleague's entry (rebuildEntity): she reads active again.
// Carl, an administrator, revoked Pia, a physician. Ada revokes Carl with
// his heads as they were before that revocation (modified software; the
// app names MemberHeads). Pia is active again on every workstation; the
// confirmations Paul and she wrote each other before she left count; Paul
// grants her the clinical key (the new epochs: what session 11's finding 2
// closed for an entry written "active" again), and her confirmation of
// Sly, Ada's stand-in admitted after she left, makes Paul grant him the
// clinical key too. Moving Carl to the front desk with the same heads
// does the same (his revocation is then refused by the role rule).
func TestAttackS16RevokingTheRevokerReinstates(t *testing.T) {
	for _, tc := range []struct {
		name   string
		narrow bool // Ada names Carl's heads before his revocation of Pia
		move   bool // she moves him to the front desk instead of revoking him
	}{
		{name: "control: Carl revoked with his heads as they are"},
		{name: "Carl revoked with heads before his revocation of Pia", narrow: true},
		{name: "Carl moved to the desk with heads before his revocation of Pia", narrow: true, move: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			sCarl := c.anotherAdmin(t, "Carl Admin")
			carl := sCarl.p
			all := append(c.stations(), sCarl)
			before := memberHeads(t, c.sAdmin, carl) // Carl before he revokes Pia
			m, _ := sCarl.r.Member(c.phys2.fp())
			heads := memberHeads(t, sCarl, c.phys2)
			heads[RevokedChanges], heads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
			sCarl.append(Change{Entity: c.phys2.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
			exchange(t, all...)
			if m, _ := c.sPhys.r.Member(c.phys2.fp()); !m.Revoked() || c.sPhys.r.MayGrant(roles.Clinical, c.phys2.fp()) {
				t.Fatalf("setup: Pia on Paul's workstation after Carl revoked her: %s, may be granted %v", m.Status,
					c.sPhys.r.MayGrant(roles.Clinical, c.phys2.fp()))
			}
			sly, sSly := c.admitted(t, "Sly Standin", roles.Physician)
			all = append(all, sSly)
			exchange(t, all...)
			if err := sSly.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			// Ada revokes Carl.
			ch := memberHeads(t, c.sAdmin, carl)
			if tc.narrow {
				ch = before
			}
			mc, _ := c.sAdmin.r.Member(carl.fp())
			if tc.move {
				writeChange(t, c.sAdmin, carl, len(mc.Changes)+1, RoleChange{From: mc.Role, To: roles.Receptionist, Heads: ch}, true)
			} else {
				ch[RevokedChanges], ch[RevokedRole+string(mc.Role)] = uint64(len(mc.Changes)), 1
				c.sAdmin.append(Change{Entity: carl.fp(), Kind: KindMember, Scope: roles.Directory,
					Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": ch})})
			}
			exchange(t, all...)
			// Pia, a former physician, confirms Sly as her software lets
			// her; Paul must grant neither (attack_s16a_test.go).
			piaBack(t, c, sly, all)
		})
	}
}
