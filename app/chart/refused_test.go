package chart_test

import (
	"context"
	"slices"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/prescribing"
)

// TestRefusedPrescriptionOnTheChart: Dr Petra prescribes on a workstation
// that has not heard yet that she was revoked; Dr Paul's refuses the
// prescription (written after the revocation). His chart of the patient
// does not hold it, and does not check against it, but says it was
// signed and refused, by whom and why: nothing signed vanishes silently.
// Another patient's chart says nothing of it.
func TestRefusedPrescriptionOnTheChart(t *testing.T) {
	ctx := context.Background()
	c, p, _ := visit(t)
	other, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Other", Given: "Olga", Birth: "1970-01-01", Sex: "female"})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	if err := c.Admin.RevokeMember(ctx, c.Phys2.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if _, err := ps(c.Phys2).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Drug: "amoxicillin 500 mg capsule", Dose: "1",
		Frequency: "three times daily", Days: 7}); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.Admin, c.Phys); err != nil {
		t.Fatal(err)
	}
	// Paul's workstation takes her chain before hers hears of the
	// revocation (which would refuse her own prescription there too).
	paul, err := c.Phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	petra, err := c.Phys2.Replica()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := paul.PullFrom(ctx, petra); err != nil {
		t.Fatal(err)
	}
	ch, err := cs(c.Phys).OpenChart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Prescriptions) != 0 || len(ch.Medications) != 0 {
		t.Errorf("the chart holds the refused prescription: %+v %+v", ch.Prescriptions, ch.Medications)
	}
	if len(ch.Refused) != 1 {
		t.Fatalf("the chart says %d prescriptions were refused; want 1", len(ch.Refused))
	}
	got := ch.Refused[0]
	if got.Name != "Dr Petra Second" || got.Author != c.Phys2.Fingerprint() || got.Why != "written after the member was revoked" ||
		!slices.Equal(got.Drugs, []string{"amoxicillin"}) || got.Time.IsZero() {
		t.Errorf("the refused prescription reads %+v; want Dr Petra Second's amoxicillin, written after she was revoked", got)
	}
	if och, err := cs(c.Phys).OpenChart(ctx, other.ID); err != nil || len(och.Refused) != 0 {
		t.Errorf("another patient's chart: %+v, %v; want nothing refused", och.Refused, err)
	}
}
