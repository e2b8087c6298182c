package app

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkOpenChart opens one chart in a clinic whose workstation holds
// the charts of many patients: the clinical records are found by scanning
// their kinds (see the report on issue 6: a blind-index term per patient
// would make this independent of the clinic's size).
func BenchmarkOpenChart(b *testing.B) {
	for _, patients := range []int{50, 200} {
		b.Run(fmt.Sprintf("patients=%d", patients), func(b *testing.B) {
			ctx := context.Background()
			c := newClinic(b)
			var ps []Patient
			for i := 0; i < patients; i++ {
				ps = append(ps, Patient{Family: fmt.Sprint("Bench", i), Given: "Pat", Birth: "1970-01-01"})
			}
			ps, err := c.recep.RegisterPatients(ctx, ps)
			if err != nil {
				b.Fatal(err)
			}
			if err := SyncLocal(ctx, c.recep, c.phys); err != nil {
				b.Fatal(err)
			}
			for _, p := range ps {
				c.phys.AddProblem(ctx, Problem{Patient: p.ID, Name: "Hypertension"})                                            //nolint:errcheck
				c.phys.AddAllergy(ctx, Allergy{Patient: p.ID, Substance: "penicillin", Severity: "mild"})                       //nolint:errcheck
				c.phys.RecordVitals(ctx, Vitals{Patient: p.ID, Systolic: 130, Diastolic: 80, WeightKg: 70})                     //nolint:errcheck
				c.phys.WriteNote(ctx, Note{Patient: p.ID, Subjective: "well", Plan: "review"})                                  //nolint:errcheck
				c.phys.Prescribe(ctx, Prescription{Patient: p.ID, Drug: "paracetamol", Dose: "1", Frequency: "daily", Days: 3}) //nolint:errcheck
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.phys.OpenChart(ctx, ps[i%len(ps)].ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
