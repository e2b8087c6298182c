package chart

import (
	"context"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/sync/replica"
)

// Every change to a patient's chart is written with an audit record that
// names the patient's MRN and says in plain words what was done (never
// what was written: the audit log's readers are administrators, who hold
// no clinical key), in one batch: both are written, or neither. The
// record is sealed to the clinic's audit key, so the MRN stays out of
// every clear header.

// Audit actions of the chart and prescribing, as the audit log's filter
// and export name them.
const (
	ActionProblem      = "chart.problem"
	ActionAllergy      = "chart.allergy"
	ActionMedication   = "chart.medication"
	ActionVitals       = "chart.vitals"
	ActionVisitStart   = "chart.visit.start"
	ActionVisitFinish  = "chart.visit.finish"
	ActionNote         = "chart.note"
	ActionAddendum     = "chart.addendum"
	ActionPrescription = "chart.prescription"
	ActionRxCancel     = "chart.prescription.cancel"
)

// Commit writes changes to the chart of patient (its record id) with an
// audit record of action and detail (plain words: "recorded an allergy"),
// in one batch with r: both are written, or neither.
func (s *Service) Commit(ctx context.Context, r *replica.Replica, patient, action, detail string, changes ...replica.Change) error {
	if len(changes) == 0 {
		return errors.New("app: nothing to write")
	}
	p, err := s.c.Patient(ctx, patient)
	if err != nil {
		return err
	}
	b := r.Batch()
	for _, ch := range changes {
		b.Append(ch)
	}
	if err := s.c.AuditInBatch(r, b, app.AuditRecord{Action: action, Entity: changes[0].Entity, Patient: p.MRN, Detail: detail}); err != nil {
		return fmt.Errorf("app: the change could not be audited, so nothing was written: %w", err)
	}
	if _, err := b.Commit(ctx); err != nil {
		return fmt.Errorf("app: %s: %w", detail, err)
	}
	return nil
}
