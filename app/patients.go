package app

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Patient is a patient's demographics (front-desk scope).
type Patient = records.Patient

// Sexes lists the values Patient.Sex accepts.
var Sexes = records.Sexes

// reMRN matches a medical record number as typed (a chat message names
// its patient by MRN).
var reMRN = records.MRNPattern

// TidyPatient trims what a person typed and fills what follows from it
// (a registration, an edit).
func TidyPatient(p Patient, now time.Time) Patient {
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
// front desk (app/frontdesk) registers with Register.
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
// a free MRN (none of taken), a new record id bound to it
// (records.NewPatientID) and the registration time.
func registerInto(ctx context.Context, r *replica.Replica, b *replica.Batch, p Patient, now time.Time, taken map[string]bool) (Patient, error) {
	p = TidyPatient(p, now)
	var err error
	if p.MRN, err = freshMRN(ctx, r, taken); err != nil {
		return Patient{}, err
	}
	p = records.NewPatientID(p)
	p.Registered = now
	fields, err := p.Fields()
	if err != nil {
		return Patient{}, err
	}
	b.Append(replica.Change{Entity: p.ID, Kind: records.KindPatient, Scope: roles.FrontDesk, Fields: fields})
	return p, nil
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
	// Find opens each record once and drops false matches of the compact
	// index (issue 17).
	rows, _, err := r.Find(ctx, roles.FrontDesk, "", limit, terms...)
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
