package replica

// Session 16, V3 (/work/notes/sec-s15d.md): the proof from h/sec15d's
// attack_s15d_test.go, carried over (its second case failed on main at
// d3fac73); it passes with the clock-free binding of confirmations to the
// event of a move (entered.go).

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/roles"
)

// TestAttackS15dBackdatedFirstChangeKeepsADeskConfirmation: a colleague's
// confirmation counts only if written after the member last moved into a
// role holding the scope (sinceEnteredLocked, Member.EnteredAt). For a
// first change, enteredIn reads "after" as above the admission's clock
// and the change's own: both clocks are their writers' word, and nothing
// bounds a change's clock by the confirmations written before it (B1 was
// fixed for a move back: above the changes before it, not above the
// colleagues' confirmations). Pia, a physician, wrote "member/" of Rex, a
// receptionist (harmless while he is at the desk: E3's scene), and left.
// Ada writes change 1 "receptionist to physician" into Rex's entry with a
// clock below Pia's confirmation: EnteredAt is his admission's clock, her
// confirmation counts, Rex (Ada's puppet) confirms Paul as a physician and
// Paul grants him the clinical key. Nothing is disputed or rewritten.
// Closed in session 16: Rex came into the clinical scope by change 1, and
// Pia's confirmation names his admission, not an event that wrote change
// 1 (entered.go), whatever its clock.
func TestAttackS15dBackdatedFirstChangeKeepsADeskConfirmation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lamport uint64 // of the change (0: the writer's clock)
	}{
		{name: "control: change 1 at the writer's clock"},
		{name: "change 1 with a clock below Pia's confirmation", lamport: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			rex, sRex := c.admitted(t, "Rex Desk", roles.Receptionist)
			all := append(c.stations(), sRex)
			exchange(t, all...)
			c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{c.sPh2.confirmation(confirmsFieldPrefix, rex): mustJSON(true)}})
			exchange(t, all...)
			c.revokeAsTheAppDoes(t, c.phys2) // Pia leaves
			exchange(t, all...)
			c.sAdmin.forge(forged{Entity: rex.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: tc.lamport,
				Fields: Fields{RoleChangeField(1): mustJSON(RoleChange{From: roles.Receptionist, To: roles.Physician,
					Heads: memberHeads(t, c.sAdmin, rex)})}})
			exchange(t, all...)
			if err := sRex.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			m, _ := c.sPhys.r.Member(rex.fp())
			t.Logf("Rex on Paul's workstation: %s %s, entered the clinical scope %v (admitted at %d), disputed %v, rewritten %v",
				m.Status, m.Role, m.entered(roles.Clinical), m.AdmittedLamport, m.HistoryDisputed(), m.RoleRewritten())
			if c.sPhys.r.MayGrant(roles.Clinical, rex.fp()) {
				t.Error("Paul grants Rex the clinical key on Pia's confirmation of him at the desk, written before his move")
			}
		})
	}
}

// TestAttackS15dChangeOneLeavesAnyRoleOfAnEntryWithoutStatus: the roles
// an entry was admitted with are kept from admission-shaped events only
// (a role written with a status: rolecells.go admissionShaped); an entry
// written without a status has none, and then change 1 may leave any
// role (agreedChange: len(prev) == 0) and G3's fix (rolesAt: every
// admission role, when there are several) does not apply. Rex's entry is
// written with his name and role, no status (modified software; he reads
// active). The rest is G3's scene: Pia's "member/" of Rex at the desk, she
// leaves, Rex confirms Sly from the desk (refused), Ada writes change 1
// "physician to receptionist" over it: his desk confirmation is judged a
// physician's and applied; revoked as the app does, his confirmations
// count as he left them and Paul grants Sly the clinical key. A status
// alone does not make the shape: an admission that also writes session
