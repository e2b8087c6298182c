package chart

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Problem statuses.
const (
	ProblemActive   = "active"
	ProblemResolved = "resolved"
)

// Problem is one entry of a patient's problem list.
type Problem = records.Problem

// Allergy statuses and severities.
const (
	AllergyActive         = "active"
	AllergyEnteredInError = "entered-in-error"
)

// AllergySeverities are the severities an allergy is recorded with.
var AllergySeverities = []string{"mild", "moderate", "severe"}

// Allergy is one recorded allergy or intolerance.
type Allergy = records.Allergy

// Medication statuses.
const (
	MedicationActive  = "active"
	MedicationStopped = "stopped"
)

// Medication is a drug the patient takes. Recorded medications are those
// started elsewhere; prescriptions of this clinic that are still running
// appear in the chart's list too, with Prescription set.
type Medication = records.Medication

// Vitals is one set of measurements. A zero value means "not measured".
type Vitals = records.Vitals

// Encounter is one visit: it starts when a physician opens an appointment.
type Encounter = records.Encounter

// Origin says where a record imported from another clinic (a FHIR
// transfer) came from. It is zero on the clinic's own records.
type Origin = records.Origin

// BMIOf returns the body-mass index of weight (kg) and height (cm), rounded
// to one decimal; 0 when either is missing.
func BMIOf(weightKg, heightCm float64) float64 {
	if weightKg <= 0 || heightCm <= 0 {
		return 0
	}
	m := heightCm / 100
	return math.Round(weightKg/(m*m)*10) / 10
}

