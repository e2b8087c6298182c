package app

import (
	"context"
	"errors"
	"testing"

	"github.com/medihaven/medihaven/roles"
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
