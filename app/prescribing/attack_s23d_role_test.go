package prescribing_test

import (
	"context"
	"errors"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/roles"
)

// TestAttackS23dRoleChangeVoidsPastPrescriptions: chart.VerifyDoc asks
// whether a signed record's author is a physician now, not when she
// signed. A physician whose role an administrator changes (she becomes
// the clinic's administrator, or a hostile administrator demotes her)
// keeps her key; every prescription she signed as a physician then reads
// "the signer is not a physician of this clinic" and the pharmacist's code
// check says "do not dispense it; call the prescriber" on every
// workstation (her notes read unverified too). A revoked physician's
// prescriptions (control) stay verified: revocation keeps the role.
func TestAttackS23dRoleChangeVoidsPastPrescriptions(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, _ := c.Visit(t)
	rx, err := ps(c.Phys).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Items: []prescribing.RxItem{
		{DrugID: "amlodipine|5_mg|tablet", Dose: "1", Frequency: "once daily", Days: 30}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	if _, err := ps(c.Phys2).VerifyPrescription(ctx, rx.Code); err != nil {
		t.Fatalf("before the change: %v", err)
	}
	if err := c.Admin.ChangeRole(ctx, c.Phys.Fingerprint(), roles.Administrator); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	got, err := ps(c.Phys2).VerifyPrescription(ctx, rx.Code)
	if errors.Is(err, prescribing.ErrRxSignature) || !got.Verified {
		t.Errorf("a prescription signed while she was a physician, after her role changed: %v (verified %v, problem %q): "+
			"the pharmacist is told not to dispense it", err, got.Verified, got.Problem)
	}
}
