package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Patient is a patient's demographics (front-desk scope).
type Patient = records.Patient

// Sexes lists the values Patient.Sex accepts.
var Sexes = records.Sexes

// reMRN matches a medical record number as typed (a chat message names
// its patient by MRN).
var reMRN = records.MRNPattern

// ErrLikelyDuplicate is wrapped by a *DuplicateError: a patient with the
// same name and birth date, or the same phone, is registered already.
var ErrLikelyDuplicate = errors.New("app: this patient may already be registered")

// DuplicateError lists the registered patients a new registration looks
// like, so the receptionist can open the existing record instead.
type DuplicateError struct {
	Candidates []Patient
}

func (e *DuplicateError) Error() string {
	names := make([]string, 0, len(e.Candidates))
	for _, c := range e.Candidates {
		names = append(names, fmt.Sprintf("%s (%s, born %s)", c.Name(), c.MRN, c.Birth))
	}
	return fmt.Sprintf("%s: %s; open the existing record, or register anyway if this is someone else",
		ErrLikelyDuplicate, strings.Join(names, "; "))
}

// Unwrap makes errors.Is(err, ErrLikelyDuplicate) true.
func (e *DuplicateError) Unwrap() error { return ErrLikelyDuplicate }

// FieldError is one problem with one field of a form, for a message shown
// beside that field. It wraps ErrInvalidInput.
type FieldError = records.FieldError

// PatientFieldLabels names the fields of a patient as a form labels them
// (the keys of FieldError.Field and PatientChange.Fields).
var PatientFieldLabels = map[string]string{
	records.PatientMRN: "Medical record number", records.PatientFamily: "Family name", records.PatientGiven: "Given names",
	records.PatientBirth: "Birth date", records.PatientSex: "Sex", records.PatientPhone: "Phone", records.PatientEmail: "Email",
	records.PatientAddress: "Address", records.PatientInsurance: "Insurance id", records.PatientEmergencyName: "Emergency contact",
	records.PatientEmergencyPhone: "Emergency contact's phone", records.PatientConsent: "Consent to data sharing",
	records.PatientConsentDate: "Consent given on", records.PatientRegistered: "Registered",
}

// tidyPatient trims what a person typed and fills what follows from it.
func tidyPatient(p Patient, now time.Time) Patient {
	for _, f := range []*string{&p.Family, &p.Given, &p.Birth, &p.Sex, &p.Phone, &p.Email, &p.Address,
		&p.Insurance, &p.EmergencyName, &p.EmergencyPhone, &p.ConsentDate} {
		*f = strings.Join(strings.Fields(*f), " ")
	}
	p.Sex = strings.ToLower(p.Sex)
	if p.Sex == "" {
		p.Sex = "unknown"
	}
	switch {
	case p.Consent && p.ConsentDate == "":
		p.ConsentDate = now.Format("2006-01-02")
	case !p.Consent:
		p.ConsentDate = ""
	}
	return p
}

// newMRN derives a medical record number from an entity id (random hex).
func newMRN(id string) string {
	n, _ := strconv.ParseUint(id[:8], 16, 64) // an event id is hex
	return fmt.Sprintf("MH%07d", n%10000000)
}

// freshMRN draws medical record numbers until one is free on this
// workstation and in the batch being registered. Seven digits collide by
// chance once a clinic has thousands of patients, so each draw is checked
// against the blind index. (Two workstations drawing the same number at
// the same moment stay possible, at odds of one in ten million.)
func freshMRN(ctx context.Context, r *replica.Replica, taken map[string]bool) (string, error) {
	for range 50 {
		mrn := newMRN(crypto.NewEventID())
		if taken[mrn] {
			continue
		}
		ids, err := r.Search(ctx, roles.FrontDesk, 1, records.MRNTerm(mrn))
		if err != nil {
			return "", fmt.Errorf("app: assign a medical record number: %w", err)
		}
		if len(ids) == 0 {
			taken[mrn] = true
			return mrn, nil
		}
	}
	return "", fmt.Errorf("app: no free medical record number found: the clinic's numbers are nearly used up")
}

// RegisterPatient records a new patient and assigns a medical record
// number, without looking for duplicates (imports, the demo clinic); the
// front desk registers with Register.
func (s *Session) RegisterPatient(ctx context.Context, p Patient) (Patient, error) {
	ps, err := s.RegisterPatients(ctx, []Patient{p})
	if err != nil {
		return Patient{}, err
	}
	return ps[0], nil
}

