package app

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Kinds of the chart's structured records (clinical scope). Problems,
// allergies and medications are lists a physician keeps up to date (their
// status changes); vitals and encounters are written once.
const (
	kindProblem    = "problem"
	kindAllergy    = "allergy"
	kindMedication = "medication"
	kindVitals     = "vitals"
	kindEncounter  = "encounter"
)

// Problem statuses.
const (
	ProblemActive   = "active"
	ProblemResolved = "resolved"
)

// Problem is one entry of a patient's problem list.
type Problem struct {
	ID       string
	Patient  string
	Name     string // "Type 2 diabetes"
	Status   string // ProblemActive or ProblemResolved
	Onset    string // YYYY-MM-DD, YYYY-MM or YYYY; may be empty
	Resolved string // YYYY-MM-DD when resolved
	Noted    time.Time
	Origin
}

// Allergy statuses and severities.
const (
	AllergyActive         = "active"
	AllergyEnteredInError = "entered-in-error"
)

// AllergySeverities are the severities an allergy is recorded with.
var AllergySeverities = []string{"mild", "moderate", "severe"}

// Allergy is one recorded allergy or intolerance.
type Allergy struct {
	ID        string
	Patient   string
	Substance string // a drug, a drug class ("penicillin") or anything else ("latex")
	Reaction  string // "rash", "anaphylaxis"
	Severity  string // mild, moderate, severe
	Status    string // AllergyActive or AllergyEnteredInError
	Noted     time.Time
	Origin
}

// Medication statuses.
const (
	MedicationActive  = "active"
	MedicationStopped = "stopped"
)

// Medication is a drug the patient takes. Recorded medications are those
// started elsewhere; prescriptions of this clinic that are still running
// appear in the chart's list too, with Prescription set.
type Medication struct {
	ID           string
	Patient      string
	Name         string // "amlodipine 5 mg tablet"
	Dose         string // "1 tablet once daily"
	Since        string // YYYY-MM-DD, may be empty
	Status       string
	Prescription string // id of the prescription it comes from, if any
	Origin
}

// Vitals is one set of measurements. A zero value means "not measured".
type Vitals struct {
	ID        string
	Patient   string
	Encounter string
	Time      time.Time // when measured
	Systolic  int       // mmHg
	Diastolic int       // mmHg
	Pulse     int       // beats per minute
	TempC     float64   // °C
	Resp      int       // breaths per minute
	SpO2      int       // %
	WeightKg  float64
	HeightCm  float64
	// BMI is computed (kg/m²) from the weight and the height of this set,
	// or the latest height measured before; 0 when either is missing.
	BMI float64
	Origin
}

// Encounter is one visit: it starts when a physician opens an appointment.
type Encounter struct {
	ID          string
	Patient     string
	Appointment string
	Physician   string // fingerprint
	Start       time.Time
	Reason      string
	Origin
}

// Origin says where a record imported from another clinic (a FHIR
// transfer) came from, so the chart does not present the importing
// physician as its author. It is zero on the clinic's own records.
type Origin struct {
	// Attribution names who wrote the record at the other clinic, as the
	// transfer named them ("Dr Maria Rossi"); empty when it named nobody.
	Attribution string
	// Imported is when the record was imported here; zero on records
	// imported before the date was kept.
	Imported time.Time
}

// IsImported reports whether the record came from another clinic.
func (o Origin) IsImported() bool { return o.Attribution != "" || !o.Imported.IsZero() }

// originFromState reads the fields the FHIR import writes next to a record.
func originFromState(st replica.State) Origin {
	return Origin{Attribution: st.String("attribution"), Imported: msTime(st, "imported")}
}

// vitalRanges are the plausible ranges a measurement must fall in: a value
// outside is a typing error, not a reading.
var vitalRanges = []struct {
	name     string
	get      func(Vitals) float64
	min, max float64
	unit     string
}{
	{"systolic blood pressure", func(v Vitals) float64 { return float64(v.Systolic) }, 50, 260, "mmHg"},
	{"diastolic blood pressure", func(v Vitals) float64 { return float64(v.Diastolic) }, 30, 160, "mmHg"},
	{"pulse", func(v Vitals) float64 { return float64(v.Pulse) }, 20, 250, "/min"},
	{"temperature", func(v Vitals) float64 { return v.TempC }, 30, 45, "°C"},
	{"respiratory rate", func(v Vitals) float64 { return float64(v.Resp) }, 4, 80, "/min"},
	{"SpO2", func(v Vitals) float64 { return float64(v.SpO2) }, 50, 100, "%"},
	{"weight", func(v Vitals) float64 { return v.WeightKg }, 0.3, 400, "kg"},
	{"height", func(v Vitals) float64 { return v.HeightCm }, 25, 250, "cm"},
}

