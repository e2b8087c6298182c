package replica

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
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

// TestAttackS18bDataKindErasesARecord: since session 17 no directory or
// admin event can name a data record (roles/ids.go), but one data kind's
// event still takes another data kind's record by the binding rule
// (rules.go beats: a higher precedence, else the lower Lamport clock,
// which its writer chooses). Pia, a physician, writes one event of
// another clinical kind with clock 1 under Paul's note's id, or under a
// patient's id: on every workstation the note (or the patient) is refused
// for the binding and gone from the chart (the front desk), with nothing
// shown of who took it. Editing the record instead would have been kept
// in its history, and a signed note's signature would have shown the
// change.
func TestAttackS18bDataKindErasesARecord(t *testing.T) {
	for _, tc := range []struct {
		name         string
		bound        bool                   // the record's id is bound to its kind (roles.NewRecordID)
		entity       func(c *clinic) string // the record's id, when its kind's ids have a shape
		kind, scope  string
		fields       map[string]any
		writer       func(c *clinic) *station
		takenKind    string
		takenByScope roles.Scope
	}{
		{name: "a colleague's signed note", kind: "note", scope: string(roles.Clinical),
			fields: map[string]any{"doc": "signed text", "sig": "signature", "patient": "p1"},
			writer: func(c *clinic) *station { return c.sPhys }, takenKind: "allergy", takenByScope: roles.Clinical},
		{name: "a patient", kind: "patient", scope: string(roles.FrontDesk),
			fields: map[string]any{"family": "Keep"},
			writer: func(c *clinic) *station { return c.sRecep }, takenKind: "problem", takenByScope: roles.Clinical},
		{name: "a colleague's signed note, bound id", bound: true, kind: "note", scope: string(roles.Clinical),
			fields: map[string]any{"doc": "signed text", "sig": "signature", "patient": "p1"},
			writer: func(c *clinic) *station { return c.sPhys }, takenKind: "allergy", takenByScope: roles.Clinical},
		{name: "a physician's working hours", bound: true, kind: "availability", scope: string(roles.FrontDesk),
			fields: map[string]any{"physician": "p"}, entity: func(c *clinic) string { return roles.AvailabilityPrefix + c.phys.fp() },
			writer: func(c *clinic) *station { return c.sRecep }, takenKind: "problem", takenByScope: roles.Clinical},
		{name: "a patient, bound id", bound: true, kind: "patient", scope: string(roles.FrontDesk),
			fields: map[string]any{"family": "Keep"},
			writer: func(c *clinic) *station { return c.sRecep }, takenKind: "problem", takenByScope: roles.Clinical},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.bound && os.Getenv("MEDIHAVEN_OPEN_ATTACKS") == "" {
				t.Skip("open for random (legacy) record ids (h-sec18b F2: a data kind's claim takes another data kind's record by precedence or a low clock; Known limits): set MEDIHAVEN_OPEN_ATTACKS=1 to run it")
			}
			ctx := context.Background()
			c := newClinic(t)
			w := tc.writer(c)
			id := crypto.NewEventID()
			switch {
			case tc.entity != nil:
				id = tc.entity(c)
			case tc.bound:
				id = roles.NewRecordID(tc.kind)
			}
			rec := w.append(Change{Entity: id, Kind: tc.kind, Scope: roles.Scope(tc.scope), Fields: fields(t, tc.fields)})
			exchange(t, c.stations()...)
			take := c.sPh2.forge(forged{Entity: rec.Header.Entity, Kind: tc.takenKind, Scope: string(tc.takenByScope), Lamport: 1,
				Fields: fields(t, map[string]any{"patient": "p1"})})
			exchange(t, c.stations()...)
			for _, s := range c.stations() {
				if st, why := s.state(rec.Header.ID); st != store.Applied && st != store.Sealed {
					t.Errorf("on %s's workstation the %s is %v (%s)", s.p.name, tc.kind, st, why)
				}
				if kind, _, _ := s.r.Entity(ctx, rec.Header.Entity); kind != tc.kind && kind != "" {
					t.Errorf("on %s's workstation record %s is a %q record (Pia's event %s), not the %s", s.p.name, short(rec.Header.Entity), kind, short(take.Header.ID), tc.kind)
				}
			}
		})
	}
}
