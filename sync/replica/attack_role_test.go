package replica

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// changeRole writes p's new role as the app's ChangeRole does: the role,
// and the role held before with p's heads as s knows them.
func changeRole(t *testing.T, s *station, p *person, from, to roles.Role) {
	t.Helper()
	heads := memberHeads(t, s, p)
	s.append(Change{Entity: p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"role": to, FieldRoleHeads: []RoleHeld{{Role: from, Heads: heads}}})})
}

// TestAttackS12RoleChangeRefusesEarlierWritesOnLaterWorkstations (session
// 12 review, finding 6): the policy rule judged an event by its author's
// role when it was applied (authorize returned the directory's role now),
// not the role she held when she wrote it. Pia, a physician, writes a
// note; the administrator changes her role. Paul's workstation, which
// applied the note before, kept it; a physician who joined later and
// heard of the change first refused it: the clinic's workstations no
// longer held the same records. Now the change records Pia's heads as the
// administrator's workstation saw them, and every workstation judges what
// she wrote up to there by her former role, what she wrote after by the
// new one, whatever order the events and the change arrive in.
func TestAttackS12RoleChangeRefusesEarlierWritesOnLaterWorkstations(t *testing.T) {
	for _, tc := range []struct {
		name       string
		to         roles.Role
		unseen     bool // the administrator's workstation had not seen the note when it changed her role
		adminFirst bool // the newcomer syncs from the administrator first
		wantKept   bool
	}{
		{name: "to the front desk, newcomer hears of the change first", to: roles.Receptionist, adminFirst: true, wantKept: true},
		{name: "to the front desk, newcomer hears of the note first", to: roles.Receptionist, wantKept: true},
		{name: "to administrator, newcomer hears of the change first", to: roles.Administrator, adminFirst: true, wantKept: true},
		// What the administrator had not seen is judged by the new role:
		// refused everywhere, also where it was applied before.
		{name: "note not seen at the change, change first", to: roles.Receptionist, unseen: true, adminFirst: true},
		{name: "note not seen at the change, note first", to: roles.Receptionist, unseen: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			note := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
				Fields: fields(t, map[string]any{"plan": "written while a physician"})})
			if tc.unseen {
				exchange(t, c.sPh2, c.sPhys) // Paul applies it; the administrator has not seen it
			} else {
				exchange(t, c.stations()...)
			}
			changeRole(t, c.sAdmin, c.phys2, roles.Physician, tc.to)
			exchange(t, c.stations()...)
			_, sZed := c.admitted(t, "Zed Later", roles.Physician)
			order := []*station{c.sAdmin, c.sPh2, c.sPhys}
			if !tc.adminFirst {
				order = []*station{c.sPh2, c.sPhys, c.sAdmin}
			}
			for _, s := range order {
				sZed.apply(s.everything()...)
			}
			for _, s := range []*station{c.sPhys, c.sPh2, c.sAdmin, sZed} {
				st, reason := s.state(note.Header.ID)
				if kept := st != store.Rejected; kept != tc.wantKept {
					t.Errorf("%s: note kept %v (%s), want %v", s.p.name, kept, reason, tc.wantKept)
				}
			}
		})
	}
}

// TestRoleChangeWithoutHeadsJudgesAllByTheNewRole: an entry whose role is
// written without a recorded change (an older version's change, or an
// administrator's software that leaves it out: session 13 review, S4) is
// judged by the role it names for every event of the member, and every
// workstation judges again what it applied: Paul refuses the note he
// applied, as a newcomer does (before, he kept it and the clinic split).
// A leaver's entry is frozen by her revocation: a role written into it
// afterwards takes no effect (session 13 review, S7).
func TestRoleChangeWithoutHeadsJudgesAllByTheNewRole(t *testing.T) {
	for _, tc := range []struct {
		name   string
		revoke bool
		kept   bool
	}{
		{name: "active"},
		{name: "revoked first", revoke: true, kept: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			note := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
				Fields: fields(t, map[string]any{"plan": "written while a physician"})})
			exchange(t, c.stations()...)
			if tc.revoke {
				c.revoke(c.phys2)
				exchange(t, c.stations()...)
			}
			c.changeRole(c.phys2, roles.Receptionist)
			exchange(t, c.stations()...)
			if m, _ := c.sPhys.r.Member(c.phys2.fp()); tc.revoke && m.Role != roles.Physician {
				t.Errorf("a role written after Pia's revocation took effect: %s", m.Role)
			}
			for _, s := range c.stations() {
				if st, reason := s.state(note.Header.ID); (st != store.Rejected) != tc.kept {
					t.Errorf("%s: note kept %v (%s), want %v", s.p.name, st != store.Rejected, reason, tc.kept)
				}
			}
		})
	}
}

