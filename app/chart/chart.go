package chart

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Service is the chart of one logged-in session: a patient's clinical
// records, notes and addenda, and the chart read. Each method checks the
// role policy as the session's own use cases do.
type Service struct {
	c app.Core
}

// New returns the chart of a session (s.Core()).
func New(c app.Core) *Service { return &Service{c: c} }

// Of is the chart of s when s is an *app.Session or holds one embedded
// (as the GUI's synced session does); the UI, which sees a session only
// through interfaces, finds the service this way.
func Of(s any) (*Service, bool) {
	if c, ok := app.CoreOf(s); ok {
		return New(c), true
	}
	return nil, false
}

// Chart is what a physician sees of one patient.
type Chart struct {
	Patient   app.Patient
	Age       int // whole years today; -1 when the birth date is unknown
	Problems  []Problem
	Allergies []Allergy // active ones; never a "no known allergies"
	// NoneKnown is the newest "asked: no known allergies" (nil: never
	// recorded); Current only while Allergies is empty.
	NoneKnown     *NoneKnown
	Medications   []Medication // recorded active ones, then running prescriptions
	Encounters    []Encounter  // newest first
	Notes         []Note       // newest first
	Vitals        []Vitals     // oldest first, BMI computed
	Prescriptions []Prescription
	// Refused are prescriptions for the patient this workstation refused,
	// newest first: not part of the chart, but shown (refused.go).
	Refused []RefusedPrescription

	// opened is set by OpenChart, whose read was audited: RefreshChart
	// re-reads only a chart opened that way.
	opened bool
}

// AgeAt returns a person's age in whole years at now from a YYYY-MM-DD
// birth date, or -1 when it cannot be read.
func AgeAt(birth string, now time.Time) int {
	b, err := time.Parse("2006-01-02", birth)
	if err != nil || b.After(now) {
		return -1
	}
	age := now.Year() - b.Year()
	if now.Month() < b.Month() || (now.Month() == b.Month() && now.Day() < b.Day()) {
		age--
	}
	return age
}

// PatientRecords returns the stored clinical records of kinds about a
// patient, by kind, for what a chart leaves out (stopped medications);
// records.XFromState reads them.
func PatientRecords(ctx context.Context, r *replica.Replica, patient string, kinds ...string) (map[string][]replica.EntityState, error) {
	ids, err := r.Search(ctx, roles.Clinical, -1, records.PatientTerm(patient))
	if err != nil {
		return nil, fmt.Errorf("app: find the patient's records: %w", err)
	}
	rows, err := r.EntitiesByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("app: read the patient's records: %w", err)
	}
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	out := map[string][]replica.EntityState{}
	for _, e := range rows {
		if want[e.Kind] && records.PatientOf(e.State) == patient {
			out[e.Kind] = append(out[e.Kind], e)
		}
	}
	return out, nil
}

// OpenChart returns a patient's chart and records the read in the audit
// log; when the read cannot be audited the chart stays closed.
func (s *Service) OpenChart(ctx context.Context, patientID string) (Chart, error) {
	r, err := s.c.ReplicaFor(roles.ReadChart)
	if err != nil {
		return Chart{}, err
	}
	p, err := s.c.Patient(ctx, patientID)
	if err != nil {
		return Chart{}, err
	}
	if err := s.c.Audit(ctx, app.AuditRecord{Action: "chart.read", Entity: patientID, Patient: p.MRN}); err != nil {
		return Chart{}, fmt.Errorf("app: the chart read could not be audited, so the chart stays closed: %w", err)
	}
	c, err := s.ReadUnaudited(ctx, r, p)
	c.opened = err == nil
	return c, err
}

// RefreshChart re-reads a chart that is open on screen after a change (a
// note signed, a sync), without a new audit record: the opening was
// audited. A chart value not returned by OpenChart is refused.
func (s *Service) RefreshChart(ctx context.Context, c Chart) (Chart, error) {
	r, err := s.c.ReplicaFor(roles.ReadChart)
	if err != nil {
		return Chart{}, err
	}
	if !c.opened {
		return Chart{}, fmt.Errorf("%w: open the chart first (opening it is audited)", app.ErrInvalidInput)
	}
	p, err := s.c.Patient(ctx, c.Patient.ID)
	if err != nil {
		return Chart{}, err
	}
	c, err = s.ReadUnaudited(ctx, r, p)
	c.opened = err == nil
	return c, err
}