// norm lower-cases and collapses spaces: how names are compared.
func norm(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// edit is one change of a clinical record about a patient, with what the
// audit log says of it.
type edit struct {
	action  roles.Action // the role policy's action
	patient string       // the patient's record id
	id      string       // the record's
	kind    string
	audit   string // the audit action (ActionProblem...)
	detail  string // what was done, in plain words: "recorded an allergy"
}

// record writes e: all of rec, or only the fields named, with its audit
// record.
func (s *Service) record(ctx context.Context, e edit, rec records.Record, names ...string) error {
	r, err := s.c.ReplicaFor(e.action)
	if err != nil {
		return err
	}
	fields, err := rec.Fields()
	if len(names) > 0 {
		fields, err = records.Some(rec, names...)
	}
	if err != nil {
		return err
	}
	return s.Commit(ctx, r, e.patient, e.audit, e.detail, replica.Change{Entity: e.id, Kind: e.kind, Scope: roles.Clinical, Fields: fields})
}

// existing returns the state of a clinical record of kind, or an error a
// physician understands.
func (s *Service) existing(ctx context.Context, id, kind, what string) (replica.State, error) {
	r, err := s.c.ReplicaFor(roles.ReadChart)
	if err != nil {
		return nil, err
	}
	k, st, err := r.Entity(ctx, id)
	if err != nil || k != kind {
		return nil, fmt.Errorf("%w: no %s %s on this workstation", app.ErrInvalidInput, what, id)
	}
	return st, nil
}

// AddProblem adds a problem to a patient's list, active unless its status
// says resolved.
func (s *Service) AddProblem(ctx context.Context, p Problem) (Problem, error) {
	p.Name = strings.Join(strings.Fields(p.Name), " ")
	if p.Name == "" {
		return Problem{}, fmt.Errorf("%w: name the problem", app.ErrInvalidInput)
	}
	if p.Status == "" {
		p.Status = ProblemActive
	}
	if p.Status != ProblemActive && p.Status != ProblemResolved {
		return Problem{}, fmt.Errorf("%w: a problem is active or resolved", app.ErrInvalidInput)
	}
	now := s.c.Now()
	if err := app.CheckDate("onset", p.Onset, now); err != nil {
		return Problem{}, err
	}
	if err := app.CheckDate("resolution date", p.Resolved, now); err != nil {
		return Problem{}, err
	}
	p.ID, p.Noted, p.Origin = roles.NewRecordID(records.KindProblem), now, Origin{}
	if err := s.record(ctx, edit{roles.EditProblems, p.Patient, p.ID, records.KindProblem, ActionProblem, "recorded a problem"}, p); err != nil {
		return Problem{}, err
	}
	return p, nil
}

// SetProblemStatus marks a problem resolved (on date, YYYY-MM-DD; today when
// empty) or active again.
func (s *Service) SetProblemStatus(ctx context.Context, id, status, date string) error {
	st, err := s.existing(ctx, id, records.KindProblem, "problem")
	if err != nil {
		return err
	}
	now := s.c.Now()
	switch status {
	case ProblemResolved:
		if date == "" {
			date = now.Format("2006-01-02")
		}
		if err := app.CheckDate("resolution date", date, now); err != nil {
			return err
		}
	case ProblemActive:
		date = ""
	default:
		return fmt.Errorf("%w: a problem is active or resolved", app.ErrInvalidInput)
	}
	return s.record(ctx, edit{roles.EditProblems, records.PatientOf(st), id, records.KindProblem, ActionProblem, "marked a problem " + status},
		Problem{Status: status, Resolved: date},
		records.ProblemStatus, records.ProblemResolved)
}

// noneWords are what a physician may type for "no known allergies" as if
// it were a substance: that is RecordNoKnownAllergies, not an allergy the
// checks would see.
var noneWords = map[string]bool{"nka": true, "nkda": true, "none": true, "nil": true, "no allergies": true, "no allergy": true,
	"no known allergies": true, "no known allergy": true, "no known drug allergies": true, "no known drug allergy": true}

// AddAllergy records an allergy. The substance may be a drug, a drug class
// or anything else; prescriptions are checked against it.
func (s *Service) AddAllergy(ctx context.Context, a Allergy) (Allergy, error) {
	a.Substance = strings.Join(strings.Fields(a.Substance), " ")
	a.Reaction = strings.TrimSpace(a.Reaction)
	if a.Substance == "" {
		return Allergy{}, fmt.Errorf("%w: name the substance the patient is allergic to", app.ErrInvalidInput)
	}
	if noneWords[norm(a.Substance)] {
		return Allergy{}, fmt.Errorf("%w: %q is not a substance: to record that the patient was asked and has no known allergies, use \"Asked: no known allergies\"",
			app.ErrInvalidInput, a.Substance)
	}
	a.Severity = norm(a.Severity)
	if !slices.Contains(AllergySeverities, a.Severity) {
		return Allergy{}, fmt.Errorf("%w: choose a severity: mild, moderate or severe", app.ErrInvalidInput)
	}
	// "No known allergies" is recorded by RecordNoKnownAllergies, which
	// asks first that none is recorded.
	a.ID, a.Status, a.Noted, a.Codes, a.Origin = roles.NewRecordID(records.KindAllergy), AllergyActive, s.c.Now(), nil, Origin{}
	if err := s.record(ctx, edit{roles.EditAllergies, a.Patient, a.ID, records.KindAllergy, ActionAllergy, "recorded an allergy"}, a); err != nil {
		return Allergy{}, err
	}
	return a, nil
}

// RemoveAllergy marks an allergy as entered in error. It stays in the
// record's history; checks no longer use it.
func (s *Service) RemoveAllergy(ctx context.Context, id string) error {
	st, err := s.existing(ctx, id, records.KindAllergy, "allergy")
	if err != nil {
		return err
	}
	return s.record(ctx, edit{roles.EditAllergies, records.PatientOf(st), id, records.KindAllergy, ActionAllergy, "marked an allergy entered in error"},
		Allergy{Status: AllergyEnteredInError}, records.AllergyStatus)
}

// AddMedication records a drug the patient takes that was started elsewhere.
func (s *Service) AddMedication(ctx context.Context, m Medication) (Medication, error) {
	m.Name = strings.Join(strings.Fields(m.Name), " ")
	if m.Name == "" {
		return Medication{}, fmt.Errorf("%w: name the medication", app.ErrInvalidInput)
	}
	if err := app.CheckDate("start date", m.Since, s.c.Now()); err != nil {
		return Medication{}, err
	}
	m.ID, m.Status = roles.NewRecordID(records.KindMedication), MedicationActive
	rec := Medication{Patient: m.Patient, Name: m.Name, Dose: strings.TrimSpace(m.Dose), Since: m.Since, Status: m.Status}
	if err := s.record(ctx, edit{roles.Prescribe, m.Patient, m.ID, records.KindMedication, ActionMedication, "recorded a medication"}, rec); err != nil {
		return Medication{}, err
	}
	return m, nil
}

// StopMedication marks a recorded medication as stopped.
func (s *Service) StopMedication(ctx context.Context, id string) error {
	st, err := s.existing(ctx, id, records.KindMedication, "recorded medication")
	if err != nil {
		return err
	}
	return s.record(ctx, edit{roles.Prescribe, records.PatientOf(st), id, records.KindMedication, ActionMedication, "stopped a medication"},
		Medication{Status: MedicationStopped, Stopped: s.c.Now().Format("2006-01-02")}, records.MedicationStatus, records.MedicationStopped)
}

// RecordVitals records one set of measurements, taken now or, when v.Time
// is set, at that earlier time (a reading brought from home or another
// clinic).
func (s *Service) RecordVitals(ctx context.Context, v Vitals) (Vitals, error) {
	if err := v.Validate(); err != nil {
		return Vitals{}, err
	}
	now := s.c.Now()
	switch {
	case v.Time.IsZero():
		v.Time = now
	case v.Time.After(now.Add(5 * time.Minute)):
		return Vitals{}, fmt.Errorf("%w: the measurement time is in the future", app.ErrInvalidInput)
	case v.Time.Before(now.AddDate(-130, 0, 0)):
		return Vitals{}, fmt.Errorf("%w: the measurement time is impossible", app.ErrInvalidInput)
	}
	v.ID, v.RecordedBy, v.Origin = roles.NewRecordID(records.KindVitals), s.c.Fingerprint(), Origin{}
	if err := s.record(ctx, edit{roles.RecordVitals, v.Patient, v.ID, records.KindVitals, ActionVitals, "recorded vitals"}, v); err != nil {
		return Vitals{}, err
	}
	v.BMI = BMIOf(v.WeightKg, v.HeightCm)
	return v, nil
}
