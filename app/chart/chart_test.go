package chart_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// visit is a clinic with one patient booked with the first physician.
func visit(t *testing.T) (*apptest.Clinic, app.Patient, records.Appointment) {
	t.Helper()
	c := apptest.NewClinic(t)
	p, a := c.Visit(t)
	return c, p, a
}

// cs is the chart of a session.
func cs(s *app.Session) *chart.Service { return chart.New(s.Core()) }

// ps is the prescribing of a session.
func ps(s *app.Session) *prescribing.Service { return prescribing.New(s.Core()) }

func TestChartRecordsAVisit(t *testing.T) {
	ctx := context.Background()
	c, p, a := visit(t)
	enc, err := cs(c.Phys).StartVisit(ctx, a.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	again, err := cs(c.Phys).StartVisit(ctx, a.ID, true)
	if err != nil || again.ID != enc.ID {
		t.Fatalf("opening the appointment again started another encounter: %v %v", again.ID, err)
	}
	n, err := cs(c.Phys).WriteNote(ctx, chart.Note{Patient: p.ID, Encounter: enc.ID, Subjective: "Sore throat 3 days", Objective: "Tonsillar exudate",
		Assessment: "Streptococcal pharyngitis", Plan: "Antibiotic"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs(c.Phys).AddAddendum(ctx, n.ID, "Rapid strep test positive."); err != nil {
		t.Fatal(err)
	}
	if _, err := cs(c.Phys).RecordVitals(ctx, chart.Vitals{Patient: p.ID, Encounter: enc.ID, Systolic: 132, Diastolic: 84, Pulse: 88,
		TempC: 38.4, WeightKg: 70, HeightCm: 165}); err != nil {
		t.Fatal(err)
	}
	c.Clock.Add(24 * time.Hour)
	if _, err := cs(c.Phys).RecordVitals(ctx, chart.Vitals{Patient: p.ID, WeightKg: 68, SpO2: 98}); err != nil {
		t.Fatal(err)
	}
	pr, err := cs(c.Phys).AddProblem(ctx, chart.Problem{Patient: p.ID, Name: "Hypertension", Onset: "2019-04"})
	if err != nil {
		t.Fatal(err)
	}
	old, err := cs(c.Phys).AddProblem(ctx, chart.Problem{Patient: p.ID, Name: "Ankle sprain", Onset: "2024"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cs(c.Phys).SetProblemStatus(ctx, old.ID, chart.ProblemResolved, "2024-06-01"); err != nil {
		t.Fatal(err)
	}
	if _, err := cs(c.Phys).AddAllergy(ctx, chart.Allergy{Patient: p.ID, Substance: "Penicillin", Reaction: "hives", Severity: "Moderate"}); err != nil {
		t.Fatal(err)
	}
	latex, err := cs(c.Phys).AddAllergy(ctx, chart.Allergy{Patient: p.ID, Substance: "latex", Severity: "mild"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cs(c.Phys).RemoveAllergy(ctx, latex.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := cs(c.Phys).AddMedication(ctx, chart.Medication{Patient: p.ID, Name: "warfarin 1 mg tablet", Dose: "3 mg daily"}); err != nil {
		t.Fatal(err)
	}

	// Amoxicillin for a penicillin-allergic patient: a warning that
	// needs a reason, and nothing is written without one.
	rx := prescribing.Prescription{Patient: p.ID, Encounter: enc.ID, Items: []prescribing.RxItem{{DrugID: "amoxicillin|500_mg|capsule", Dose: "1", Frequency: "three times daily",
		Days: 7, Quantity: "21 capsules"}}}
	_, err = ps(c.Phys).Prescribe(ctx, rx)
	var oe *prescribing.OverrideError
	if !errors.As(err, &oe) || !errors.Is(err, prescribing.ErrOverrideNeeded) || len(oe.Warnings) != 1 || oe.Warnings[0].Kind != prescribing.WarnAllergy {
		t.Fatalf("Prescribe without a reason: %v, want one allergy warning", err)
	}
	rx.Overrides = []prescribing.Warning{oe.Warnings[0]}
	rx.Overrides[0].Reason = "Mild rash in childhood; tolerated amoxicillin in 2020"
	signed, err := ps(c.Phys).Prescribe(ctx, rx)
	if err != nil {
		t.Fatal(err)
	}
	if len(signed.Code) != 11 || signed.PrescriberName != "Dr Paul Physician" || signed.PatientName != "Cora Chartwell" {
		t.Errorf("signed prescription: %+v", signed)
	}
	// Ibuprofen while on warfarin: an interaction.
	if _, err := ps(c.Phys).CheckPrescription(ctx, prescribing.Prescription{Patient: p.ID, Drug: "ibuprofen 400 mg", Dose: "1 tablet", Frequency: "as needed", Days: 5}); err != nil {
		t.Fatal(err)
	}
	w, _ := ps(c.Phys).CheckPrescription(ctx, prescribing.Prescription{Patient: p.ID, Drug: "ibuprofen 400 mg", Dose: "1 tablet", Frequency: "as needed", Days: 5})
	if len(w) != 1 || w[0].Kind != prescribing.WarnInteraction || w[0].Severity != "major" {
		t.Errorf("ibuprofen on warfarin: %+v, want a major interaction", w)
	}

	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	// The second physician reads the same, signed chart.
	ch, err := cs(c.Phys2).OpenChart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Age != 65 || len(ch.Encounters) != 1 || ch.Encounters[0].Reason != "Sore throat" {
		t.Errorf("age %d, encounters %+v", ch.Age, ch.Encounters)
	}
	if len(ch.Notes) != 1 || !ch.Notes[0].Verified || ch.Notes[0].Encounter != enc.ID || len(ch.Notes[0].Addenda) != 1 || !ch.Notes[0].Addenda[0].Verified {
		t.Errorf("notes %+v", ch.Notes)
	}
	if len(ch.Vitals) != 2 || ch.Vitals[0].BMI != 25.7 || ch.Vitals[1].BMI != 25 {
		t.Errorf("vitals (BMI carries the last height): %+v", ch.Vitals)
	}
	if len(ch.Problems) != 2 || ch.Problems[0].ID != pr.ID || ch.Problems[1].Status != chart.ProblemResolved || ch.Problems[1].Resolved != "2024-06-01" {
		t.Errorf("problems %+v", ch.Problems)
	}
	if len(ch.Allergies) != 1 || ch.Allergies[0].Severity != "moderate" {
		t.Errorf("allergies %+v", ch.Allergies)
	}
	if len(ch.Medications) != 2 || ch.Medications[0].Name != "amoxicillin 500 mg capsule" && ch.Medications[1].Name != "amoxicillin 500 mg capsule" {
		t.Errorf("medications %+v", ch.Medications)
	}
	if len(ch.Prescriptions) != 1 || !ch.Prescriptions[0].Verified || len(ch.Prescriptions[0].Overrides) != 1 ||
		!strings.Contains(ch.Prescriptions[0].Overrides[0].Reason, "tolerated") {
		t.Errorf("prescriptions %+v", ch.Prescriptions)
	}
}

func TestRecordsRejectBadInput(t *testing.T) {
	ctx := context.Background()
	c, p, _ := visit(t)
	r, _ := c.Phys.Replica()
	count := func() int {
		n := 0
		for _, k := range []string{records.KindVitals, records.KindNote, records.KindProblem, records.KindAllergy, records.KindPrescription} {
			rows, _ := r.Entities(ctx, k)
			n += len(rows)
		}
		return n
	}
	tests := []struct {
		name string
		do   func() error
	}{
		{"vitals empty", func() error { _, err := cs(c.Phys).RecordVitals(ctx, chart.Vitals{Patient: p.ID}); return err }},
		{"pulse impossible", func() error {
			_, err := cs(c.Phys).RecordVitals(ctx, chart.Vitals{Patient: p.ID, Pulse: 900})
			return err
		}},
		{"half a blood pressure", func() error {
			_, err := cs(c.Phys).RecordVitals(ctx, chart.Vitals{Patient: p.ID, Systolic: 120})
			return err
		}},
		{"diastolic above systolic", func() error {
			_, err := cs(c.Phys).RecordVitals(ctx, chart.Vitals{Patient: p.ID, Systolic: 80, Diastolic: 120})
			return err
		}},
		{"note empty", func() error { _, err := cs(c.Phys).WriteNote(ctx, chart.Note{Patient: p.ID, Plan: "   "}); return err }},
		{"note for nobody", func() error { _, err := cs(c.Phys).WriteNote(ctx, chart.Note{Patient: "nope", Plan: "x"}); return err }},
		{"problem unnamed", func() error { _, err := cs(c.Phys).AddProblem(ctx, chart.Problem{Patient: p.ID}); return err }},
		{"onset in the future", func() error {
			_, err := cs(c.Phys).AddProblem(ctx, chart.Problem{Patient: p.ID, Name: "x", Onset: "2999-01-01"})
			return err
		}},
		{"onset not a date", func() error {
			_, err := cs(c.Phys).AddProblem(ctx, chart.Problem{Patient: p.ID, Name: "x", Onset: "last spring"})
			return err
		}},
		{"allergy no severity", func() error {
			_, err := cs(c.Phys).AddAllergy(ctx, chart.Allergy{Patient: p.ID, Substance: "latex"})
			return err
		}},
		{"drug not in formulary", func() error {
			_, err := ps(c.Phys).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Drug: "unobtainium 5 mg", Dose: "1", Frequency: "daily", Days: 3})
			return err
		}},
		{"no duration", func() error {
			_, err := ps(c.Phys).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Drug: "paracetamol", Dose: "1", Frequency: "daily"})
			return err
		}},
		{"too many refills", func() error {
			_, err := ps(c.Phys).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Items: []prescribing.RxItem{{DrugID: "paracetamol|500_mg|tablet", Dose: "1", Frequency: "daily", Days: 3, Refills: 50}}})
			return err
		}},
		{"addendum to nothing", func() error { _, err := cs(c.Phys).AddAddendum(ctx, p.ID, "text"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := count()
			err := tt.do()
			if err == nil {
				t.Fatal("accepted, want an error")
			}
			if count() != before {
				t.Error("something was written")
			}
		})
	}
	// Front-desk staff cannot touch clinical records.
	if _, err := cs(c.Recep).RecordVitals(ctx, chart.Vitals{Patient: p.ID, Pulse: 70}); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("receptionist RecordVitals: %v", err)
	}
}

func TestSignedRecordsNeverChange(t *testing.T) {
	ctx := context.Background()
	c, p, _ := visit(t)
	n, err := cs(c.Phys).WriteNote(ctx, chart.Note{Patient: p.ID, Assessment: "Viral infection"})
	if err != nil {
		t.Fatal(err)
	}
	rx, err := ps(c.Phys).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Drug: "paracetamol 500 mg", Dose: "2 tablets", Frequency: "four times daily", Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	// A rogue client rewrites the note's content and the prescription's
	// directions with later events of the same entities.
	r, _ := c.Phys.Replica()
	for id, kind := range map[string]string{n.ID: records.KindNote, rx.ID: records.KindPrescription} {
		_, st, err := r.Entity(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		doc := strings.Replace(strings.Replace(st.String("doc"), "Viral", "Bacterial", 1), `"dose":"2"`, `"dose":"8"`, 1)
		f, _ := replica.F(map[string]any{"doc": doc})
		if _, err := r.Append(ctx, replica.Change{Entity: id, Kind: kind, Scope: roles.Clinical, Fields: f}); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := cs(c.Phys).OpenChart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Notes[0].Verified || ch.Notes[0].Problem == "" {
		t.Errorf("an altered note reads as verified: %+v", ch.Notes[0])
	}
	if ch.Prescriptions[0].Verified || ch.Prescriptions[0].Running(c.Clock.Now()) {
		t.Errorf("an altered prescription reads as verified: %+v", ch.Prescriptions[0])
	}
	if _, err := ps(c.Phys).VerifyPrescription(ctx, rx.Code); !errors.Is(err, prescribing.ErrRxSignature) {
		t.Errorf("VerifyPrescription of an altered prescription: %v", err)
	}
	if _, err := ps(c.Phys).PrescriptionPDF(ctx, rx.ID, prescribing.PDFPrint); !errors.Is(err, prescribing.ErrRxSignature) {
		t.Errorf("PDF of an altered prescription: %v", err)
	}
}