// TestRoleHeadsShape: the administrators write role_heads; its shape and
// size are checked on every workstation (refused as content) and before
// the administrator's own workstation writes it.
func TestRoleHeadsShape(t *testing.T) {
	dev := strings.Repeat("a", 32)
	many := func(n int, h RoleHeld) []RoleHeld {
		out := make([]RoleHeld, n)
		for i := range out {
			out[i] = h
		}
		return out
	}
	manyDevices := map[string]uint64{}
	for i := range MaxRoleDevices + 1 {
		manyDevices[fmt.Sprintf("%032x", i)] = 1
	}
	for _, tc := range []struct {
		name string
		v    any
		ok   bool
	}{
		{name: "one change", v: []RoleHeld{{Role: roles.Physician, Heads: map[string]uint64{dev: 3}}}, ok: true},
		{name: "no heads", v: []RoleHeld{{Role: roles.Physician}}, ok: true},
		{name: "not a list", v: "physician"},
		{name: "no role", v: []RoleHeld{{Role: "surgeon", Heads: map[string]uint64{dev: 3}}}},
		{name: "no device", v: []RoleHeld{{Role: roles.Physician, Heads: map[string]uint64{"Ada's laptop": 3}}}},
		{name: "too many changes", v: many(MaxRoleChanges+1, RoleHeld{Role: roles.Physician})},
		{name: "too many devices", v: []RoleHeld{{Role: roles.Physician, Heads: manyDevices}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			f := fields(t, map[string]any{FieldRoleHeads: tc.v})
			_, err := c.sAdmin.r.Append(context.Background(), Change{Entity: c.phys2.fp(), Kind: KindMember, Scope: roles.Directory, Fields: f})
			if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrForbidden) {
				t.Errorf("the administrator's own Append: %v, want ok %v", err, tc.ok)
			}
			if err == nil {
				return
			}
			env := c.sAdmin.forge(forged{Entity: c.phys2.fp(), Kind: KindMember, Scope: string(roles.Directory), Fields: f})
			c.sPhys.apply(c.sAdmin.everything()...)
			if st, reason := c.sPhys.state(env.Header.ID); st != store.Rejected {
				t.Errorf("Paul applies role_heads %v: %v %s", tc.v, st, reason)
			}
		})
	}
}

// TestRoleChangeJudgesRefusedAgain: an event refused for its author's
// role is judged again when her role changes. Rita, a receptionist, has
// her software write a note (no receptionist may). Where the
// administrator's workstation had seen it when it made her a physician, it
// stays refused everywhere (written as a receptionist); where it had not,
// it is judged by her new role everywhere: Paul, who refused it before,
// and a newcomer who hears of the change first agree.
func TestRoleChangeJudgesRefusedAgain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		unseen  bool
		refused bool
	}{
		{name: "seen at the change", refused: true},
		{name: "not seen at the change", unseen: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			note := c.sRecep.forge(forged{Entity: crypto.NewEventID(), Kind: "note", Scope: string(roles.Clinical),
				Fields: fields(t, map[string]any{"plan": "written at the front desk"})})
			if tc.unseen {
				exchange(t, c.sRecep, c.sPhys)
			} else {
				exchange(t, c.stations()...)
			}
			if st, _ := c.sPhys.state(note.Header.ID); st != store.Rejected {
				t.Fatalf("setup: Paul did not refuse the receptionist's note: %v", st)
			}
			changeRole(t, c.sAdmin, c.recep, roles.Receptionist, roles.Physician)
			exchange(t, c.stations()...)
			_, sZed := c.admitted(t, "Zed Later", roles.Physician)
			for _, s := range []*station{c.sAdmin, c.sRecep, c.sPhys} {
				sZed.apply(s.everything()...)
			}
			for _, s := range []*station{c.sPhys, c.sAdmin, sZed} {
				st, reason := s.state(note.Header.ID)
				if refused := st == store.Rejected; refused != tc.refused {
					t.Errorf("%s: note refused %v (%s), want %v", s.p.name, refused, reason, tc.refused)
				}
			}
		})
	}
}
