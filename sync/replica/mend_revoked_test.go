package replica

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/sync/store"
)

// TestUpgradeMendsAVoidRevocationsSweep (sec-s15f W1): the
// V1 fix (f929795, rebuildEntity: judgeAgain(ruleRevoked) when widened)
// acts only when an entry is rebuilt from a revoked one. A workstation
// that met V1 under an earlier version (a revocation refused after it
// swept, e.g. a revoked administrator's, as TestAttackS15dVoidRevocation-
// SweepsForGood) holds an active member whose events stay refused
// "revoked". The upgrade's mend (mendFields -> mendRoles, run once for
// fieldsRevision 7) rebuilds every entry, but before is already active,
// so widened is never asked, and rejudgeRows sends back only ruleRole:
// Paul's patient stays refused on that workstation for good while every
// other one applies it.
func TestUpgradeMendsAVoidRevocationsSweep(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	pat := c.sPhys.patient("Doe")
	exchange(t, c.stations()...)
	s := c.sRecep
	if st, why := s.state(pat.Header.ID); st != store.Applied {
		t.Fatalf("Paul's patient on Rita's workstation: %v %s", st, why)
	}
	// As the earlier version left it after V1: Paul active, his patient
	// swept by the void revocation, the record rebuilt without it.
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		defer s.r.begin()()
		row, err := tx.Envelope(ctx, pat.Header.ID)
		if err != nil {
			return err
		}
		if err := s.r.setState(ctx, tx, row, refused(ruleRevoked, "written after the author's membership was revoked")); err != nil {
			return err
		}
		if err := s.r.rebuildEntity(ctx, tx, pat.Header.Entity); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := s.r.Member(c.phys.fp()); m.Revoked() {
		t.Fatal("Paul reads revoked")
	}
	if s.r, err = Open(ctx, s.r.p); err != nil { // the upgrade
		t.Fatal(err)
	}
	s.apply()
	exchange(t, c.stations()...)
	if st, why := s.state(pat.Header.ID); st != store.Applied {
		t.Errorf("after the upgrade Paul (active) has his patient %v on Rita's workstation: %s", st, why)
	}
}
