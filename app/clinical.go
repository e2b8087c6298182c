package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Note is a signed SOAP note of one encounter. Once signed it never
// changes: corrections are addenda that point to it.
type Note struct {
	ID         string
	Patient    string
	Encounter  string // the visit it belongs to; may be empty
	Author     string // fingerprint
	AuthorName string
	Time       time.Time
	Subjective string
	Objective  string
	Assessment string
	Plan       string
	Addenda    []Addendum // oldest first
	// Verified is true when the author's signature over the note checks
	// out with their key from the directory; Problem says why not.
	Verified bool
	Problem  string
	// Origin is set on a note imported from another clinic: Author is then
	// the physician who imported and signed the copy, Time when the note
	// was written there.
	Origin
}

// Addendum is a signed correction or addition to a note or prescription.
type Addendum struct {
	ID         string
	Of         string // the note or prescription it amends
	Patient    string
	Author     string
	AuthorName string
	Time       time.Time
	Text       string
	Verified   bool
	Origin     // set on an imported addendum, like a note's
}

// noteDoc is a note's canonical, signed encoding.
type noteDoc struct {
	ID         string `json:"id"`
	Patient    string `json:"patient"`
	Encounter  string `json:"encounter,omitempty"`
	Author     string `json:"author"`
	Time       int64  `json:"time"`
	Subjective string `json:"s"`
	Objective  string `json:"o"`
	Assessment string `json:"a"`
	Plan       string `json:"p"`
}

// addendumDoc is an addendum's canonical, signed encoding.
type addendumDoc struct {
	ID      string `json:"id"`
	Of      string `json:"of"`
	Patient string `json:"patient"`
	Author  string `json:"author"`
	Time    int64  `json:"time"`
	Text    string `json:"text"`
}

// maxText bounds each free-text field of a clinical record.
const maxText = 20000

// WriteNote signs and records a SOAP note.
func (s *Session) WriteNote(ctx context.Context, n Note) (Note, error) {
	r, err := s.can(roles.WriteNote)
	if err != nil {
		return Note{}, err
	}
	for _, f := range []*string{&n.Subjective, &n.Objective, &n.Assessment, &n.Plan} {
		*f = strings.TrimSpace(*f)
		if len(*f) > maxText {
			return Note{}, fmt.Errorf("%w: a section of the note is longer than %d characters", ErrInvalidInput, maxText)
		}
	}
	if n.Subjective+n.Objective+n.Assessment+n.Plan == "" {
		return Note{}, fmt.Errorf("%w: the note is empty", ErrInvalidInput)
	}
	if _, err := s.Patient(ctx, n.Patient); err != nil {
		return Note{}, err
	}
	n.ID, n.Author, n.Time, n.Origin = crypto.NewEventID(), r.Fingerprint(), s.env.Now(), Origin{}
	ch, err := noteChange(r, n)
	if err != nil {
		return Note{}, err
	}
	if _, err := r.Append(ctx, ch); err != nil {
		return Note{}, fmt.Errorf("app: write note: %w", err)
	}
	n.AuthorName, n.Verified = memberName(r, n.Author), true
	return n, nil
}

// AddAddendum signs and records a correction or addition to a signed note
// or prescription, which itself stays as it was.
func (s *Session) AddAddendum(ctx context.Context, of, text string) (Addendum, error) {
	r, err := s.can(roles.WriteNote)
	if err != nil {
		return Addendum{}, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Addendum{}, fmt.Errorf("%w: the addendum is empty", ErrInvalidInput)
	}
	if len(text) > maxText {
		return Addendum{}, fmt.Errorf("%w: the addendum is longer than %d characters", ErrInvalidInput, maxText)
	}
	kind, st, err := r.Entity(ctx, of)
	if err != nil || (kind != records.KindNote && kind != records.KindPrescription) {
		return Addendum{}, fmt.Errorf("%w: an addendum amends a signed note or prescription", ErrInvalidInput)
	}
	target, _ := records.SignedFromState(of, st) // its patient, whatever its content
	a := Addendum{ID: crypto.NewEventID(), Of: of, Patient: target.Patient, Author: r.Fingerprint(), Time: s.env.Now(), Text: text}
	ch, err := addendumChange(r, a)
	if err != nil {
		return Addendum{}, err
	}
	if _, err := r.Append(ctx, ch); err != nil {
		return Addendum{}, fmt.Errorf("app: add addendum: %w", err)
	}
	a.AuthorName, a.Verified = memberName(r, a.Author), true
	return a, nil
}

// noteChange is the change that writes note n (its id, patient,
// encounter, author, time and SOAP text, and its origin when imported),
// signed with r's identity.
func noteChange(r *replica.Replica, n Note) (replica.Change, error) {
	return signedChange(r, n.ID, records.KindNote, noteDoc{ID: n.ID, Patient: n.Patient, Encounter: n.Encounter, Author: n.Author,
		Time: n.Time.UnixMilli(), Subjective: n.Subjective, Objective: n.Objective, Assessment: n.Assessment, Plan: n.Plan},
		records.Signed{Patient: n.Patient, Encounter: n.Encounter, Origin: n.Origin})
}

