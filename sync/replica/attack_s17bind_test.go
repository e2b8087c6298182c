package replica

// Session 17, h-bind17: the last open route of ARCHITECTURE.md "What may
// cut a member's acts". Kind precedence gave a record id to its directory
// or admin claim over a data record's (beats), so an administrator's
// modified software could erase a patient or a clinical note on every
// workstation by writing a licence or a token under its id.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS17DirectoryRecordErasesAPatient: Ada, an administrator,
// reads a patient's or a clinical note's id from its clear header and
// writes a licence (directory) or a token (admin) record under it. One
// workstation receives the data record first, another Ada's record first,
// and a newcomer everything at once: on each the data record stands and
// Ada's event is refused (the kind rule: no id of a licence or a token).
func TestAttackS17DirectoryRecordErasesAPatient(t *testing.T) {
	for _, tc := range []struct {
		name, kind, scope string
		note              bool // a clinical note, else a patient
	}{
		{name: "a licence under a patient's id", kind: "licence", scope: string(roles.Directory)},
		{name: "a token under a patient's id", kind: "token", scope: string(roles.Admin)},
		{name: "a licence under a note's id", kind: "licence", scope: string(roles.Directory), note: true},
		{name: "a token under a note's id", kind: "token", scope: string(roles.Admin), note: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			// The writer of the data record; first gets it first, second
			// gets Ada's record first.
			writer, first, second := c.sRecep, c.sPhys, c.sPh2
			data := Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
				Fields: fields(t, map[string]any{"family": "Keep"})}
			if tc.note {
				writer, first, second = c.sPh2, c.sPhys, c.sRecep
				data = Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
					Fields: fields(t, map[string]any{"subjective": "keep"})}
			}
			d := writer.append(data)
			c.sAdmin.apply(writer.own()...)
			f := map[string]any{"number": "0"}
			if tc.kind == "token" {
				f = map[string]any{"status": "revoked"}
			}
			erase := c.sAdmin.forge(forged{Entity: d.Header.Entity, Kind: tc.kind, Scope: tc.scope, Fields: fields(t, f)})
			first.apply(writer.own()...)
			first.apply(c.sAdmin.own()...)
			second.apply(c.sAdmin.own()...)
			second.apply(writer.own()...)
			exchange(t, c.stations()...)
			newcomer := c.observer(t)
			newcomer.apply(c.sAdmin.everything()...)
			for _, s := range []*station{writer, first, second, newcomer} {
				if st, why := s.state(d.Header.ID); st != store.Applied && st != store.Sealed {
					t.Errorf("%s's workstation: the %s %s is refused (%s)", s.p.name, data.Kind, short(data.Entity), why)
				}
				if st, rule := s.ruleOf(erase.Header.ID); st != store.Rejected || rule != ruleKind {
					t.Errorf("%s's workstation: Ada's %s under the %s's id is %v (rule %q), not refused by the kind rule",
						s.p.name, tc.kind, data.Kind, st, rule)
				}
				if _, holds := s.r.Key(data.Scope); !holds {
					continue
				}
				if kind, _, err := s.r.Entity(ctx, data.Entity); kind != data.Kind {
					t.Errorf("%s's workstation: record %s is a %q record (%v), not the %s", s.p.name, short(data.Entity), kind, err, data.Kind)
				}
			}
			if diff := first.snapshot().diff(second.snapshot()); diff != "" && !tc.note {
				t.Errorf("the two orders of arrival differ: %s", diff)
			}
			if diff := first.snapshot().diff(newcomer.snapshot()); diff != "" {
				t.Errorf("a newcomer's workstation differs: %s", diff)
			}
		})
	}
}

// TestUpgradeGivesAPatientBackItsID: a workstation of a version before
// the ids rule applied Ada's licence under a patient's id (kind
// precedence: the id was the licence's, the patient's events refused for
// the binding). Opened by this version, it refuses the licence by the kind
// rule, judges the patient's events again and ends as a workstation that
// had the rule all along.
func TestUpgradeGivesAPatientBackItsID(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	d := c.sRecep.patient("Keep")
	exchange(t, c.stations()...)
	erase := c.sAdmin.forge(forged{Entity: d.Header.Entity, Kind: "licence", Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"number": "0"})})
	s := c.sPhys
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		defer s.r.begin()()
		if err := s.applyUnjudged(ctx, tx, erase); err != nil {
			return err
		}
		if err := tx.Refuse(ctx, d.Header.ID, ruleBinding, "record is a licence record"); err != nil {
			return err
		}
		if err := s.r.rebind(ctx, tx, d.Header.Entity, nil); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if kind, _, _ := s.r.Entity(ctx, d.Header.Entity); kind != "licence" {
		t.Fatalf("setup: the older workstation's record %s is a %q record, want the licence", short(d.Header.Entity), kind)
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply()
	if st, rule := s.ruleOf(erase.Header.ID); st != store.Rejected || rule != ruleKind {
		t.Errorf("after the upgrade Ada's licence is %v (rule %q), not refused by the kind rule", st, rule)
	}
	if kind, st, err := s.r.Entity(ctx, d.Header.Entity); kind != "patient" || st.String("family") != "Keep" {
		t.Errorf("after the upgrade record %s is a %q record %v (%v), not the patient", short(d.Header.Entity), kind, st, err)
	}
	c.sPh2.apply(c.sAdmin.everything()...)
	if diff := s.snapshot().diff(c.sPh2.snapshot()); diff != "" {
		t.Errorf("the mended workstation and one of this version differ: %s", diff)
	}
}

// TestUpgradeRefusesAStoredClaimBeforeItsPatient: the older workstation,
// a physician's (no admin key), kept Ada's token under a patient's id
// sealed before the patient arrived: no record, nothing refused yet, so
// the upgrade's mend does not see it. The patient arriving after the
// upgrade stands, and the token is refused (bind mends the claim).
func TestUpgradeRefusesAStoredClaimBeforeItsPatient(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	d := c.sRecep.patient("Keep")
	c.sAdmin.apply(c.sRecep.own()...)
	erase := c.sAdmin.forge(forged{Entity: d.Header.Entity, Kind: "token", Scope: string(roles.Admin),
		Fields: fields(t, map[string]any{"status": "revoked"})})
	s := c.sPh2
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		defer s.r.begin()()
		if _, err := tx.PutEnvelope(ctx, rowOf(erase, store.Sealed, "")); err != nil {
			return err
		}
		if err := tx.PutBinding(ctx, claimOf(erase.Header)); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply(c.sRecep.own()...)
	if st, why := s.state(d.Header.ID); st != store.Applied {
		t.Errorf("the patient arriving after the upgrade is %v (%s)", st, why)
	}
	if st, rule := s.ruleOf(erase.Header.ID); st != store.Rejected || rule != ruleKind {
		t.Errorf("the stored token is %v (rule %q), not refused by the kind rule", st, rule)
	}
	if kind, _, err := s.r.Entity(ctx, d.Header.Entity); kind != "patient" {
		t.Errorf("record %s is a %q record (%v), not the patient", short(d.Header.Entity), kind, err)
	}
}
