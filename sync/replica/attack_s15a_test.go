package replica

// Session 15 hostile review, first pass (h-sec15a, /work/notes/sec-s15a.md).
// Each proof fails on main when committed.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS15aSecondRevocationWidensHeads: a revocation's heads
// (revoked_heads) are an ordinary field of the entry: the cell with the
// highest clock stands (directory.go memberFromState reads it as
// RevokedHeads), and authorize refuses only what lies past them. Pia, a
// physician, is revoked as the app does. Afterwards, her device (she
// colludes: a former physician) writes a "member/" confirmation of Sly,
// the administrator's stand-in physician, admitted after she left; Ada then revokes her again
// with a higher clock and heads naming that confirmation (what
// MemberHeads returns on Ada's workstation: the refused tail). Paul gets
// the second revocation before Pia's late event: her confirmation is
// applied, she is a revoked member whose confirmations still count
// (confirm.go), and Paul grants Sly the clinical key. A workstation that
// got Pia's event first keeps it refused (ruleRevoked is never judged
// again): arrival order decides too.
func TestAttackS15aSecondRevocationWidensHeads(t *testing.T) {
	for _, tc := range []struct {
		name   string
		second bool // Ada revokes Pia again over her late confirmation
	}{
		{name: "control: one revocation"},
		{name: "a second revocation naming her late confirmation", second: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			c.revokeAsTheAppDoes(t, c.phys2)
			exchange(t, c.stations()...)
			// Sly is admitted after Pia left: no confirmation she wrote
			// as a physician names his admission.
			sly, sSly := c.admitted(t, "Sly Standin", roles.Physician)
			all := append(c.stations(), sSly)
			exchange(t, all...)
			if err := sSly.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			late := c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{c.sPh2.confirmation(confirmsFieldPrefix, sly): mustJSON(true)}})
			c.sAdmin.apply(c.sPh2.own()...) // Pia hands it to Ada alone
			c.sRecep.apply(c.sPh2.own()...) // and Rita gets it before anything more of Ada's
			if tc.second {
				c.revokeAsTheAppDoes(t, c.phys2)
			}
			c.sPhys.apply(c.sAdmin.own()...) // the revocations first
			c.sPhys.apply(c.sPh2.own()...)
			exchange(t, all...)
			st, why := c.sPhys.state(late.Header.ID)
			m, _ := c.sPhys.r.Member(c.phys2.fp())
			t.Logf("Pia on Paul's: %s, heads %v; her confirmation of Sly after the revocation: %v %s", m.Status, m.RevokedHeads, st, why)
			if other, _ := c.sRecep.state(late.Header.ID); other != st {
				t.Errorf("Pia's late confirmation: %v on Paul's workstation, %v on Rita's (arrival order decides)", st, other)
			}
			if st == store.Applied {
				t.Error("Pia's confirmation written after her revocation is applied on Paul's workstation")
			}
			if c.sPhys.r.MayGrant(roles.Clinical, sly.fp()) {
				t.Error("Paul grants the clinical key to Sly, whom only a revoked physician confirmed after she left")
			}
		})
	}
}

// TestAttackS15aSecondRevocationKeepsARoleWrittenAfterTheFirst: a revoked
// entry with no change is read by the role written into it only if that
// role was written before the revocation (memberFromState: RoleLamport
// against the clock of "revoked_heads", else the admission role; S7).
// The clock compared is the revocation cell's, the highest of every
// revocation. The rest is sec-s14d's F1 scene (E3's attack): Pia, a
// physician, confirmed Rex ("member/") before she left; Rex confirms Sly,
// the stand-in, from the desk (refused: a receptionist's "member/"); Ada
// revokes Rex in the older form (no role recorded), writes "physician"
// into his entry (no effect: after the revocation), and revokes him once
// more: the role is now below the revocation's clock, his entry reads
// physician with no history, and his desk confirmation of Sly is applied
// (the role written outside the history still voids Pia's confirmation
// of him, EnteredAt, so Paul does not reach Sly: contained, LOW).
func TestAttackS15aSecondRevocationKeepsARoleWrittenAfterTheFirst(t *testing.T) {
	for _, tc := range []struct {
		name   string
		second bool
	}{
		{name: "control: the role written after the only revocation"},
		{name: "revoked again after the role", second: true},
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
			sly, sSly := c.admitted(t, "Sly Standin", roles.Physician)
			all = append(all, sSly)
			exchange(t, all...)
			conf := sRex.forge(forged{Entity: ConfirmsEntity(rex.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{sRex.confirmation(confirmsFieldPrefix, sly): mustJSON(true)}})
			if err := sSly.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			revoke := func() {
				c.sAdmin.append(Change{Entity: rex.fp(), Kind: KindMember, Scope: roles.Directory,
					Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": memberHeads(t, c.sAdmin, rex)})})
			}
			revoke()
			c.sAdmin.append(Change{Entity: rex.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"role": roles.Physician})})
			if tc.second {
				revoke()
			}
			exchange(t, all...)
			m, _ := c.sPhys.r.Member(rex.fp())
			st, why := c.sPhys.state(conf.Header.ID)
			t.Logf("Rex on Paul's workstation: %s %s, disputed %v, rewritten %v; his member/ confirmation of Sly: %v %s",
				m.Status, m.Role, m.HistoryDisputed(), m.RoleRewritten(), st, why)
			if st == store.Applied {
				t.Error("Rex's \"member/\" confirmation, written at the desk, is applied: his revoked entry reads him a physician by a role written after his first revocation")
			}
			// Contained for the key (not asserted): the role written
			// outside the history makes EnteredAt void Pia's confirmation
			// of Rex, so Paul does not reach Sly through him.
			t.Logf("Paul grants Sly the clinical key: %v", c.sPhys.r.MayGrant(roles.Clinical, sly.fp()))
		})
	}
}

