package replica

// Session 15 hostile review, fourth pass (h-sec15d, /work/notes/sec-s15d.md).
// Each proof fails on main when committed.

import (
	"context"

	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS15dVoidRevocationSweepsForGood: a revocation's heads are
// "what every revocation let stand" (revokedReach), folded from the
// revocations applied; a revocation refused afterwards (its writer was
// revoked before she wrote it) is folded out of the entry with its fields
// (rebuildEntity), so the entry reads active again, or with the other
// revocations' wider heads. But the events the void revocation swept
// (sweepRevoked: ruleRevoked) are never judged again: refuseFrom only
// refuses, and nothing sends a ruleRevoked refusal back to pending. Bob,
// an administrator Ada revoked, writes after his revocation a revocation
// of Paul naming none of his events. Rita's workstation gets Bob's event
// before Ada's revocation of him: Paul's patient (and every act of his)
// is refused for good, while Pia's workstation, which got them the other
// way round, applies it: arrival order decides, and a revoked
// administrator alone erases an active physician's past on the
// workstations he reaches first.
func TestAttackS15dVoidRevocationSweepsForGood(t *testing.T) {
	for _, tc := range []struct {
		name string
		void bool // Bob's revocation of Paul is written after his own
	}{
		{name: "control: no revocation of Paul"},
		{name: "a revoked administrator's revocation of Paul, first on Rita's", void: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sBob := c.anotherAdmin(t, "Bob Admin")
			all := append(c.stations(), sBob)
			pat := c.sPhys.patient("Doe")
			exchange(t, all...)
			c.revokeAsTheAppDoes(t, sBob.p) // Ada revokes Bob; he has not heard of it
			if tc.void {
				sBob.append(Change{Entity: c.phys.fp(), Kind: KindMember, Scope: roles.Directory,
					Fields: fields(t, map[string]any{"status": StatusRevoked,
						"revoked_heads": map[string]uint64{c.sPhys.r.Device(): 1}})})
			}
			c.sRecep.apply(sBob.own()...) // Rita: Bob's late event first
			c.sRecep.apply(c.sAdmin.own()...)
			c.sPh2.apply(c.sAdmin.own()...) // Pia: Ada's revocation of Bob first
			c.sPh2.apply(sBob.own()...)
			exchange(t, all...)
			mR, _ := c.sRecep.r.Member(c.phys.fp())
			mP, _ := c.sPh2.r.Member(c.phys.fp())
			stR, whyR := c.sRecep.state(pat.Header.ID)
			stP, whyP := c.sPh2.state(pat.Header.ID)
			t.Logf("Paul on Rita's: %s; his patient %v %s", mR.Status, stR, whyR)
			t.Logf("Paul on Pia's: %s; his patient %v %s", mP.Status, stP, whyP)
			if mR.Revoked() || mP.Revoked() {
				t.Fatalf("Paul reads revoked (Rita's %v, Pia's %v) by a revocation its writer wrote after his own", mR.Revoked(), mP.Revoked())
			}
			if stR != stP {
				t.Errorf("Paul's patient: %v on Rita's workstation, %v on Pia's (arrival order decides)", stR, stP)
			}
			if stR != store.Applied {
				t.Errorf("Paul's patient is %v on Rita's workstation, though no standing revocation of him exists: %s", stR, whyR)
			}
			if diff := c.sRecep.snapshot().diff(c.sPh2.snapshot()); diff != "" {
				t.Errorf("Rita's and Pia's workstations differ: %s", diff)
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
// 12's list of former roles (empty) is none either.
func TestAttackS15dChangeOneLeavesAnyRoleOfAnEntryWithoutStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status bool // Rex's entry is written with a status (an admission's shape)
		legacy bool // and with session 12's empty list of former roles (no admission's shape then)
	}{
		{name: "control: admitted with a status", status: true},
		{name: "admitted without a status"},
		{name: "admitted with a status and an empty role_heads", status: true, legacy: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			rex := newPerson(t, "Rex Desk", roles.Receptionist)
			sRex := join(t, rex, c.id, c.admin.fp())
			c.sAdmin.apply(sRex.own()...)
			kv := map[string]any{"name": rex.name, "role": rex.role}
			if tc.status {
				kv["status"] = StatusActive
			}
			if tc.legacy {
				kv[FieldRoleHeads] = []RoleHeld{}
			}
			c.sAdmin.append(Change{Entity: rex.fp(), Kind: KindMember, Scope: roles.Directory, Fields: fields(t, kv)})
			c.sAdmin.grant(roles.Directory, rex)
			all := append(c.stations(), sRex)
			exchange(t, all...)
			if m, ok := c.sPhys.r.Member(rex.fp()); !ok || !m.Active() || m.Role != roles.Receptionist {
				t.Fatalf("setup: Rex on Paul's workstation: %v %s %s", ok, m.Status, m.Role)
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
			writeChange(t, c.sAdmin, rex, 1, RoleChange{From: roles.Physician, To: roles.Receptionist,
				Heads: map[string]uint64{sRex.r.Device(): conf.Header.Seq}}, true)
			exchange(t, all...)
			st, why := c.sPhys.state(conf.Header.ID)
			m, _ := c.sPhys.r.Member(rex.fp())
			t.Logf("Rex on Paul's workstation: %s %s, admitted %v, changes %d, disputed %v; his member/ of Sly: %v %s",
				m.Status, m.Role, m.admitted, len(m.Changes), m.HistoryDisputed(), st, why)
			if st == store.Applied {
				t.Error("Rex's \"member/\" confirmation, written at the desk, is applied: judged by the role change 1 leaves")
			}
			c.revokeAsTheAppDoes(t, rex)
			exchange(t, all...)
			if c.sPhys.r.MayGrant(roles.Clinical, sly.fp()) {
				t.Error("Paul grants the clinical key to Sly, whom Rex confirmed at the desk")
			}
		})
	}
}