// Validate checks that at least one measurement is given and each is
// plausible, naming the first that is not.
func (v Vitals) Validate() error {
	any := false
	for _, r := range vitalRanges {
		x := r.get(v)
		if x == 0 {
			continue
		}
		any = true
		if math.IsNaN(x) || x < r.min || x > r.max {
			return fmt.Errorf("%w: %s %g %s is outside %g–%g %s; check the reading", ErrInvalidInput, r.name, x, r.unit, r.min, r.max, r.unit)
		}
	}
	if !any {
		return fmt.Errorf("%w: enter at least one measurement", ErrInvalidInput)
	}
	if (v.Systolic == 0) != (v.Diastolic == 0) {
		return fmt.Errorf("%w: a blood pressure needs both systolic and diastolic values", ErrInvalidInput)
	}
	if v.Systolic != 0 && v.Diastolic >= v.Systolic {
		return fmt.Errorf("%w: the diastolic pressure must be lower than the systolic", ErrInvalidInput)
	}
	return nil
}

// BMIOf returns the body-mass index of weight (kg) and height (cm), rounded
// to one decimal; 0 when either is missing.
func BMIOf(weightKg, heightCm float64) float64 {
	if weightKg <= 0 || heightCm <= 0 {
		return 0
	}
	m := heightCm / 100
	return math.Round(weightKg/(m*m)*10) / 10
}