// Register records a new patient at the front desk. It first looks for a
// likely duplicate (same name and birth date, or same phone) and returns a
// *DuplicateError listing them; once the receptionist has checked that the
// newcomer is someone else, they register again with notADuplicate.
func (s *Session) Register(ctx context.Context, p Patient, notADuplicate bool) (Patient, error) {
	if _, err := s.can(roles.RegisterPatient); err != nil {
		return Patient{}, err
	}
	if err := p.Validate(s.env.Now()); err != nil {
		return Patient{}, err
	}
	if !notADuplicate {
		dups, err := s.LikelyDuplicates(ctx, p)
		if err != nil {
			return Patient{}, err
		}
		if len(dups) > 0 {
			return Patient{}, &DuplicateError{Candidates: dups}
		}
	}
	return s.RegisterPatient(ctx, p)
}

// RegisterPatients records several patients in one transaction (an import,
// the demo clinic): all of them or, when one is invalid, none.
func (s *Session) RegisterPatients(ctx context.Context, ps []Patient) ([]Patient, error) {
	r, err := s.can(roles.RegisterPatient)
	if err != nil {
		return nil, err
	}
	b := r.Batch()
	out := make([]Patient, len(ps))
	now := s.env.Now()
	taken := map[string]bool{} // MRNs given in this batch
	for i, p := range ps {
		if err := p.Validate(now); err != nil {
			if len(ps) > 1 {
				return nil, fmt.Errorf("patient %d of %d: %w", i+1, len(ps), err)
			}
			return nil, err
		}
		if out[i], err = registerInto(ctx, r, b, p, now, taken); err != nil {
			return nil, err
		}
	}
	if _, err := b.Commit(ctx); err != nil {
		return nil, fmt.Errorf("app: register patients: %w", err)
	}
	return out, nil
}

// registerInto adds the registration of a validated patient to batch b:
// a new record id, a free MRN (none of taken) and the registration time.
func registerInto(ctx context.Context, r *replica.Replica, b *replica.Batch, p Patient, now time.Time, taken map[string]bool) (Patient, error) {
	p = tidyPatient(p, now)
	p.ID = crypto.NewEventID()
	var err error
	if p.MRN, err = freshMRN(ctx, r, taken); err != nil {
		return Patient{}, err
	}
	p.Registered = now
	fields, err := p.Fields()
	if err != nil {
		return Patient{}, err
	}
	b.Append(replica.Change{Entity: p.ID, Kind: records.KindPatient, Scope: roles.FrontDesk, Fields: fields})
	return p, nil
}