// ReadUnaudited reads a patient's chart with r without an audit record:
// the caller audits what it does with the chart (an export, a patient's
// copy, the checks of a prescription).
func (s *Service) ReadUnaudited(ctx context.Context, r *replica.Replica, p app.Patient) (Chart, error) {
	now := s.c.Now()
	recs, err := PatientRecords(ctx, r, p.ID, records.KindProblem, records.KindAllergy, records.KindMedication,
		records.KindVitals, records.KindEncounter, records.KindNote, records.KindAddendum, records.KindPrescription)
	if err != nil {
		return Chart{}, err
	}
	c := Chart{Patient: p, Age: AgeAt(p.Birth, now)}
	for _, e := range recs[records.KindProblem] {
		c.Problems = append(c.Problems, records.ProblemFromState(e.ID, e.State))
	}
	sort.SliceStable(c.Problems, func(i, j int) bool {
		if a, b := c.Problems[i].Status == ProblemActive, c.Problems[j].Status == ProblemActive; a != b {
			return a
		}
		return c.Problems[i].Noted.After(c.Problems[j].Noted)
	})
	var none []Allergy
	for _, e := range recs[records.KindAllergy] {
		switch a := records.AllergyFromState(e.ID, e.State); {
		case a.Status == AllergyEnteredInError:
		case a.NoneKnown():
			none = append(none, a)
		default:
			c.Allergies = append(c.Allergies, a)
		}
	}
	sort.Slice(c.Allergies, func(i, j int) bool { return c.Allergies[i].Substance < c.Allergies[j].Substance })
	if c.NoneKnown, err = noneKnown(ctx, r, none, len(c.Allergies)); err != nil {
		return Chart{}, err
	}
	for _, e := range recs[records.KindMedication] {
		if m := records.MedicationFromState(e.ID, e.State); m.Status == MedicationActive {
			c.Medications = append(c.Medications, m)
		}
	}
	sort.Slice(c.Medications, func(i, j int) bool { return c.Medications[i].Name < c.Medications[j].Name })
	for _, e := range recs[records.KindVitals] {
		c.Vitals = append(c.Vitals, records.VitalsFromState(e.ID, e.State))
	}
	sort.Slice(c.Vitals, func(i, j int) bool { return c.Vitals[i].Time.Before(c.Vitals[j].Time) })
	height := 0.0
	for i := range c.Vitals {
		if c.Vitals[i].HeightCm > 0 {
			height = c.Vitals[i].HeightCm
		}
		c.Vitals[i].BMI = BMIOf(c.Vitals[i].WeightKg, height)
	}
	for _, e := range recs[records.KindEncounter] {
		c.Encounters = append(c.Encounters, records.EncounterFromState(e.ID, e.State))
	}
	sort.Slice(c.Encounters, func(i, j int) bool { return c.Encounters[i].Start.After(c.Encounters[j].Start) })
	addenda := map[string][]Addendum{}
	for _, e := range recs[records.KindAddendum] {
		a := AddendumFromState(r, e.ID, e.State)
		addenda[a.Of] = append(addenda[a.Of], a)
	}
	for _, as := range addenda {
		sort.Slice(as, func(i, j int) bool { return as[i].Time.Before(as[j].Time) })
	}
	for _, e := range recs[records.KindNote] {
		n := noteFromState(r, e.ID, e.State)
		n.Addenda = addenda[n.ID]
		c.Notes = append(c.Notes, n)
	}
	sort.Slice(c.Notes, func(i, j int) bool { return c.Notes[i].Time.After(c.Notes[j].Time) })
	cancels, err := Cancellations(ctx, r)
	if err != nil {
		return Chart{}, err
	}
	for _, e := range recs[records.KindPrescription] {
		rx := PrescriptionFromState(r, s.c.Profile().ClinicID, e.ID, e.State, cancels)
		rx.Addenda = addenda[rx.ID]
		c.Prescriptions = append(c.Prescriptions, rx)
	}
	sort.Slice(c.Prescriptions, func(i, j int) bool { return c.Prescriptions[i].Time.After(c.Prescriptions[j].Time) })
	for _, rx := range c.Prescriptions {
		if !rx.Running(now) {
			continue
		}
		for _, it := range rx.Items {
			c.Medications = append(c.Medications, Medication{ID: rx.ID, Patient: p.ID, Name: it.Drug,
				Dose: it.Directions(), Since: rx.Time.Format("2006-01-02"), Status: MedicationActive, Prescription: rx.ID})
		}
	}
	if c.Refused, err = refusedFor(ctx, r, p.ID); err != nil {
		return Chart{}, err
	}
	return c, nil
}