// checkDate accepts an empty string, YYYY, YYYY-MM or YYYY-MM-DD not in the
// future.
func checkDate(what, s string, now time.Time) error {
	if s == "" {
		return nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil && len(s) == len(layout) {
			if t.After(now) {
				return fmt.Errorf("%w: the %s %s is in the future", ErrInvalidInput, what, s)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: the %s %q is not a date (write YYYY-MM-DD, YYYY-MM or YYYY)", ErrInvalidInput, what, s)
}

// record writes one change of a clinical record about a patient.
func (s *Session) record(ctx context.Context, a roles.Action, patient, id, kind string, kv map[string]any) error {
	r, err := s.can(a)
	if err != nil {
		return err
	}
	if patient != "" {
		if _, err := s.Patient(ctx, patient); err != nil {
			return err
		}
	}
	fields, err := replica.F(kv)
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: id, Kind: kind, Scope: roles.Clinical, Fields: fields}); err != nil {
		return fmt.Errorf("app: record %s: %w", kind, err)
	}
	return nil
}

// existing returns the state of a clinical record of kind, or an error a
// physician understands.
func (s *Session) existing(ctx context.Context, id, kind, what string) (replica.State, error) {
	r, err := s.can(roles.ReadChart)
	if err != nil {
		return nil, err
	}
	k, st, err := r.Entity(ctx, id)
	if err != nil || k != kind {
		return nil, fmt.Errorf("%w: no %s %s on this workstation", ErrInvalidInput, what, id)
	}
	return st, nil
}

// AddProblem adds a problem to a patient's list, active unless its status
// says resolved.
func (s *Session) AddProblem(ctx context.Context, p Problem) (Problem, error) {
	p.Name = strings.Join(strings.Fields(p.Name), " ")
	if p.Name == "" {
		return Problem{}, fmt.Errorf("%w: name the problem", ErrInvalidInput)
	}
	if p.Status == "" {
		p.Status = ProblemActive
	}
	if p.Status != ProblemActive && p.Status != ProblemResolved {
		return Problem{}, fmt.Errorf("%w: a problem is active or resolved", ErrInvalidInput)
	}
	now := s.env.Now()
	if err := checkDate("onset", p.Onset, now); err != nil {
		return Problem{}, err
	}
	if err := checkDate("resolution date", p.Resolved, now); err != nil {
		return Problem{}, err
	}
	p.ID, p.Noted = crypto.NewEventID(), now
	err := s.record(ctx, roles.EditProblems, p.Patient, p.ID, kindProblem, map[string]any{"patient": p.Patient, "name": p.Name,
		"status": p.Status, "onset": p.Onset, "resolved": p.Resolved, "noted": now.UnixMilli()})
	if err != nil {
		return Problem{}, err
	}
	return p, nil
}

// SetProblemStatus marks a problem resolved (on date, YYYY-MM-DD; today when
// empty) or active again.
func (s *Session) SetProblemStatus(ctx context.Context, id, status, date string) error {
	if _, err := s.existing(ctx, id, kindProblem, "problem"); err != nil {
		return err
	}
	now := s.env.Now()
	switch status {
	case ProblemResolved:
		if date == "" {
			date = now.Format("2006-01-02")
		}
		if err := checkDate("resolution date", date, now); err != nil {
			return err
		}
	case ProblemActive:
		date = ""
	default:
		return fmt.Errorf("%w: a problem is active or resolved", ErrInvalidInput)
	}
	return s.record(ctx, roles.EditProblems, "", id, kindProblem, map[string]any{"status": status, "resolved": date})
}

// AddAllergy records an allergy. The substance may be a drug, a drug class
// or anything else; prescriptions are checked against it.
func (s *Session) AddAllergy(ctx context.Context, a Allergy) (Allergy, error) {
	a.Substance = strings.Join(strings.Fields(a.Substance), " ")
	a.Reaction = strings.TrimSpace(a.Reaction)
	if a.Substance == "" {
		return Allergy{}, fmt.Errorf("%w: name the substance the patient is allergic to", ErrInvalidInput)
	}
	a.Severity = norm(a.Severity)
	if !contains(AllergySeverities, a.Severity) {
		return Allergy{}, fmt.Errorf("%w: choose a severity: mild, moderate or severe", ErrInvalidInput)
	}
	a.ID, a.Status, a.Noted = crypto.NewEventID(), AllergyActive, s.env.Now()
	err := s.record(ctx, roles.EditAllergies, a.Patient, a.ID, kindAllergy, map[string]any{"patient": a.Patient, "substance": a.Substance,
		"reaction": a.Reaction, "severity": a.Severity, "status": a.Status, "noted": a.Noted.UnixMilli()})
	if err != nil {
		return Allergy{}, err
	}
	return a, nil
}

// RemoveAllergy marks an allergy as entered in error. It stays in the
// record's history; checks no longer use it.
func (s *Session) RemoveAllergy(ctx context.Context, id string) error {
	if _, err := s.existing(ctx, id, kindAllergy, "allergy"); err != nil {
		return err
	}
	return s.record(ctx, roles.EditAllergies, "", id, kindAllergy, map[string]any{"status": AllergyEnteredInError})
}

// AddMedication records a drug the patient takes that was started elsewhere.
func (s *Session) AddMedication(ctx context.Context, m Medication) (Medication, error) {
	m.Name = strings.Join(strings.Fields(m.Name), " ")
	if m.Name == "" {
		return Medication{}, fmt.Errorf("%w: name the medication", ErrInvalidInput)
	}
	if err := checkDate("start date", m.Since, s.env.Now()); err != nil {
		return Medication{}, err
	}
	m.ID, m.Status = crypto.NewEventID(), MedicationActive
	err := s.record(ctx, roles.Prescribe, m.Patient, m.ID, kindMedication, map[string]any{"patient": m.Patient, "name": m.Name,
		"dose": strings.TrimSpace(m.Dose), "since": m.Since, "status": m.Status})
	if err != nil {
		return Medication{}, err
	}
	return m, nil
}

// StopMedication marks a recorded medication as stopped.
func (s *Session) StopMedication(ctx context.Context, id string) error {
	if _, err := s.existing(ctx, id, kindMedication, "recorded medication"); err != nil {
		return err
	}
	return s.record(ctx, roles.Prescribe, "", id, kindMedication, map[string]any{"status": MedicationStopped,
		"stopped": s.env.Now().Format("2006-01-02")})
}

// RecordVitals records one set of measurements, taken now or, when v.Time
// is set, at that earlier time (a reading brought from home or another
// clinic).
func (s *Session) RecordVitals(ctx context.Context, v Vitals) (Vitals, error) {
	if err := v.Validate(); err != nil {
		return Vitals{}, err
	}
	now := s.env.Now()
	switch {
	case v.Time.IsZero():
		v.Time = now
	case v.Time.After(now.Add(5 * time.Minute)):
		return Vitals{}, fmt.Errorf("%w: the measurement time is in the future", ErrInvalidInput)
	case v.Time.Before(now.AddDate(-130, 0, 0)):
		return Vitals{}, fmt.Errorf("%w: the measurement time is impossible", ErrInvalidInput)
	}
	v.ID = crypto.NewEventID()
	err := s.record(ctx, roles.RecordVitals, v.Patient, v.ID, kindVitals, map[string]any{"patient": v.Patient, "encounter": v.Encounter,
		"time": v.Time.UnixMilli(), "systolic": v.Systolic, "diastolic": v.Diastolic, "pulse": v.Pulse, "temp": v.TempC,
		"resp": v.Resp, "spo2": v.SpO2, "weight": v.WeightKg, "height": v.HeightCm, "recorded_by": s.Fingerprint()})
	if err != nil {
		return Vitals{}, err
	}
	v.BMI = BMIOf(v.WeightKg, v.HeightCm)
	return v, nil
}

// StartEncounter opens an appointment: it starts the visit's encounter (or
// returns the one already started for it) so notes and vitals of the visit
// belong together.
func (s *Session) StartEncounter(ctx context.Context, appointmentID string) (Encounter, error) {
	r, err := s.can(roles.WriteNote)
	if err != nil {
		return Encounter{}, err
	}
	kind, st, err := r.Entity(ctx, appointmentID)
	if err != nil || kind != kindAppointment {
		return Encounter{}, fmt.Errorf("%w: the appointment is not on this workstation (yet)", ErrInvalidInput)
	}
	a := appointmentFromState(appointmentID, st)
	if a.Status == "cancelled" {
		return Encounter{}, fmt.Errorf("%w: the appointment was cancelled; ask the front desk to book it again", ErrInvalidInput)
	}
	encs, err := r.Entities(ctx, kindEncounter)
	if err != nil {
		return Encounter{}, err
	}
	for _, e := range encs {
		if e.State.String("appointment") == appointmentID {
			return encounterFromState(e.ID, e.State), nil
		}
	}
	en := Encounter{ID: crypto.NewEventID(), Patient: a.Patient, Appointment: a.ID, Physician: r.Fingerprint(),
		Start: s.env.Now(), Reason: a.Reason}
	err = s.record(ctx, roles.WriteNote, a.Patient, en.ID, kindEncounter, map[string]any{"patient": en.Patient,
		"appointment": en.Appointment, "physician": en.Physician, "start": en.Start.UnixMilli(), "reason": en.Reason})
	if err != nil {
		return Encounter{}, err
	}
	return en, nil
}

func msTime(st replica.State, field string) time.Time {
	var ms int64
	if ok, _ := st.Get(field, &ms); !ok {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func encounterFromState(id string, st replica.State) Encounter {
	return Encounter{ID: id, Patient: st.String("patient"), Appointment: st.String("appointment"),
		Physician: st.String("physician"), Start: msTime(st, "start"), Reason: st.String("reason"), Origin: originFromState(st)}
}

func problemFromState(id string, st replica.State) Problem {
	return Problem{ID: id, Patient: st.String("patient"), Name: st.String("name"), Status: st.String("status"),
		Onset: st.String("onset"), Resolved: st.String("resolved"), Noted: msTime(st, "noted"), Origin: originFromState(st)}
}

func allergyFromState(id string, st replica.State) Allergy {
	return Allergy{ID: id, Patient: st.String("patient"), Substance: st.String("substance"), Reaction: st.String("reaction"),
		Severity: st.String("severity"), Status: st.String("status"), Noted: msTime(st, "noted"), Origin: originFromState(st)}
}

func medicationFromState(id string, st replica.State) Medication {
	return Medication{ID: id, Patient: st.String("patient"), Name: st.String("name"), Dose: st.String("dose"),
		Since: st.String("since"), Status: st.String("status"), Origin: originFromState(st)}
}

func vitalsFromState(id string, st replica.State) Vitals {
	v := Vitals{ID: id, Patient: st.String("patient"), Encounter: st.String("encounter"), Time: msTime(st, "time"),
		Origin: originFromState(st)}
	st.Get("systolic", &v.Systolic)   //nolint:errcheck // missing reads as zero: not measured
	st.Get("diastolic", &v.Diastolic) //nolint:errcheck
	st.Get("pulse", &v.Pulse)         //nolint:errcheck
	st.Get("temp", &v.TempC)          //nolint:errcheck
	st.Get("resp", &v.Resp)           //nolint:errcheck
	st.Get("spo2", &v.SpO2)           //nolint:errcheck
	st.Get("weight", &v.WeightKg)     //nolint:errcheck
	st.Get("height", &v.HeightCm)     //nolint:errcheck
	return v
}
