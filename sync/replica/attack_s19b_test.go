package replica

// Session 19 review h-sec19b: record ids bound to their kind, and the mend
// on upgrade.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS19bUpgradeKeepsAClaimUnderAnotherKindsID: Pia's modified
// software writes an allergy under an id bound to the patient kind
// (roles.NewRecordID("patient")); no patient of that id exists. A
// workstation of a version before the bound ids (fields revision 10)
// applied it: nothing contested the id, so nothing was refused for the
// binding. Opened by this version, its mend (mendIDs) looked only at
// records with events refused for the binding and at directory and admin
// records: the allergy stood there, while every workstation of this
// version refuses it by the kind rule. The clinic's workstations showed
// different charts for good (nothing else ever names the id).
func TestAttackS19bUpgradeKeepsAClaimUnderAnotherKindsID(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	id := roles.NewRecordID("patient")
	allergy := c.sPh2.forge(forged{Entity: id, Kind: "allergy", Scope: string(roles.Clinical),
		Fields: fields(t, map[string]any{"patient": "p1", "substance": "penicillin"})})
	s := c.sPhys
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		defer s.r.begin()()
		if err := s.applyUnjudged(ctx, tx, allergy); err != nil {
			return err
		}
		if err := tx.PutBinding(ctx, claimOf(allergy.Header)); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if kind, _, _ := s.r.Entity(ctx, id); kind != "allergy" {
		t.Fatalf("setup: the older workstation's record %s is a %q record, want the allergy", short(id), kind)
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply()
	c.sRecep.apply(c.sPh2.own()...)
	if st, rule := c.sRecep.ruleOf(allergy.Header.ID); st != store.Rejected || rule != ruleKind {
		t.Fatalf("setup: a workstation of this version has the allergy %v (rule %q), not refused by the kind rule", st, rule)
	}
	if st, rule := s.ruleOf(allergy.Header.ID); st != store.Rejected || rule != ruleKind {
		t.Errorf("after the upgrade Pia's allergy under a patient's id is %v (rule %q), not refused by the kind rule", st, rule)
	}
	if kind, _, _ := s.r.Entity(ctx, id); kind != "" {
		t.Errorf("after the upgrade record %s is a %q record", short(id), kind)
	}
}
