package chart_test

import (
	"context"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
)

// TestEveryChartChangeIsAudited: the audit log filtered by a patient's MRN
// tells the whole story of their chart, not only "opened a chart": every
// change writes a sealed audit record naming the MRN, with what was done
// in plain words and nothing of what was written.
func TestEveryChartChangeIsAudited(t *testing.T) {
	ctx := context.Background()
	c, p, a := visit(t)
	ch, rx := cs(c.Phys), ps(c.Phys)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ch.OpenChart(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	enc, err := ch.StartVisit(ctx, a.ID, true)
	must(err)
	pr, err := ch.AddProblem(ctx, chart.Problem{Patient: p.ID, Name: "Hypertension"})
	must(err)
	must(ch.SetProblemStatus(ctx, pr.ID, chart.ProblemResolved, ""))
	al, err := ch.AddAllergy(ctx, chart.Allergy{Patient: p.ID, Substance: "latex", Severity: "mild"})
	must(err)
	must(ch.RemoveAllergy(ctx, al.ID))
	m, err := ch.AddMedication(ctx, chart.Medication{Patient: p.ID, Name: "warfarin 1 mg tablet", Dose: "3 mg daily"})
	must(err)
	must(ch.StopMedication(ctx, m.ID))
	_, err = ch.RecordVitals(ctx, chart.Vitals{Patient: p.ID, Encounter: enc.ID, Pulse: 72})
	must(err)
	n, err := ch.WriteNote(ctx, chart.Note{Patient: p.ID, Encounter: enc.ID, Assessment: "Secret assessment words"})
	must(err)
	_, err = ch.AddAddendum(ctx, n.ID, "Secret addendum words")
	must(err)
	signed, err := rx.Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Drug: "paracetamol 500 mg", Dose: "1", Frequency: "daily", Days: 3})
	must(err)
	must(rx.CancelPrescription(ctx, signed.ID, "Entered for the wrong patient's day"))
	must(app.SyncLocal(ctx, c.All()...))

	log, err := c.Admin.AuditLog(ctx)
	must(err)
	var got []string
	for _, e := range log {
		if e.Record.Patient != p.MRN {
			continue
		}
		got = append(got, e.Record.Action)
		for _, secret := range []string{"Secret", "latex", "warfarin", "paracetamol", "wrong patient"} {
			if strings.Contains(e.Record.Detail, secret) {
				t.Errorf("the audit record %+v holds clinical content", e.Record)
			}
		}
	}
	for action, want := range map[string]int{"chart.read": 1, chart.ActionVisitStart: 1, chart.ActionProblem: 2, chart.ActionAllergy: 2,
		chart.ActionMedication: 2, chart.ActionVitals: 1, chart.ActionNote: 1, chart.ActionAddendum: 1, chart.ActionPrescription: 1,
		chart.ActionRxCancel: 1} {
		n := 0
		for _, g := range got {
			if g == action {
				n++
			}
		}
		if n != want {
			t.Errorf("%d audit records of %s for MRN %s, want %d (all: %v)", n, action, p.MRN, want, got)
		}
	}
}
