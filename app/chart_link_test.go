package app_test

import (
	"context"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
)

// The chart and prescribing as the core's tests use them (see
// clinical_link_test.go): this package may import them, package app may not.
func init() {
	app.ClinicalOf = func(s *app.Session) app.Clinical {
		return clinical{chart.New(s.Core()), prescribing.New(s.Core())}
	}
}

type clinical struct {
	*chart.Service
	rx *prescribing.Service
}

func (c clinical) WriteNote(ctx context.Context, n app.Note) (app.Note, error) {
	got, err := c.Service.WriteNote(ctx, chart.Note{Patient: n.Patient, Encounter: n.Encounter,
		Subjective: n.Subjective, Objective: n.Objective, Assessment: n.Assessment, Plan: n.Plan})
	return note(got), err
}

func note(n chart.Note) app.Note {
	return app.Note{ID: n.ID, Patient: n.Patient, Encounter: n.Encounter,
		Subjective: n.Subjective, Objective: n.Objective, Assessment: n.Assessment, Plan: n.Plan}
}

func (c clinical) AddAddendum(ctx context.Context, of, text string) (string, error) {
	a, err := c.Service.AddAddendum(ctx, of, text)
	return a.ID, err
}

func (c clinical) OpenChart(ctx context.Context, patientID string) (app.Chart, error) {
	ch, err := c.Service.OpenChart(ctx, patientID)
	out := app.Chart{Patient: ch.Patient, Allergies: ch.Allergies}
	for _, n := range ch.Notes {
		out.Notes = append(out.Notes, note(n))
	}
	return out, err
}

func (c clinical) Prescribe(ctx context.Context, p app.Prescription) (app.Prescription, error) {
	rx := prescribing.Prescription{Patient: p.Patient, Encounter: p.Encounter}
	for _, it := range p.Items {
		rx.Items = append(rx.Items, prescribing.RxItem{DrugID: it.DrugID, Dose: it.Dose, Frequency: it.Frequency,
			Quantity: it.Quantity, Days: it.Days})
	}
	got, err := c.rx.Prescribe(ctx, rx)
	p.ID = got.ID
	return p, err
}

func (c clinical) CancelPrescription(ctx context.Context, id, reason string) error {
	return c.rx.CancelPrescription(ctx, id, reason)
}
