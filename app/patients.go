package app

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Patient is a patient's demographics (front-desk scope).
type Patient struct {
	ID     string
	MRN    string
	Family string
	Given  string
	Birth  string // YYYY-MM-DD
	Sex    string // female, male, other, unknown
	Phone  string
	Email  string
}

const kindPatient = "patient"

var (
	reDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	reMRN  = regexp.MustCompile(`^(?i)MH\d{7}$`)
)

func digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

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
		}
		if m := st.String("mrn"); m != "" {
			t = append(t, replica.Term{Field: "mrn", Value: strings.ToUpper(m)})
		}
		return t
	case kindAppointment:
		if d, p := st.String("start"), st.String("physician"); d != "" && p != "" && len(d) >= 10 {
			return []replica.Term{{Field: "day", Value: p + "/" + d[:10]}}
		}
	}
	return nil
}

func patientFromState(id string, st replica.State) Patient {
	return Patient{ID: id, MRN: st.String("mrn"), Family: st.String("family"), Given: st.String("given"),
		Birth: st.String("birth"), Sex: st.String("sex"), Phone: st.String("phone"), Email: st.String("email")}
}

// Validate checks a patient's demographics, naming the first problem.
func (p Patient) Validate(now time.Time) error {
	if strings.TrimSpace(p.Family) == "" || strings.TrimSpace(p.Given) == "" {
		return fmt.Errorf("%w: family and given names are required", ErrInvalidInput)
	}
	b, err := time.Parse("2006-01-02", p.Birth)
	if err != nil || !reDate.MatchString(p.Birth) {
		return fmt.Errorf("%w: birth date %q is not a date (write it as YYYY-MM-DD)", ErrInvalidInput, p.Birth)
	}
	if b.After(now) || b.Year() < now.Year()-130 {
		return fmt.Errorf("%w: birth date %s is impossible", ErrInvalidInput, p.Birth)
	}
	if p.Phone != "" && (len(digits(p.Phone)) < 6 || len(digits(p.Phone)) > 15) {
		return fmt.Errorf("%w: phone %q should have 6 to 15 digits", ErrInvalidInput, p.Phone)
	}
	return nil
}

// RegisterPatient records a new patient and assigns a medical record number.
func (s *Session) RegisterPatient(ctx context.Context, p Patient) (Patient, error) {
	ps, err := s.RegisterPatients(ctx, []Patient{p})
	if err != nil {
		return Patient{}, err
	}
	return ps[0], nil
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
	for i, p := range ps {
		if err := p.Validate(s.env.Now()); err != nil {
			if len(ps) > 1 {
				return nil, fmt.Errorf("patient %d of %d: %w", i+1, len(ps), err)
			}
			return nil, err
		}
		p.ID = crypto.NewEventID()
		n, _ := strconv.ParseUint(p.ID[:8], 16, 64) // an event id is hex
		p.MRN = fmt.Sprintf("MH%07d", n%10000000)
		fields, err := replica.F(map[string]any{"mrn": p.MRN, "family": strings.TrimSpace(p.Family), "given": strings.TrimSpace(p.Given),
			"birth": p.Birth, "sex": p.Sex, "phone": p.Phone, "email": p.Email, "registered": s.env.Now().UnixMilli()})
		if err != nil {
			return nil, err
		}
		b.Append(replica.Change{Entity: p.ID, Kind: kindPatient, Scope: roles.FrontDesk, Fields: fields})
		out[i] = p
	}
	if _, err := b.Commit(ctx); err != nil {
		return nil, fmt.Errorf("app: register patients: %w", err)
	}
	return out, nil
}

// SearchPatients finds patients by any name prefixes, a birth date
// (YYYY-MM-DD), phone digits or an MRN, over the blind index.
func (s *Session) SearchPatients(ctx context.Context, query string, limit int) ([]Patient, error) {
	r, err := s.can(roles.SearchPatients)
	if err != nil {
		return nil, err
	}
	var terms []replica.Term
	for _, w := range strings.Fields(query) {
		switch {
		case reDate.MatchString(w):
			terms = append(terms, replica.Term{Field: "birth", Value: w})
		case reMRN.MatchString(w):
			terms = append(terms, replica.Term{Field: "mrn", Value: strings.ToUpper(w)})
		case len(digits(w)) >= 6 && len(digits(w)) == len(strings.Trim(w, "+-() ")):
			terms = append(terms, replica.Term{Field: "phone", Value: digits(w)})
		default:
			if n := crypto.Normalize(w); n != "" {
				terms = append(terms, replica.Term{Field: "name", Value: n})
			}
		}
	}
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
		out = append(out, patientFromState(e.ID, e.State))
	}
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
