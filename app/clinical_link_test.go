package app

import (
	"context"

	"github.com/medihaven/medihaven/app/records"
)

// The chart and prescribing are app/chart and app/prescribing, which
// import app, so the core's tests cannot import them. The core's tests
// that need a chart (a note to sync, revoke or recover, a chart to read
// back) use them through clin, which chart_link_test.go (package app_test,
// compiled into the same test binary) sets before any test runs; the
// records go through the chart's own code, signatures and all.

// Clinical record shapes as the core's tests write and read them.
type (
	Allergy    = records.Allergy
	Medication = records.Medication
	Problem    = records.Problem
	Vitals     = records.Vitals
	Encounter  = records.Encounter
)

// AllergyEnteredInError is the status of an allergy recorded in error
// (chart.AllergyEnteredInError).
const AllergyEnteredInError = "entered-in-error"

// Note is a SOAP note as the core's tests write and read it.
type Note struct {
	ID, Patient, Encounter                  string
	Subjective, Objective, Assessment, Plan string
}

// Chart is what the core's tests read of a patient's chart.
type Chart struct {
	Patient   Patient
	Notes     []Note
	Allergies []Allergy
}

// RxItem is a drug of a prescription as the core's tests write it.
type RxItem struct {
	DrugID, Dose, Frequency, Quantity string
	Days                              int
}

// Prescription is a prescription as the core's tests write it.
type Prescription struct {
	ID, Patient, Encounter string
	Items                  []RxItem
}

// Clinical is the chart and prescribing of one session, as the core's
// tests use them.
type Clinical interface {
	StartVisit(ctx context.Context, appointmentID string, anotherDay bool) (Encounter, error)
	WriteNote(ctx context.Context, n Note) (Note, error)
	AddAddendum(ctx context.Context, of, text string) (string, error)
	RecordVitals(ctx context.Context, v Vitals) (Vitals, error)
	AddProblem(ctx context.Context, p Problem) (Problem, error)
	AddAllergy(ctx context.Context, a Allergy) (Allergy, error)
	RemoveAllergy(ctx context.Context, id string) error
	AddMedication(ctx context.Context, m Medication) (Medication, error)
	OpenChart(ctx context.Context, patientID string) (Chart, error)
	Prescribe(ctx context.Context, p Prescription) (Prescription, error)
	CancelPrescription(ctx context.Context, id, reason string) error
}

// ClinicalOf is set by chart_link_test.go.
var ClinicalOf func(*Session) Clinical

// clin is the chart and prescribing of s.
func clin(s *Session) Clinical { return ClinicalOf(s) }
