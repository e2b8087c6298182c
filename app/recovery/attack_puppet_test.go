package recovery

// Attack (session 10 review, finding 1; h-sec10's proof): "no administrator ever holds a patient key ... on their own"
// rests on k >= 2 administrators, but which administrators exist is one
// administrator's word: she issues a token for an administrator, redeems
// it on a second profile of her own and approves it (no in-person
// confirmation is needed for that role: roles.NeedsConfirmation is for
// the keys of patients' records only). Her split names herself and her puppet; every
// physician's workstation escrows every clinical epoch to the pair on its
// own (escrowKeys), and the puppet's release lets her rebuild each key
// whole. The session-10 confirmation that keeps the clinical key from a
// stand-in physician is walked around: she reads every chart, including
// what is written after the split, with no physician involved.

import (
	"context"
	"errors"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

func TestAttackPuppetAdministratorRebuildsClinicalKeys(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	// Ada's second workstation, an administrator of her own making.
	puppet := c.Join(t, "Ada Admin Two", roles.Administrator)
	everyone := append(c.All(), puppet)
	mustSync(t, everyone...)
	p, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Private", Given: "Patient", Birth: "1970-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	before := note(t, c.Phys, p.ID, "written before any split")
	mustSync(t, everyone...)
	if _, err := New(c.Admin.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...) // the physicians' workstations escrow to Ada and her puppet
	// A stand-in physician of hers approves the split: nobody confirmed
	// her, so her approval counts for nothing.
	standIn := c.Join(t, "Dr Stand In", roles.Physician)
	everyone = append(everyone, standIn)
	mustSync(t, everyone...)
	a, err := New(standIn.Core()).ClinicalApproval(ctx)
	if err != nil || !a.Set {
		t.Fatalf("the stand-in sees no split: %+v %v", a, err)
	}
	if err := New(standIn.Core()).ApproveClinical(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	if a, _ := New(c.Phys.Core()).ClinicalApproval(ctx); len(a.ApprovedBy) != 0 {
		t.Errorf("a physician's workstation counts %v as approving the split", a.ApprovedBy)
	}
	// Since the front desk's keys too are escrowed only to a split a
	// physician approved (session 11), nothing is escrowed to this one:
	// the puppet has nothing to release.
	if err := New(puppet.Core()).Release(ctx, c.Admin.Fingerprint()); err != nil && !errors.Is(err, crypto.ErrTooFewShares) {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	keys, admins, err := rebuildKeys(ctx, rep(t, c.Admin))
	if err != nil {
		t.Logf("rebuild: %v", err)
	}
	var whole []crypto.ScopeKey
	for _, k := range keys {
		whole = append(whole, k.key)
	}
	if opens(whole, before) {
		t.Errorf("one administrator, with an administrator she admitted herself (%d 'administrators'), rebuilt the clinical key and opens a physician's note", admins)
	}
	for _, k := range whole {
		if k.Scope == string(roles.FrontDesk) {
			t.Errorf("one administrator, with an administrator she admitted herself, rebuilt front-desk key %s", k)
		}
	}
	// The escrow goes on: a note written after the recovery opens too,
	// until something rotates the epoch.
	after := note(t, c.Phys, p.ID, "written after the recovery")
	if opens(whole, after) {
		t.Errorf("the rebuilt key opens a note written after the recovery too")
	}
}
