package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestChangeRole: an administrator changes a physician into a receptionist
// and a receptionist into a physician. The demoted member loses the
// clinical scope like a revoked one (a new epoch nobody grants them); the
// promoted one is granted it; both keep the front desk.
func TestChangeRole(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	phys2 := c.phys2.rep.Fingerprint()
	recep := c.recep.rep.Fingerprint()
	before, _ := c.phys.rep.Key(roles.Clinical)

	for name, tc := range map[string]struct {
		s    *Session
		fp   string
		role roles.Role
	}{
		"yourself":       {c.admin, c.admin.rep.Fingerprint(), roles.Physician},
		"the same role":  {c.admin, phys2, roles.Physician},
		"an unknown key": {c.admin, "00", roles.Physician},
		"no such role":   {c.admin, phys2, roles.Role("nurse")},
		"not an admin":   {c.phys, recep, roles.Physician},
	} {
		if err := tc.s.ChangeRole(ctx, tc.fp, tc.role); err == nil {
			t.Errorf("%s: changed", name)
		} else if name != "not an admin" && !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: %v", name, err)
		}
	}

	if err := c.admin.ChangeRole(ctx, phys2, roles.Receptionist); err != nil {
		t.Fatalf("ChangeRole: %v", err)
	}
	if err := c.admin.ChangeRole(ctx, recep, roles.Physician); err != nil {
		t.Fatalf("ChangeRole: %v", err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	// An administrator's word alone gives nobody the clinical key: the new
	// physician holds it once a physician confirmed her in person.
	if c.recep.rep.Holds(roles.Clinical) {
		t.Fatal("the receptionist made a physician holds the clinical key before any physician confirmed her")
	}
	confirmEachOther(t, c.phys, c.recep)
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	after, _ := c.phys.rep.Key(roles.Clinical)
	if after.Epoch>>16 <= before.Epoch>>16 {
		t.Fatalf("no new clinical epoch after the physician left the role: %x -> %x", before.Epoch, after.Epoch)
	}
	if m, _ := c.phys.rep.Member(phys2); m.Role != roles.Receptionist || !m.Active() {
		t.Errorf("the directory says %+v", m)
	}
	if c.phys.rep.Granted(phys2, roles.Clinical, after.Epoch) {
		t.Error("the new clinical epoch was granted to the member who left the role")
	}
	if !c.phys2.rep.Holds(roles.FrontDesk) {
		t.Error("the former physician lost the front desk")
	}
	if k, ok := c.recep.rep.Key(roles.Clinical); !ok || k.Epoch != after.Epoch {
		t.Errorf("the new physician holds clinical %v (%x), want %x", ok, k.Epoch, after.Epoch)
	}
	// Their own workstations take the new roles at the next unlock.
	c.recep.Lock()
	if err := c.recep.Unlock(ctx, []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	if c.recep.Role() != roles.Physician {
		t.Errorf("after unlock the promoted member's role is %s", c.recep.Role())
	}
}

// TestChangeRoleRecordsHeads (session 12 review, finding 6): a change of
// role records the role held before and the member's heads as the
// administrator's workstation knows them, so every workstation judges
// what she wrote before by her former role (replica.Member.RoleHeads).
func TestChangeRoleRecordsHeads(t *testing.T) {
	ctx := context.Background()
	c, p := clinicWithPatient(t)
	mustSync(t, c.all()...)
	if _, err := clin(c.phys2).WriteNote(ctx, Note{Patient: p.ID, Plan: "written while a physician"}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	dev := rep(t, c.phys2).Device()
	own, err := rep(t, c.phys2).EnvelopesAfter(ctx, dev, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	fp := c.phys2.Fingerprint()
	for i, to := range []roles.Role{roles.Receptionist, roles.Physician} {
		if err := c.admin.ChangeRole(ctx, fp, to); err != nil {
			t.Fatal(err)
		}
		mustSync(t, c.all()...)
		m, _ := rep(t, c.phys).Member(fp)
		if len(m.RoleHeads) != i+1 {
			t.Fatalf("after change %d the entry records %d former roles: %+v", i+1, len(m.RoleHeads), m.RoleHeads)
		}
	}
	m, _ := rep(t, c.phys).Member(fp)
	if first := m.RoleHeads[0]; first.Role != roles.Physician || first.Heads[dev] < uint64(len(own)) {
		t.Errorf("the first change records %s with heads %v, want physician with %s at %d or more", first.Role, first.Heads, dev, len(own))
	}
	if second := m.RoleHeads[1]; second.Role != roles.Receptionist {
		t.Errorf("the second change records %s, want receptionist", second.Role)
	}
	// Each change its own field, written once (session 13 review): the
	// history reads physician -> receptionist -> physician from the
	// admission role on.
	if len(m.Changes) != 2 || m.Admitted != roles.Physician || m.Changes[0].To != roles.Receptionist || m.Changes[1].To != roles.Physician {
		t.Errorf("the history reads admitted %s, changes %+v", m.Admitted, m.Changes)
	}
	_, st, err := rep(t, c.phys).Entity(ctx, fp)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 2; n++ {
		if _, ok := st[replica.RoleChangeField(n)]; !ok {
			t.Errorf("the entry has no field %s", replica.RoleChangeField(n))
		}
	}
	// The second change wrote only change 2: a change written again
	// would read as disputed (replica's rolecells.go, session 14).
	if m.HistoryDisputed() || m.RoleRewritten() {
		t.Errorf("two honest changes read as a disputed history (%v) or a role written outside it (%v)", m.HistoryDisputed(), m.RoleRewritten())
	}
	// A revocation records how many changes it read.
	if err := c.admin.RevokeMember(ctx, fp); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	if _, st, err = rep(t, c.phys).Entity(ctx, fp); err != nil {
		t.Fatal(err)
	}
	var heads map[string]uint64
	if ok, err := st.Get("revoked_heads", &heads); !ok || err != nil || heads[replica.RevokedChanges] != 2 {
		t.Errorf("the revocation records %d changes (found %v, %v), want 2", heads[replica.RevokedChanges], ok, err)
	}
	if m, _ := rep(t, c.phys).Member(fp); len(m.Changes) != 2 || m.HistoryDisputed() {
		t.Errorf("revoked, Pia's history reads %d changes, disputed %v", len(m.Changes), m.HistoryDisputed())
	}
}

// TestChangeRoleAfterAnUnrecordedChange: a member whose role an older
// version changed without recording the change (the role alone) is changed
// again: the history records that change first, from the role she was
// admitted with, so every workstation reads the new change (session 13
// review: a history starts from the admission role).
func TestChangeRoleAfterAnUnrecordedChange(t *testing.T) {
	ctx := context.Background()
	c, _ := clinicWithPatient(t)
	fp := c.phys2.Fingerprint()
	f, err := replica.F(map[string]any{"role": roles.Receptionist})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rep(t, c.admin).Append(ctx, replica.Change{Entity: fp, Kind: replica.KindMember, Scope: roles.Directory, Fields: f}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	if err := c.admin.ChangeRole(ctx, fp, roles.Administrator); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	m, _ := rep(t, c.phys).Member(fp)
	if m.Role != roles.Administrator || len(m.Changes) != 2 || m.Changes[0].From != roles.Physician || m.Changes[1].From != roles.Receptionist {
		t.Errorf("Paul reads Pia as %s with changes %+v; want administrator, physician -> receptionist -> administrator", m.Role, m.Changes)
	}
}

// TestChangeRoleRefusedWhileDisputed: once administrators recorded
// different changes of a member's role for one number, a new change would
// not be read past them (replica's rolecells.go): ChangeRole says so and
// what to do instead, rather than writing a change that takes no effect.
func TestChangeRoleRefusedWhileDisputed(t *testing.T) {
	ctx := context.Background()
	c, _ := clinicWithPatient(t)
	fp := c.phys2.Fingerprint()
	if err := c.admin.ChangeRole(ctx, fp, roles.Receptionist); err != nil {
		t.Fatal(err)
	}
	f, err := replica.F(map[string]any{replica.RoleChangeField(1): replica.RoleChange{From: roles.Physician, To: roles.Administrator,
		Heads: map[string]uint64{}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rep(t, c.admin).Append(ctx, replica.Change{Entity: fp, Kind: replica.KindMember, Scope: roles.Directory, Fields: f}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.admin, c.recep, c.phys)
	deliver(t, c.admin, c.phys2)
	if m, _ := rep(t, c.phys).Member(fp); !m.HistoryDisputed() {
		t.Fatal("setup: the history does not read as disputed")
	}
	err = c.admin.ChangeRole(ctx, fp, roles.Physician)
	if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "issue them a new token") {
		t.Errorf("ChangeRole on a disputed history: %v", err)
	}
	// Her own workstation says why it hands on no key, and still says
	// which keys it holds.
	if _, err := c.phys2.Maintain(ctx); !errors.Is(err, ErrRoleDisputed) {
		t.Errorf("the disputed member's upkeep: %v, want ErrRoleDisputed", err)
	}
}
