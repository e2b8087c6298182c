package frontdesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Patient is a patient's demographics (front-desk scope); reading one is
// the core's (app.Session.Patient, SearchPatients).
type Patient = records.Patient

// Sexes lists the values Patient.Sex accepts.
var Sexes = records.Sexes

// ErrLikelyDuplicate is wrapped by a *DuplicateError: a patient with the
// same name and birth date, or the same phone, is registered already.
var ErrLikelyDuplicate = errors.New("frontdesk: this patient may already be registered")

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
// beside that field. It wraps app.ErrInvalidInput.
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

// Register records a new patient at the front desk. It first looks for a
// likely duplicate (same name and birth date, or same phone) and returns a
// *DuplicateError listing them; once the receptionist has checked that the
// newcomer is someone else, they register again with notADuplicate.
func (s *Service) Register(ctx context.Context, p Patient, notADuplicate bool) (Patient, error) {
	r, err := s.c.ReplicaFor(roles.RegisterPatient)
	if err != nil {
		return Patient{}, err
	}
	if err := p.Validate(s.c.Now()); err != nil {
		return Patient{}, err
	}
	if p, err = withE164(ctx, r, p); err != nil {
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
	return s.c.RegisterPatient(ctx, p)
}

// UpdatePatient changes a registered patient's demographics. Only the
// fields that differ are written, as one event, so the record's history
// keeps every change and two desks editing different fields at once both
// keep their edit. The MRN and registration date never change.
func (s *Service) UpdatePatient(ctx context.Context, p Patient) (Patient, error) {
	r, err := s.c.ReplicaFor(roles.EditPatient)
	if err != nil {
		return Patient{}, err
	}
	old, err := s.c.Patient(ctx, p.ID)
	if err != nil {
		return Patient{}, err
	}
	now := s.c.Now()
	if err := p.Validate(now); err != nil {
		return Patient{}, err
	}
	if p, err = withE164(ctx, r, p); err != nil {
		return Patient{}, err
	}
	p = app.TidyPatient(p, now)
	p.MRN, p.Registered, p.FormerIDs = old.MRN, old.Registered, old.FormerIDs
	fields, err := records.Changed(old, p, records.PatientEdits...)
	if err != nil {
		return Patient{}, err
	}
	if len(fields) == 0 {
		return p, nil
	}
	if _, err := r.Append(ctx, replica.Change{Entity: p.ID, Kind: records.KindPatient, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return Patient{}, fmt.Errorf("frontdesk: update patient: %w", err)
	}
	return p, nil
}

// LikelyDuplicates returns the registered patients p may be a second
// record of: the same family and given names and birth date, or the same
// phone number. p itself (by ID) is never among them.
func (s *Service) LikelyDuplicates(ctx context.Context, p Patient) ([]Patient, error) {
	r, err := s.c.ReplicaFor(roles.SearchPatients)
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
	// A phone matches written either way (national or E.164): by the
	// digits after the trunk prefix or country code, which the index
	// holds as a suffix of either.
	country, _ := clinicCountry(ctx, r)
	phone := NationalDigits(p.Phone, country)
	if len(phone) >= 6 {
		found, err := r.Search(ctx, roles.FrontDesk, 50, records.PhoneTerm(phone))
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
		samePhone := len(phone) >= 6 && NationalDigits(c.Phone, country) == phone
		if sameName || samePhone {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
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
func (s *Service) PatientHistory(ctx context.Context, id string) ([]PatientChange, error) {
	r, err := s.c.ReplicaFor(roles.SearchPatients)
	if err != nil {
		return nil, err
	}
	if _, err := s.c.Patient(ctx, id); err != nil {
		return nil, err
	}
	events, err := r.History(ctx, roles.FrontDesk, records.KindPatient, id)
	if err != nil {
		return nil, fmt.Errorf("frontdesk: patient history: %w", err)
	}
	out := make([]PatientChange, 0, len(events))
	for _, e := range events {
		c := PatientChange{Time: e.Time, By: staffName(r, e.Author), Fields: map[string]string{}}
		for name, v := range e.Fields {
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
func staffName(r *replica.Replica, fp string) string {
	if m, ok := r.Member(fp); ok && m.Name != "" {
		return m.Name
	}
	if len(fp) > 8 {
		return fp[:8]
	}
	return fp
}
