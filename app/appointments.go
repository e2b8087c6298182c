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

const kindAppointment = "appointment"

// Appointment is a booking of a patient with a physician (front-desk scope).
type Appointment struct {
	ID        string
	Patient   string // patient entity id
	Physician string // physician's fingerprint
	Start     time.Time
	Minutes   int
	Reason    string
	Status    string // booked, arrived, cancelled, no-show
}

func appointmentFromState(id string, st replica.State) Appointment {
	a := Appointment{ID: id, Patient: st.String("patient"), Physician: st.String("physician"),
		Reason: st.String("reason"), Status: st.String("status")}
	a.Start, _ = time.Parse(time.RFC3339, st.String("start"))
	st.Get("minutes", &a.Minutes) //nolint:errcheck // missing reads as zero
	return a
}

// Book books a patient with a physician.
func (s *Session) Book(ctx context.Context, a Appointment) (Appointment, error) {
	r, err := s.can(roles.BookAppointment)
	if err != nil {
		return Appointment{}, err
	}
	m, ok := r.Member(a.Physician)
	if !ok || m.Role != roles.Physician || !m.Active() {
		return Appointment{}, fmt.Errorf("%w: choose an active physician", ErrInvalidInput)
	}
	if a.Minutes <= 0 || a.Minutes > 8*60 {
		return Appointment{}, fmt.Errorf("%w: an appointment lasts between 1 minute and 8 hours", ErrInvalidInput)
	}
	if a.Start.IsZero() {
		return Appointment{}, fmt.Errorf("%w: choose a start time", ErrInvalidInput)
	}
	if _, err := s.Patient(ctx, a.Patient); err != nil {
		return Appointment{}, err
	}
	a.ID, a.Status = crypto.NewEventID(), "booked"
	fields, err := replica.F(map[string]any{"patient": a.Patient, "physician": a.Physician,
		"start": a.Start.Format(time.RFC3339), "minutes": a.Minutes, "reason": strings.TrimSpace(a.Reason), "status": a.Status})
	if err != nil {
		return Appointment{}, err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: a.ID, Kind: kindAppointment, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return Appointment{}, fmt.Errorf("app: book: %w", err)
	}
	return a, nil
}

// Calendar returns a physician's appointments on one day (in loc), by time.
func (s *Session) Calendar(ctx context.Context, physician string, day time.Time) ([]Appointment, error) {
	r, err := s.can(roles.ReadCalendar)
	if err != nil {
		return nil, err
	}
	ids, err := r.Search(ctx, roles.FrontDesk, -1, replica.Term{Field: "day", Value: physician + "/" + day.Format("2006-01-02")})
	if err != nil {
		return nil, err
	}
	rows, err := r.EntitiesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Appointment, 0, len(rows))
	for _, e := range rows {
		out = append(out, appointmentFromState(e.ID, e.State))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}