// TestAttackS15aSecondAdmissionRoleIsLeftByChangeOne: a role written into
// an entry in an admission's shape (a role with a status) is kept as an
// admission role (rolecells.go role_seen/0), and change 1 may leave any
// of them (agreedChange: prev is every admission role). An event change
// 1 covers is then judged by the role it leaves alone (rolesIn:
// coversAll notes c.From and stops), not by every role she may have been
// admitted in. Pia, a physician, wrote "member/" of Rex, a receptionist
// (harmless while he is at the desk: E3's scene), and left. Sly, the
// stand-in, is admitted after; Rex confirms him from the desk ("member/":
// refused). Ada writes "physician" into Rex's entry with a status (a
// second admission role), then change 1 "physician to receptionist" over
// his events: his desk confirmation is judged a physician's and applied
// (shown only as a disputed history). Revoked over it (the role and count
// read as the app does), his confirmations count as he left them
// (confirm.go) and Paul, who reaches Rex through Pia, grants Sly the
// clinical key.
func TestAttackS15aSecondAdmissionRoleIsLeftByChangeOne(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rewrite bool
		revoke  bool
	}{
		{name: "control: nothing written"},
		{name: "a second admission role, then change 1 leaving it", rewrite: true},
		{name: "the same, then revoked over his confirmation", rewrite: true, revoke: true},
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
			sly, sSly := c.admitted(t, "Sly Standin", roles.Physician)
			all = append(all, sSly)
			exchange(t, all...)
			conf := sRex.forge(forged{Entity: ConfirmsEntity(rex.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{sRex.confirmation(confirmsFieldPrefix, sly): mustJSON(true)}})
			if err := sSly.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			if tc.rewrite {
				c.sAdmin.append(Change{Entity: rex.fp(), Kind: KindMember, Scope: roles.Directory,
					Fields: fields(t, map[string]any{"role": roles.Physician, "status": StatusActive})})
				writeChange(t, c.sAdmin, rex, 1, RoleChange{From: roles.Physician, To: roles.Receptionist,
					Heads: map[string]uint64{sRex.r.Device(): conf.Header.Seq}}, true)
			}
			if tc.revoke {
				// As the app does, her heads naming the confirmation (the
				// app's MemberHeads names a refused tail only once it is
				// refused by the role rule on Ada's workstation).
				heads := map[string]uint64{sRex.r.Device(): conf.Header.Seq, RevokedChanges: 1,
					RevokedRole + string(roles.Receptionist): 1}
				c.sAdmin.append(Change{Entity: rex.fp(), Kind: KindMember, Scope: roles.Directory,
					Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
			}
			exchange(t, all...)
			m, _ := c.sPhys.r.Member(rex.fp())
			st, why := c.sPhys.state(conf.Header.ID)
			t.Logf("Rex on Paul's workstation: %s %s, disputed %v; his member/ confirmation of Sly: %v %s",
				m.Status, m.Role, m.HistoryDisputed(), st, why)
			t.Logf("Rex's history: admitted %v, changes %v, fork %v", m.admitted, m.Changes, m.fork)
			if st == store.Applied {
				t.Error("Rex's \"member/\" confirmation, written at the desk, is applied: judged by the admission role change 1 leaves")
			}
			if c.sPhys.r.MayGrant(roles.Clinical, sly.fp()) {
				t.Error("Paul grants the clinical key to Sly, whom Rex confirmed at the desk")
			}
		})
	}
}
