package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Kinds of clinical records (clinical scope: physicians only).
const (
	kindNote         = "note"
	kindPrescription = "prescription"
)

// Note is a signed SOAP note of one encounter.
type Note struct {
	ID         string
	Patient    string
	Author     string
	Time       time.Time
	Subjective string
	Objective  string
	Assessment string
	Plan       string
}

// Prescription is one prescribed drug.
type Prescription struct {
	ID           string
	Patient      string
	Prescriber   string
	Time         time.Time
	Drug         string
	Dose         string
	Frequency    string
	Days         int
	Instructions string
}

// Chart is what a physician sees of one patient.
type Chart struct {
	Patient       Patient
	Notes         []Note
	Prescriptions []Prescription
}

// WriteNote signs and records a SOAP note.
func (s *Session) WriteNote(ctx context.Context, n Note) (Note, error) {
	r, err := s.can(roles.WriteNote)
	if err != nil {
		return Note{}, err
	}
	if strings.TrimSpace(n.Subjective+n.Objective+n.Assessment+n.Plan) == "" {
		return Note{}, fmt.Errorf("%w: the note is empty", ErrInvalidInput)
	}
	if _, err := s.Patient(ctx, n.Patient); err != nil {
		return Note{}, err
	}
	n.ID, n.Author, n.Time = crypto.NewEventID(), r.Fingerprint(), s.env.Now()
	fields, err := replica.F(map[string]any{"patient": n.Patient, "author": n.Author, "time": n.Time.UnixMilli(),
		"subjective": n.Subjective, "objective": n.Objective, "assessment": n.Assessment, "plan": n.Plan})
	if err != nil {
		return Note{}, err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: n.ID, Kind: kindNote, Scope: roles.Clinical, Fields: fields}); err != nil {
		return Note{}, fmt.Errorf("app: write note: %w", err)
	}
	return n, nil
}

// Prescribe signs and records a prescription.
func (s *Session) Prescribe(ctx context.Context, p Prescription) (Prescription, error) {
	r, err := s.can(roles.Prescribe)
	if err != nil {
		return Prescription{}, err
	}
	if strings.TrimSpace(p.Drug) == "" || strings.TrimSpace(p.Dose) == "" {
		return Prescription{}, fmt.Errorf("%w: a prescription needs a drug and a dose", ErrInvalidInput)
	}
	if _, err := s.Patient(ctx, p.Patient); err != nil {
		return Prescription{}, err
	}
	p.ID, p.Prescriber, p.Time = crypto.NewEventID(), r.Fingerprint(), s.env.Now()
	fields, err := replica.F(map[string]any{"patient": p.Patient, "prescriber": p.Prescriber, "time": p.Time.UnixMilli(),
		"drug": p.Drug, "dose": p.Dose, "frequency": p.Frequency, "days": p.Days, "instructions": p.Instructions})
	if err != nil {
		return Prescription{}, err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: p.ID, Kind: kindPrescription, Scope: roles.Clinical, Fields: fields}); err != nil {
		return Prescription{}, fmt.Errorf("app: prescribe: %w", err)
	}
	return p, nil
}

// OpenChart returns a patient's chart and records the read in the audit log.
func (s *Session) OpenChart(ctx context.Context, patientID string) (Chart, error) {
	r, err := s.can(roles.ReadChart)
	if err != nil {
		return Chart{}, err
	}
	p, err := s.Patient(ctx, patientID)
	if err != nil {
		return Chart{}, err
	}
	if err := s.Audit(ctx, AuditRecord{Action: "chart.read", Entity: patientID, Patient: p.MRN}); err != nil {
		return Chart{}, fmt.Errorf("app: the chart read could not be audited, so the chart stays closed: %w", err)
	}
	c := Chart{Patient: p}
	notes, err := r.Entities(ctx, kindNote)
	if err != nil {
		return Chart{}, err
	}
	for _, e := range notes {
		if e.State.String("patient") != patientID {
			continue
		}
		var ms int64
		e.State.Get("time", &ms) //nolint:errcheck
		c.Notes = append(c.Notes, Note{ID: e.ID, Patient: patientID, Author: e.State.String("author"), Time: time.UnixMilli(ms),
			Subjective: e.State.String("subjective"), Objective: e.State.String("objective"),
			Assessment: e.State.String("assessment"), Plan: e.State.String("plan")})
	}
	rx, err := r.Entities(ctx, kindPrescription)
	if err != nil {
		return Chart{}, err
	}
	for _, e := range rx {
		if e.State.String("patient") != patientID {
			continue
		}
		var ms int64
		var days int
		e.State.Get("time", &ms)   //nolint:errcheck
		e.State.Get("days", &days) //nolint:errcheck
		c.Prescriptions = append(c.Prescriptions, Prescription{ID: e.ID, Patient: patientID, Prescriber: e.State.String("prescriber"),
			Time: time.UnixMilli(ms), Drug: e.State.String("drug"), Dose: e.State.String("dose"),
			Frequency: e.State.String("frequency"), Days: days, Instructions: e.State.String("instructions")})
	}
	sort.Slice(c.Notes, func(i, j int) bool { return c.Notes[i].Time.After(c.Notes[j].Time) })
	sort.Slice(c.Prescriptions, func(i, j int) bool { return c.Prescriptions[i].Time.After(c.Prescriptions[j].Time) })
	return c, nil
}
