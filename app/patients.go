package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Patient is a patient's demographics (front-desk scope).
type Patient struct {
	ID     string
	MRN    string // medical record number, assigned at registration (MH and 7 digits)
	Family string
	Given  string
	Birth  string // YYYY-MM-DD
	Sex    string // female, male, other, unknown ("" reads as unknown)
	Phone  string
	Email  string

	Address        string
	Insurance      string // insurance id
	EmergencyName  string // emergency contact
	EmergencyPhone string
	// Consent to data sharing, and the day it was given (YYYY-MM-DD); the
	// day is set to today when consent is given without one.
	Consent     bool
	ConsentDate string
	Registered  time.Time
}

// Name is the patient's name as lists show it: "Family, Given".
func (p Patient) Name() string {
	switch {
	case p.Family == "":
		return p.Given
	case p.Given == "":
		return p.Family
	}
	return p.Family + ", " + p.Given
}

const kindPatient = "patient"

// Sexes lists the values Patient.Sex accepts.
var Sexes = []string{"female", "male", "other", "unknown"}

var (
	reDate  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	reMRN   = regexp.MustCompile(`^(?i)MH\d{7}$`)
	rePhone = regexp.MustCompile(`^\+?[0-9 ()./-]+$`)
	reEmail = regexp.MustCompile(`^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$`)
	reInsur = regexp.MustCompile(`^[\p{L}0-9 ./-]+$`)
)

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
type FieldError struct {
	Field   string // "family", "given", "birth", "sex", "phone", "email", "insurance", "emergency_phone", "consent_date"...
	Problem string // in plain words, naming the field
}

func (e *FieldError) Error() string { return ErrInvalidInput.Error() + ": " + e.Problem }

// Unwrap makes errors.Is(err, ErrInvalidInput) true.
func (e *FieldError) Unwrap() error { return ErrInvalidInput }

func digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// minPhoneSuffix is the fewest trailing digits of a phone number a search
// finds it by: typed without country or area code, it is still found.
const minPhoneSuffix = 7

// indexTerms says what a workstation indexes of each entity, in blind form.
func indexTerms(kind string, st replica.State) []replica.Term {
	switch kind {
	case kindPatient:
		var t []replica.Term
		for _, f := range []string{"family", "given"} {
			for _, p := range crypto.NamePrefixes(st.String(f), 1) {
				t = append(t, replica.Term{Field: "name", Value: p})
			}
		}
		if b := st.String("birth"); b != "" {
			t = append(t, replica.Term{Field: "birth", Value: b})
		}
		if d := digits(st.String("phone")); d != "" {
			t = append(t, replica.Term{Field: "phone", Value: d})
			for n := minPhoneSuffix; n < len(d); n++ {
				t = append(t, replica.Term{Field: "phone", Value: d[len(d)-n:]})
			}
		}
		if m := st.String("mrn"); m != "" {
			t = append(t, replica.Term{Field: "mrn", Value: strings.ToUpper(m)})
		}
		return t
	case kindAppointment:
		var t []replica.Term
		if d, p := st.String("start"), st.String("physician"); d != "" && p != "" && len(d) >= 10 {
			t = append(t, replica.Term{Field: "day", Value: p + "/" + d[:10]})
		}
		if s := st.String("series"); s != "" {
			t = append(t, replica.Term{Field: "series", Value: s})
		}
		if p := st.String("patient"); p != "" {
			t = append(t, replica.Term{Field: "patient", Value: p})
		}
		return t
	}
	// Every other record that belongs to a patient (notes, vitals,
	// prescriptions...) is found through its patient, so opening a chart
	// reads that patient's records, not every record of the clinic.
	if p := st.String("patient"); p != "" {
		return []replica.Term{{Field: "patient", Value: p}}
	}
	return nil
}

func patientFromState(id string, st replica.State) Patient {
	p := Patient{ID: id, MRN: st.String("mrn"), Family: st.String("family"), Given: st.String("given"),
		Birth: st.String("birth"), Sex: st.String("sex"), Phone: st.String("phone"), Email: st.String("email"),
		Address: st.String("address"), Insurance: st.String("insurance"), EmergencyName: st.String("emergency_name"),
		EmergencyPhone: st.String("emergency_phone"), ConsentDate: st.String("consent_date")}
	st.Get("consent", &p.Consent) //nolint:errcheck // missing reads as false
	var ms int64
	if ok, _ := st.Get("registered", &ms); ok {
		p.Registered = time.UnixMilli(ms)
	}
	return p
}

// patientFields are the fields a patient's events write, by name.
func (p Patient) fields() map[string]any {
	return map[string]any{"family": p.Family, "given": p.Given, "birth": p.Birth, "sex": p.Sex,
		"phone": p.Phone, "email": p.Email, "address": p.Address, "insurance": p.Insurance,
		"emergency_name": p.EmergencyName, "emergency_phone": p.EmergencyPhone,
		"consent": p.Consent, "consent_date": p.ConsentDate}
}

