package chart_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/app/records"
)

// "Asked: no known allergies" is recorded by a physician, names who and
// when, is no allergy the checks see, and a real allergy recorded later,
// here or on a colleague's workstation in either order, supersedes it
// while its record stays.
func TestNoKnownAllergiesAsked(t *testing.T) {
	ctx := context.Background()
	c, p, _ := visit(t)
	open := func(s *app.Session) chart.Chart {
		t.Helper()
		ch, err := cs(s).OpenChart(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	if ch := open(c.Phys); ch.NoneKnown != nil {
		t.Fatalf("a patient never asked: %+v, want no statement", ch.NoneKnown)
	}
	for _, typed := range []string{"NKA", "none", "No known allergies", " no  known drug allergies "} {
		if _, err := cs(c.Phys).AddAllergy(ctx, chart.Allergy{Patient: p.ID, Substance: typed, Severity: "mild"}); !errors.Is(err, app.ErrInvalidInput) ||
			!strings.Contains(err.Error(), "Asked: no known allergies") {
			t.Errorf("allergy %q: %v, want it sent to \"Asked: no known allergies\"", typed, err)
		}
	}

	c.Clock.Add(time.Hour)
	asked := c.Clock.Now()
	n, err := cs(c.Phys).RecordNoKnownAllergies(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	ch := open(c.Phys)
	switch got := ch.NoneKnown; {
	case got == nil || got.ID != n.ID || !got.Current:
		t.Fatalf("after recording: %+v, want the current statement %s", got, n.ID)
	case got.By != c.Phys.Fingerprint() || got.ByName != "Dr Paul Physician" || !got.Asked.Equal(asked):
		t.Errorf("who and when: %q %q %v, want Dr Paul Physician at %v", got.By, got.ByName, got.Asked, asked)
	case len(ch.Allergies) != 0:
		t.Errorf("allergies: %+v, want none (the statement is no allergy)", ch.Allergies)
	}
	w, err := ps(c.Phys).CheckPrescription(ctx, prescribing.Prescription{Patient: p.ID, Drug: "amoxicillin 500 mg capsule", Dose: "1",
		Frequency: "three times daily", Days: 7})
	if err != nil || len(w) != 0 {
		t.Errorf("amoxicillin after \"no known allergies\": %+v %v, want no warning (nothing to check against, nothing unmatched)", w, err)
	}

	// A colleague records penicillin before she has synced the statement,
	// and the physician records no known allergies again: on both
	// workstations, once synced, penicillin stands and the statement is
	// history.
	if _, err := cs(c.Phys2).AddAllergy(ctx, chart.Allergy{Patient: p.ID, Substance: "penicillin", Reaction: "hives", Severity: "moderate"}); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.Phys, c.Phys2); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*app.Session{c.Phys, c.Phys2} {
		ch := open(s)
		if len(ch.Allergies) != 1 || ch.Allergies[0].Substance != "penicillin" {
			t.Errorf("%s: allergies %+v, want penicillin", s.StaffName(), ch.Allergies)
		}
		if got := ch.NoneKnown; got == nil || got.Current || got.ID != n.ID {
			t.Errorf("%s: statement %+v, want %s kept, not current", s.StaffName(), got, n.ID)
		}
	}
	if _, err := cs(c.Phys).RecordNoKnownAllergies(ctx, p.ID); !errors.Is(err, app.ErrInvalidInput) || !strings.Contains(err.Error(), "penicillin") {
		t.Errorf("no known allergies beside penicillin: %v, want a refusal naming penicillin", err)
	}
	w, _ = ps(c.Phys).CheckPrescription(ctx, prescribing.Prescription{Patient: p.ID, Drug: "amoxicillin 500 mg capsule", Dose: "1",
		Frequency: "three times daily", Days: 7})
	if len(w) != 1 || w[0].Kind != prescribing.WarnAllergy {
		t.Errorf("amoxicillin with penicillin recorded: %+v, want the allergy warning", w)
	}
	// The coding is SNOMED CT's, read back from the record.
	if !(records.Allergy{Codes: []records.Coding{records.NoKnownAllergy}}).NoneKnown() || records.NoKnownAllergy.Code != "716186003" {
		t.Error("the statement's coding is not SNOMED CT 716186003")
	}
	// An entry that also carries a substance's code is an allergy: the
	// code beside it never hides it from the prescribing checks.
	penicillin := records.Coding{System: records.SNOMED, Code: "91936005", Display: "Allergy to penicillin"}
	if (records.Allergy{Codes: []records.Coding{records.NoKnownAllergy, penicillin}}).NoneKnown() {
		t.Error("an entry coded both no known allergy and penicillin reads as no known allergies")
	}
}
