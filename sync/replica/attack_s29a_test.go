package replica

// Session 29 (h-seca29): what session 28 read as a revocation undone from
// a quiet chain (TestAttackS28bRevocationUndoneFromAQuietChain) was an
// entry's first device list dropping its member's other chains. The
// attacks session 28 left "reached only from a quiet or newly named chain"
// are rebuilt as cases of their own tests (S13b, S16b: "quiet").

import (
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS29aFirstDeviceListDropsHerRevocation: Attack (MEDIUM for
// entries of before issue 13: a revoked member active again, silently, on
// every workstation; an administrator's modified software): what session
// 28 read as a revocation undone from a quiet chain. An entry written
// before devices were named (issue 13; the harness writes every entry so)
// names none, so every chain its member signed first is hers. The first
// list an administrator wrote into it named her devices only: every event
// of her other chains was dropped on every workstation ("whose directory
// entry does not name device X: not kept"), her revocations with them.
//   - Ada's own entry: her software names a new workstation alone and
//     writes Paul's admission again from it; Paul, whom she revoked, read
//     an active receptionist, no dispute shown;
//   - Rita's entry (the receptionist, who wrote registrations): Ada names
//     a device of no use to Rita; every patient Rita registered vanished.
//
// Honest software never writes a list into an existing entry (app: the
// founding and Admit only). Now an entry one of whose admissions named no
// devices keeps every chain its member signed first (devicesOpenField):
// the list adds devices, never takes one away. Failed before the rule
// (both cases; the first skipped in 07dd1ed as open).
func TestAttackS29aFirstDeviceListDropsHerRevocation(t *testing.T) {
	for _, tc := range []struct {
		name string
		own  bool
	}{
		{name: "Ada names a new workstation alone in her own entry", own: true},
		{name: "Ada names a device alone in Rita's entry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _, all := clinicAroundPaul(t)
			patient := registered(t, c.sRecep, "Abbott", "MH0000001")
			exchange(t, all...)
			rev := revokeOn(t, c.sAdmin, c.phys)
			exchange(t, all...)
			q := join(t, c.admin, c.id)
			q.holdKeys(c.sAdmin, roles.Directory)
			whose := c.recep
			if tc.own {
				whose = c.admin
			}
			list := c.sAdmin.append(Change{Entity: whose.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"devices": []string{q.r.p.Device}})})
			if tc.own {
				q.forge(forged{Entity: c.phys.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 1,
					Fields: fields(t, map[string]any{"role": roles.Receptionist, "status": StatusActive})})
			}
			for _, s := range all {
				s.apply(c.sAdmin.own()...)
				s.apply(q.own()...)
			}
			exchange(t, all...)
			for _, s := range append(all, reversedObserver(t, c)) {
				if st, why := s.stateOf(list); st != store.Applied {
					t.Fatalf("setup: on %s's workstation the list is %v (%s)", s.p.name, st, why)
				}
				if st, why := s.stateOf(rev); st != store.Applied {
					t.Errorf("on %s's workstation Ada's revocation of Paul is %v (%s); want applied", s.p.name, st, why)
				}
				if st, why := s.stateOf(patient); st != store.Applied && st != store.Sealed { // sealed: no front-desk key
					t.Errorf("on %s's workstation Rita's registration is %v (%s); want kept", s.p.name, st, why)
				}
				if m, _ := s.r.Member(c.phys.fp()); m.Active() {
					t.Errorf("on %s's workstation the revoked Paul is active again (%s, disputed %v)", s.p.name, m.Role, m.HistoryDisputed())
				}
			}
		})
	}
}

// TestUpgradeS29aDroppedChainKeptAgain: a workstation of a version before
// session 29 dropped Rita's chain when Ada's first device list for her
// entry named another device alone (her registration with it). Opened by
// this version (fields revision 32: every entry folded again), the chain,
// when it comes again, is kept. Without the fold (the store marked as
// judged by this revision) it is dropped again.
func TestUpgradeS29aDroppedChainKeptAgain(t *testing.T) {
	for _, mended := range []bool{false, true} {
		t.Run(map[bool]string{false: "control: not folded again", true: "folded again at the upgrade"}[mended], func(t *testing.T) {
			ctx := t.Context()
			c := newClinic(t)
			patient := registered(t, c.sRecep, "Abbott", "MH0000001")
			exchange(t, c.stations()...)
			devicesOpenRule = false // the entries folded as the older version did
			t.Cleanup(func() { devicesOpenRule = true })
			s := c.observer(t)
			c.sAdmin.append(Change{Entity: c.recep.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"devices": []string{crypto.NewEventID()}})})
			s.apply(c.sAdmin.own()...)
			if st, _ := s.stateOf(patient); st == store.Applied {
				t.Fatal("setup: the older version kept Rita's registration")
			}
			devicesOpenRule = true
			if mended {
				if err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteMeta(ctx, metaFieldsRule) }); err != nil {
					t.Fatal(err)
				}
			}
			openAgain(t, s)
			s.apply(c.sRecep.own()...) // asked for again, as the walk does
			st, why := s.stateOf(patient)
			if mended && st != store.Applied {
				t.Errorf("after the upgrade Rita's registration is %v (%s); want applied", st, why)
			}
			if !mended && st == store.Applied {
				t.Error("control: Rita's registration kept without the entries folded again (the test reads nothing)")
			}
		})
	}
}
