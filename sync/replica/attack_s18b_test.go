package replica

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS18bUpgradeKeepsASquatOfABoundDevice: a workstation of a
// version before bound device ids (session 16) judged Nina's bound id by
// the first-come rule: Ada, an administrator who names Nina's workstation
// in her own entry, signed its first event before Nina did, and kept it
// there (applied, the device Ada's). Upgraded, that workstation must end
// as one of this version does: Ada's event not kept, Nina's chain and her
// patient applied, the device hers. Nothing settles a stored bound device
// on upgrade, so the squat stays until some entry of Ada's or Nina's
// changes (which Ada controls), and the two workstations disagree.
func TestAttackS18bUpgradeKeepsASquatOfABoundDevice(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	nina := c.newcomerOn(t, "Nina Newcomer", true)
	device := nina.r.Device()
	c.sAdmin.forge(forged{Entity: c.admin.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"devices": []string{c.sAdmin.r.Device(), device}})})
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID(), device)
	work := nina.patient("Nina's patient")
	pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(c.admin.id.Public().Bytes())})
	squat := c.sAdmin.forge(forged{Device: device, Seq: 1, Entity: c.admin.fp(), Kind: KindKey, Scope: ScopePublic, Raw: pub})

	// The older workstation: Ada's events, then her squat kept as the
	// first-come rule kept it (Nina's own events came after and were held).
	old := c.sPhys
	old.apply(c.sAdmin.own()...)
	err := old.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.PutEnvelope(ctx, rowOf(squat, store.Applied, "")); err != nil {
			return err
		}
		return tx.PutDevice(ctx, device, c.admin.fp())
	})
	if err != nil {
		t.Fatal(err)
	}
	// Upgraded: opened by this version, it hears Nina's chain again.
	if old.r, err = Open(ctx, old.r.p); err != nil {
		t.Fatal(err)
	}
	old.apply(nina.own()...)
	// What it did not keep it asks for again (netsync's want): Nina's
	// workstation sends her chain once more.
	old.apply(nina.own()...)
	old.apply(raws(squat)...)

	late := c.observer(t)
	late.apply(c.sAdmin.own()...)
	late.apply(nina.own()...)
	late.apply(raws(squat)...)
	for _, s := range []*station{old, late} {
		if st, why := s.state(squat.Header.ID); st == store.Applied {
			t.Errorf("on %s's workstation Ada's event in Nina's bound chain is applied (%s)", s.p.name, why)
		}
		if owner := s.deviceOwner(device); owner != nina.p.fp() {
			t.Errorf("on %s's workstation Nina's bound workstation belongs to %s, not to her", s.p.name, short(owner))
		}
		if st, why := s.state(work.Header.ID); st != store.Applied {
			t.Errorf("on %s's workstation Nina's patient is %v (%s)", s.p.name, st, why)
		}
	}
	if d := old.snapshot().diff(late.snapshot()); d != "" {
		t.Errorf("the upgraded workstation and one of this version disagree:\n%s", d)
	}
}