// PatientFieldLabels names the fields of a patient as a form labels them
// (the keys of FieldError.Field and PatientChange.Fields).
var PatientFieldLabels = map[string]string{
	"mrn": "Medical record number", "family": "Family name", "given": "Given names", "birth": "Birth date",
	"sex": "Sex", "phone": "Phone", "email": "Email", "address": "Address", "insurance": "Insurance id",
	"emergency_name": "Emergency contact", "emergency_phone": "Emergency contact's phone",
	"consent": "Consent to data sharing", "consent_date": "Consent given on", "registered": "Registered",
}

// tidy trims what a person typed and fills what follows from it.
func (p Patient) tidy(now time.Time) Patient {
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

// checkDate says what is wrong with a YYYY-MM-DD date typed into field.
func checkDeskDate(field, label, v string) *FieldError {
	if _, err := time.Parse("2006-01-02", v); err != nil || !reDate.MatchString(v) {
		if reDate.MatchString(v) {
			return &FieldError{field, fmt.Sprintf("%s %s does not exist on the calendar", label, v)}
		}
		return &FieldError{field, fmt.Sprintf("%s %q is not a date: write it as YYYY-MM-DD, e.g. 1984-03-27", label, v)}
	}
	return nil
}

func checkPhone(field, label, v string) *FieldError {
	if v == "" {
		return nil
	}
	n := len(digits(v))
	if !rePhone.MatchString(v) || n < 6 || n > 15 {
		return &FieldError{field, fmt.Sprintf("%s %q should be 6 to 15 digits (spaces, +, - and brackets are fine)", label, v)}
	}
	return nil
}

// Check lists every problem of a patient's demographics, one per field,
// in the order a form shows the fields.
func (p Patient) Check(now time.Time) []FieldError {
	var out []FieldError
	add := func(e *FieldError) {
		if e != nil {
			out = append(out, *e)
		}
	}
	for _, f := range []struct{ key, label, v string }{{"family", "family name", p.Family}, {"given", "given names", p.Given}} {
		switch v := strings.TrimSpace(f.v); {
		case v == "":
			add(&FieldError{f.key, fmt.Sprintf("the %s is required", f.label)})
		case len(v) > 100:
			add(&FieldError{f.key, fmt.Sprintf("the %s is longer than 100 characters", f.label)})
		case crypto.Normalize(v) == "":
			add(&FieldError{f.key, fmt.Sprintf("the %s needs at least one letter", f.label)})
		}
	}
	birth := strings.TrimSpace(p.Birth)
	switch {
	case birth == "":
		add(&FieldError{"birth", "the birth date is required (YYYY-MM-DD)"})
	default:
		if e := checkDeskDate("birth", "birth date", birth); e != nil {
			add(e)
		} else if b, _ := time.Parse("2006-01-02", birth); b.After(now) {
			add(&FieldError{"birth", fmt.Sprintf("birth date %s is in the future", birth)})
		} else if b.Year() < now.Year()-130 {
			add(&FieldError{"birth", fmt.Sprintf("birth date %s is more than 130 years ago", birth)})
		}
	}
	if s := strings.ToLower(strings.TrimSpace(p.Sex)); s != "" {
		ok := false
		for _, v := range Sexes {
			ok = ok || s == v
		}
		if !ok {
			add(&FieldError{"sex", fmt.Sprintf("sex %q is not one of female, male, other or unknown", p.Sex)})
		}
	}
	add(checkPhone("phone", "phone", strings.TrimSpace(p.Phone)))
	if e := strings.TrimSpace(p.Email); e != "" && (!reEmail.MatchString(e) || len(e) > 254) {
		add(&FieldError{"email", fmt.Sprintf("email %q is not an address like name@example.org", e)})
	}
	if len(p.Address) > 300 {
		add(&FieldError{"address", "the address is longer than 300 characters"})
	}
	if v := strings.TrimSpace(p.Insurance); v != "" && (!reInsur.MatchString(v) || len(v) > 40) {
		add(&FieldError{"insurance", fmt.Sprintf("insurance id %q should be letters, digits, spaces, dots or dashes (at most 40)", v)})
	}
	if len(p.EmergencyName) > 120 {
		add(&FieldError{"emergency_name", "the emergency contact's name is longer than 120 characters"})
	}
	add(checkPhone("emergency_phone", "emergency contact's phone", strings.TrimSpace(p.EmergencyPhone)))
	if c := strings.TrimSpace(p.ConsentDate); c != "" {
		if e := checkDeskDate("consent_date", "consent date", c); e != nil {
			add(e)
		} else if d, _ := time.Parse("2006-01-02", c); d.After(now) {
			add(&FieldError{"consent_date", fmt.Sprintf("consent date %s is in the future", c)})
		}
	}
	return out
}

// Validate checks a patient's demographics, naming the first problem (a
// *FieldError).
func (p Patient) Validate(now time.Time) error {
	if errs := p.Check(now); len(errs) > 0 {
		return &errs[0]
	}
	return nil
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
		ids, err := r.Search(ctx, roles.FrontDesk, 1, replica.Term{Field: "mrn", Value: mrn})
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
	p = p.tidy(now)
	p.ID = crypto.NewEventID()
	var err error
	if p.MRN, err = freshMRN(ctx, r, taken); err != nil {
		return Patient{}, err
	}
	p.Registered = now
	kv := p.fields()
	kv["mrn"], kv["registered"] = p.MRN, now.UnixMilli()
	fields, err := replica.F(kv)
	if err != nil {
		return Patient{}, err
	}
	b.Append(replica.Change{Entity: p.ID, Kind: kindPatient, Scope: roles.FrontDesk, Fields: fields})
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
	p = p.tidy(now)
	p.MRN, p.Registered = old.MRN, old.Registered
	was, is := old.fields(), p.fields()
	changed := map[string]any{}
	for k, v := range is {
		if fmt.Sprint(v) != fmt.Sprint(was[k]) {
			changed[k] = v
		}
	}
	if len(changed) == 0 {
		return p, nil
	}
	fields, err := replica.F(changed)
	if err != nil {
		return Patient{}, err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: p.ID, Kind: kindPatient, Scope: roles.FrontDesk, Fields: fields}); err != nil {
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
		terms := []replica.Term{{Field: "birth", Value: strings.TrimSpace(p.Birth)}}
		for _, w := range strings.Fields(family + " " + given) {
			terms = append(terms, replica.Term{Field: "name", Value: w})
		}
		found, err := r.Search(ctx, roles.FrontDesk, 50, terms...)
		if err != nil {
			return nil, err
		}
		ids = append(ids, found...)
	}
	if d := digits(p.Phone); len(d) >= 6 {
		found, err := r.Search(ctx, roles.FrontDesk, 50, replica.Term{Field: "phone", Value: d})
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
		if seen[e.ID] || e.Kind != kindPatient {
			continue
		}
		seen[e.ID] = true
		c := patientFromState(e.ID, e.State)
		sameName := crypto.Normalize(c.Family) == family && crypto.Normalize(c.Given) == given && c.Birth == strings.TrimSpace(p.Birth)
		samePhone := len(digits(p.Phone)) >= 6 && digits(c.Phone) == digits(p.Phone)
		if sameName || samePhone {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// searchTerms turns what a receptionist typed into blind-index terms: a
// birth date (YYYY-MM-DD), an MRN, a phone number (its digits, at least 7,
// typed with or without spaces, country or area code), or name prefixes.
func searchTerms(query string) []replica.Term {
	q := strings.TrimSpace(query)
	if d := digits(q); len(d) >= minPhoneSuffix && rePhone.MatchString(q) && !reDate.MatchString(q) {
		return []replica.Term{{Field: "phone", Value: d}}
	}
	var terms []replica.Term
	for _, w := range strings.Fields(q) {
		switch {
		case reDate.MatchString(w):
			terms = append(terms, replica.Term{Field: "birth", Value: w})
		case reMRN.MatchString(w):
			terms = append(terms, replica.Term{Field: "mrn", Value: strings.ToUpper(w)})
		case len(digits(w)) >= minPhoneSuffix && len(digits(w)) == len(strings.Trim(w, "+-() ")):
			terms = append(terms, replica.Term{Field: "phone", Value: digits(w)})
		default:
			for _, n := range strings.Fields(crypto.Normalize(w)) {
				terms = append(terms, replica.Term{Field: "name", Value: n})
			}
		}
	}
	return terms
}

// SearchPatients finds patients by any name prefixes, a birth date
// (YYYY-MM-DD), phone digits or an MRN, over the blind index, ordered by
// name.
func (s *Session) SearchPatients(ctx context.Context, query string, limit int) ([]Patient, error) {
	r, err := s.can(roles.SearchPatients)
	if err != nil {
		return nil, err
	}
	terms := searchTerms(query)
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
		if e.Kind == kindPatient {
			out = append(out, patientFromState(e.ID, e.State))
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
	if err != nil || kind != kindPatient {
		return Patient{}, fmt.Errorf("%w: no patient %s", replica.ErrNotFound, id)
	}
	return patientFromState(id, st), nil
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
		if row.State != store.Applied || row.Kind != kindPatient || !ok {
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
	if name == "registered" {
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
