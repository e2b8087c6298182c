package replica

import (
	"context"
	"errors"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackPlantedEpochRetired: Attack (session 9, finding 1): a member
// who expects to lose the clinical scope makes a clinical epoch herself
// (with any number, up to the highest generation) and lets it be granted
// to her colleagues, so that it is their newest key when she is revoked or
// moved to another role. Rotation used to compare the newest epoch's
// generation with a count of revocations, so her epoch outlived her and
// every later note was sealed with a key she holds. Now every epoch she
// could know is retired on every workstation, whatever its number, and a
// new one is made.
func TestAttackPlantedEpochRetired(t *testing.T) {
	cases := []struct {
		name   string
		gen    uint32 // the planted epoch's generation; 0: none planted
		loses  func(c *clinic)
		retire bool // her epochs must be retired
	}{
		{name: "planted, planter revoked", gen: 2, loses: func(c *clinic) { c.revoke(c.phys2) }, retire: true},
		{name: "planted at the top generation, planter revoked", gen: maxGeneration, loses: func(c *clinic) { c.revoke(c.phys2) }, retire: true},
		{name: "planted, planter made a receptionist", gen: 3, loses: func(c *clinic) { c.changeRole(c.phys2, roles.Receptionist) }, retire: true},
		{name: "not planted, holder revoked", loses: func(c *clinic) { c.revoke(c.phys2) }, retire: true},
		{name: "planted, nobody leaves", gen: 2, loses: func(*clinic) {}},
		{name: "the receptionist leaves: no clinical key is hers", gen: 2, loses: func(c *clinic) { c.revoke(c.recep) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			first, _ := c.sPhys.r.Key(roles.Clinical)
			var planted crypto.ScopeKey
			if tc.gen > 0 {
				var err error
				if planted, err = crypto.NewScopeKey(string(roles.Clinical), tc.gen<<16|7); err != nil {
					t.Fatal(err)
				}
				if err := c.sPh2.db.Update(ctx, func(tx *store.Tx) error { return c.sPh2.r.keepKey(ctx, tx, planted) }); err != nil {
					t.Fatal(err)
				}
				c.sPh2.grant(roles.Clinical, c.phys)
				exchange(t, c.stations()...)
				if k, _ := c.sPhys.r.Key(roles.Clinical); k.Epoch != planted.Epoch {
					t.Fatalf("the planted epoch %#x is not the colleague's newest key (%#x)", planted.Epoch, k.Epoch)
				}
			}
			tc.loses(c)
			exchange(t, c.stations()...)

			fresh, err := c.sPhys.r.RetireExposed(ctx, roles.Clinical)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.retire {
				if !fresh || (tc.gen > 0 && c.sPhys.r.Retired(roles.Clinical, planted.Epoch)) || c.sPhys.r.Retired(roles.Clinical, first.Epoch) {
					t.Fatalf("a key nobody outside the scope knows was retired (fresh %v)", fresh)
				}
				return
			}
			if fresh {
				t.Fatal("a key the former member knows is still used for new writes")
			}
			if tc.gen > 0 && !c.sPhys.r.Retired(roles.Clinical, planted.Epoch) {
				t.Errorf("the planted epoch %#x is not retired", planted.Epoch)
			}
			if !c.sPhys.r.Retired(roles.Clinical, first.Epoch) {
				t.Errorf("the epoch granted to her (%#x) is not retired", first.Epoch)
			}
			k, err := c.sPhys.r.NewEpoch(ctx, roles.Clinical)
			if err != nil {
				t.Fatal(err)
			}
			if now, _ := c.sPhys.r.Key(roles.Clinical); now.Epoch != k.Epoch {
				t.Fatalf("new writes use %#x, not the new epoch %#x", now.Epoch, k.Epoch)
			}
			// A restart keeps what was retired.
			again, err := Open(ctx, c.sPhys.r.p)
			if err != nil {
				t.Fatal(err)
			}
			if now, _ := again.Key(roles.Clinical); now.Epoch != k.Epoch {
				t.Fatalf("after a restart new writes use %#x, not %#x", now.Epoch, k.Epoch)
			}
		})
	}
}

// changeRole has the administrator move p to role, as the app does.
func (c *clinic) changeRole(p *person, role roles.Role) {
	c.sAdmin.append(Change{Entity: p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(c.sAdmin.t, map[string]any{"role": role})})
}

// TestNewEpochNumbers: a new epoch is one generation past every key held,
// or past the newest one in use when that would run out of numbers; never
// a wrapped number below it.
func TestNewEpochNumbers(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	r := c.sPhys.r
	top, err := crypto.NewScopeKey(string(roles.Clinical), maxGeneration<<16|7)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.sPhys.db.Update(ctx, func(tx *store.Tx) error { return r.keepKey(ctx, tx, top) }); err != nil {
		t.Fatal(err)
	}
	if _, err := r.NewEpoch(ctx, roles.Clinical); !errors.Is(err, ErrNoEpoch) {
		t.Fatalf("a new epoch past the highest generation: %v, want ErrNoEpoch", err)
	}
	if err := r.keepRetired(ctx, string(roles.Clinical), []uint32{top.Epoch}); err != nil {
		t.Fatal(err)
	}
	first := r.Keys(roles.Clinical)[0]
	k, err := r.NewEpoch(ctx, roles.Clinical)
	if err != nil {
		t.Fatal(err)
	}
	if k.Epoch>>16 != first.Epoch>>16+1 {
		t.Errorf("new epoch %#x: want the generation after the newest in use (%#x)", k.Epoch, first.Epoch)
	}
	if now, _ := r.Key(roles.Clinical); now.Epoch != k.Epoch {
		t.Errorf("new writes use %#x, want %#x", now.Epoch, k.Epoch)
	}
}
