package chart_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
)

// BenchmarkOpenChart opens one chart in a clinic whose workstation holds
// the charts of many patients: the clinical records are found by scanning
// their kinds (see the report on issue 6: a blind-index term per patient
// would make this independent of the clinic's size).
func BenchmarkOpenChart(b *testing.B) {
	for _, patients := range []int{50, 200} {
		b.Run(fmt.Sprintf("patients=%d", patients), func(b *testing.B) {
			ctx := context.Background()
			c := apptest.NewClinic(b)
			var pats []app.Patient
			for i := 0; i < patients; i++ {
				pats = append(pats, app.Patient{Family: fmt.Sprint("Bench", i), Given: "Pat", Birth: "1970-01-01"})
			}
			pats, err := c.Recep.RegisterPatients(ctx, pats)
			if err != nil {
				b.Fatal(err)
			}
			if err := app.SyncLocal(ctx, c.Recep, c.Phys); err != nil {
				b.Fatal(err)
			}
			for _, p := range pats {
				cs(c.Phys).AddProblem(ctx, chart.Problem{Patient: p.ID, Name: "Hypertension"})                                                  //nolint:errcheck
				cs(c.Phys).AddAllergy(ctx, chart.Allergy{Patient: p.ID, Substance: "penicillin", Severity: "mild"})                             //nolint:errcheck
				cs(c.Phys).RecordVitals(ctx, chart.Vitals{Patient: p.ID, Systolic: 130, Diastolic: 80, WeightKg: 70})                           //nolint:errcheck
				cs(c.Phys).WriteNote(ctx, chart.Note{Patient: p.ID, Subjective: "well", Plan: "review"})                                        //nolint:errcheck
				ps(c.Phys).Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Drug: "paracetamol", Dose: "1", Frequency: "daily", Days: 3}) //nolint:errcheck
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := cs(c.Phys).OpenChart(ctx, pats[i%len(pats)].ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