// UpdatePatient changes a registered patient's demographics. Only the
// fields that differ are written, as one event, so the record's history
// keeps every change and two desks editing different fields at once both
// keep their edit. The MRN and registration date never change.
func (s *Session) UpdatePatient(ctx context.Context, p Patient) (Patient, error) {
	r, err := s.can(roles.EditPatient)
	if err != nil {
		return Patient{}, err
	}
	old, err := s.Patient(ctx, p.ID)
	if err != nil {
		return Patient{}, err
	}
	now := s.env.Now()
	if err := p.Validate(now); err != nil {
		return Patient{}, err
	}
	p = tidyPatient(p, now)
	p.MRN, p.Registered, p.FormerIDs = old.MRN, old.Registered, old.FormerIDs
	fields, err := records.Changed(old, p, records.PatientEdits...)
	if err != nil {
		return Patient{}, err
	}
	if len(fields) == 0 {
		return p, nil
	}
	if _, err := r.Append(ctx, replica.Change{Entity: p.ID, Kind: records.KindPatient, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return Patient{}, fmt.Errorf("app: update patient: %w", err)
	}
	return p, nil
}

// LikelyDuplicates returns the registered patients p may be a second
// record of: the same family and given names and birth date, or the same
// phone number. p itself (by ID) is never among them.
func (s *Session) LikelyDuplicates(ctx context.Context, p Patient) ([]Patient, error) {
	r, err := s.can(roles.SearchPatients)
	if err != nil {
		return nil, err
	}
	family, given := crypto.Normalize(p.Family), crypto.Normalize(p.Given)
	seen := map[string]bool{p.ID: true}
	var ids []string
	if family != "" && given != "" && p.Birth != "" {
		terms := append([]replica.Term{records.BirthTerm(p.Birth)}, records.NameTerms(family+" "+given)...)
		found, err := r.Search(ctx, roles.FrontDesk, 50, terms...)
		if err != nil {
			return nil, err
		}
		ids = append(ids, found...)
	}
	if d := records.Digits(p.Phone); len(d) >= 6 {
		found, err := r.Search(ctx, roles.FrontDesk, 50, records.PhoneTerm(d))
		if err != nil {
			return nil, err
		}
		ids = append(ids, found...)
	}
	rows, err := r.EntitiesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []Patient
	for _, e := range rows {
		if seen[e.ID] || e.Kind != records.KindPatient {
			continue
		}
		seen[e.ID] = true
		c := records.PatientFromState(e.ID, e.State)
		sameName := crypto.Normalize(c.Family) == family && crypto.Normalize(c.Given) == given && c.Birth == strings.TrimSpace(p.Birth)
		samePhone := len(records.Digits(p.Phone)) >= 6 && records.Digits(c.Phone) == records.Digits(p.Phone)
		if sameName || samePhone {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// SearchPatients finds patients by any name prefixes, a birth date
// (YYYY-MM-DD), phone digits or an MRN, over the blind index, ordered by
// name.
func (s *Session) SearchPatients(ctx context.Context, query string, limit int) ([]Patient, error) {
	r, err := s.can(roles.SearchPatients)
	if err != nil {
		return nil, err
	}
	terms := records.QueryTerms(query)
	if len(terms) == 0 {
		return nil, nil
	}
	ids, err := r.Search(ctx, roles.FrontDesk, limit, terms...)
	if err != nil {
		return nil, err
	}
	rows, err := r.EntitiesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Patient, 0, len(rows))
	for _, e := range rows {
		if e.Kind == records.KindPatient {
			out = append(out, records.PatientFromState(e.ID, e.State))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := crypto.Normalize(out[i].Name()), crypto.Normalize(out[j].Name()); a != b {
			return a < b
		}
		return out[i].Birth < out[j].Birth
	})
	return out, nil
}

// Patient returns one patient's demographics.
func (s *Session) Patient(ctx context.Context, id string) (Patient, error) {
	r, err := s.can(roles.SearchPatients)
	if err != nil {
		return Patient{}, err
	}
	kind, st, err := r.Entity(ctx, id)
	if err != nil || kind != records.KindPatient {
		return Patient{}, fmt.Errorf("%w: no patient %s", replica.ErrNotFound, id)
	}
	return records.PatientFromState(id, st), nil
}

// PatientChange is one event of a patient's record: who wrote which
// fields, and when.
type PatientChange struct {
	Time   time.Time
	By     string            // staff member's name (their key's start when unknown)
	Fields map[string]string // field (see PatientFieldLabels) to the value written, as text
}

// PatientHistory returns every change of a patient's record, oldest first:
// the registration, then each edit, from every workstation.
func (s *Session) PatientHistory(ctx context.Context, id string) ([]PatientChange, error) {
	r, err := s.can(roles.SearchPatients)
	if err != nil {
		return nil, err
	}
	if _, err := s.Patient(ctx, id); err != nil {
		return nil, err
	}
	var rows []store.Envelope
	if err := r.DB().View(ctx, func(tx *store.Tx) error {
		var err error
		rows, err = tx.EnvelopesForEntity(ctx, id)
		return err
	}); err != nil {
		return nil, fmt.Errorf("app: patient history: %w", err)
	}
	keys := map[uint32]crypto.ScopeKey{}
	for _, k := range r.Keys(roles.FrontDesk) {
		keys[k.Epoch] = k
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Lamport != rows[j].Lamport {
			return rows[i].Lamport < rows[j].Lamport
		}
		return rows[i].Device < rows[j].Device
	})
	var out []PatientChange
	for _, row := range rows {
		k, ok := keys[row.Epoch]
		if row.State != store.Applied || row.Kind != records.KindPatient || !ok {
			continue
		}
		env, err := crypto.ParseEnvelope(row.Raw)
		if err != nil {
			return nil, fmt.Errorf("app: patient history: %w", err)
		}
		plain, err := env.Open(k)
		if err != nil {
			return nil, fmt.Errorf("app: patient history: %w", err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(plain, &fields); err != nil {
			return nil, fmt.Errorf("app: patient history: %w", err)
		}
		c := PatientChange{Time: time.UnixMilli(row.Time), By: s.staffName(r, row.Author), Fields: map[string]string{}}
		for name, v := range fields {
			c.Fields[name] = fieldText(name, v)
		}
		out = append(out, c)
	}
	return out, nil
}

// fieldText shows one written value as text.
func fieldText(name string, v json.RawMessage) string {
	var str string
	if json.Unmarshal(v, &str) == nil {
		return str
	}
	var b bool
	if json.Unmarshal(v, &b) == nil {
		if b {
			return "yes"
		}
		return "no"
	}
	if name == records.PatientRegistered {
		var ms int64
		if json.Unmarshal(v, &ms) == nil {
			return time.UnixMilli(ms).Format("2006-01-02 15:04")
		}
	}
	return string(v)
}

// staffName is a member's name, or the start of their fingerprint.
func (s *Session) staffName(r *replica.Replica, fp string) string {
	if m, ok := r.Member(fp); ok && m.Name != "" {
		return m.Name
	}
	if len(fp) > 8 {
		return fp[:8]
	}
	return fp
}