// addendumChange is the change that writes addendum a, signed with r's
// identity.
func addendumChange(r *replica.Replica, a Addendum) (replica.Change, error) {
	return signedChange(r, a.ID, records.KindAddendum, addendumDoc{ID: a.ID, Of: a.Of, Patient: a.Patient, Author: a.Author,
		Time: a.Time.UnixMilli(), Text: a.Text}, records.Signed{Patient: a.Patient, Of: a.Of, Origin: a.Origin})
}

func noteFromState(r *replica.Replica, id string, st replica.State) Note {
	var d noteDoc
	s, err := openDoc(id, st, &d)
	if err != nil {
		return Note{ID: id, Patient: s.Patient, Problem: err.Error(), Origin: s.Origin}
	}
	n := Note{ID: id, Patient: d.Patient, Encounter: d.Encounter, Author: d.Author, AuthorName: memberName(r, d.Author),
		Time: time.UnixMilli(d.Time), Subjective: d.Subjective, Objective: d.Objective, Assessment: d.Assessment, Plan: d.Plan,
		Origin: s.Origin}
	switch err := verifyDoc(r, records.KindNote, d.Author, s.Doc, s.Sig); {
	case err != nil:
		n.Problem = err.Error()
	case d.ID != id || d.Patient != s.Patient:
		n.Problem = "the signed note belongs to another record"
	default:
		n.Verified = true
	}
	return n
}

func addendumFromState(r *replica.Replica, id string, st replica.State) Addendum {
	var d addendumDoc
	s, err := openDoc(id, st, &d)
	if err != nil {
		return Addendum{ID: id, Of: s.Of, Text: "(unreadable addendum)", Origin: s.Origin}
	}
	a := Addendum{ID: id, Of: d.Of, Patient: d.Patient, Author: d.Author, AuthorName: memberName(r, d.Author),
		Time: time.UnixMilli(d.Time), Text: d.Text, Origin: s.Origin}
	a.Verified = verifyDoc(r, records.KindAddendum, d.Author, s.Doc, s.Sig) == nil && d.ID == id && d.Of == s.Of
	return a
}

// Chart is what a physician sees of one patient.
type Chart struct {
	Patient       Patient
	Age           int // whole years today; -1 when the birth date is unknown
	Problems      []Problem
	Allergies     []Allergy    // active ones
	Medications   []Medication // recorded active ones, then running prescriptions
	Encounters    []Encounter  // newest first
	Notes         []Note       // newest first
	Vitals        []Vitals     // oldest first, BMI computed
	Prescriptions []Prescription

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

// patientRecords returns the clinical records of kinds about patient, by kind.
func patientRecords(ctx context.Context, r *replica.Replica, patient string, kinds ...string) (map[string][]replica.EntityState, error) {
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
	c, err := s.chart(ctx, r, p)
	c.opened = err == nil
	return c, err
}

// RefreshChart re-reads a chart that is open on screen after a change (a
// note signed, a sync), without a new audit record: the opening was
// audited. A chart value not returned by OpenChart is refused.
func (s *Session) RefreshChart(ctx context.Context, c Chart) (Chart, error) {
	r, err := s.can(roles.ReadChart)
	if err != nil {
		return Chart{}, err
	}
	if !c.opened {
		return Chart{}, fmt.Errorf("%w: open the chart first (opening it is audited)", ErrInvalidInput)
	}
	p, err := s.Patient(ctx, c.Patient.ID)
	if err != nil {
		return Chart{}, err
	}
	c, err = s.chart(ctx, r, p)
	c.opened = err == nil
	return c, err
}

// chart reads a patient's chart without auditing (the caller audits).
func (s *Session) chart(ctx context.Context, r *replica.Replica, p Patient) (Chart, error) {
	now := s.env.Now()
	recs, err := patientRecords(ctx, r, p.ID, records.KindProblem, records.KindAllergy, records.KindMedication,
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
	for _, e := range recs[records.KindAllergy] {
		if a := records.AllergyFromState(e.ID, e.State); a.Status != AllergyEnteredInError {
			c.Allergies = append(c.Allergies, a)
		}
	}
	sort.Slice(c.Allergies, func(i, j int) bool { return c.Allergies[i].Substance < c.Allergies[j].Substance })
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
		a := addendumFromState(r, e.ID, e.State)
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
	cancels, err := rxCancellations(ctx, r)
	if err != nil {
		return Chart{}, err
	}
	for _, e := range recs[records.KindPrescription] {
		rx := prescriptionFromState(r, s.prof.ClinicID, e.ID, e.State, cancels)
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
	return c, nil
}
