package app

import (
	"context"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// The front desk is app/frontdesk, which imports app: the core's tests
// that need a booking, a check-in or an edit of a patient write the same
// changes the front desk writes, without its booking rules (its own tests
// are beside it).

// Appointment is a booking as the front desk writes it.
type Appointment = records.Appointment

// Appointment statuses as the front desk writes them.
const (
	StatusBooked  = records.StatusBooked
	StatusArrived = records.StatusArrived
)

// deskWrite appends fields of a front-desk record as the front desk does,
// when the session may do action.
func deskWrite(ctx context.Context, s *Session, action roles.Action, entity, kind string, fields replica.Fields) error {
	r, err := s.can(action)
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: entity, Kind: kind, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return fmt.Errorf("app: %s: %w", kind, err)
	}
	return nil
}

// book books a with its physician, in the clinic's zone.
func book(ctx context.Context, s *Session, a Appointment) (Appointment, error) {
	r, err := s.can(roles.BookAppointment)
	if err != nil {
		return Appointment{}, err
	}
	a.ID, a.Status, a.Start = crypto.NewEventID(), StatusBooked, a.Start.In(s.clinicZone(ctx, r))
	a.BookedBy, a.BookedAt = r.Fingerprint(), s.env.Now()
	fields, err := a.Fields()
	if err != nil {
		return Appointment{}, err
	}
	return a, deskWrite(ctx, s, roles.BookAppointment, a.ID, records.KindAppointment, fields)
}

// checkIn marks the patient of appointment a as arrived.
func checkIn(ctx context.Context, s *Session, a Appointment) error {
	a.Status, a.Arrived = StatusArrived, s.env.Now()
	fields, err := records.Some(a, records.AppointmentStatus, records.AppointmentArrivedAt)
	if err != nil {
		return err
	}
	return deskWrite(ctx, s, roles.CheckInPatient, a.ID, records.KindAppointment, fields)
}

// updatePatient writes the demographics of p that differ from the record.
func updatePatient(ctx context.Context, s *Session, p Patient) error {
	old, err := s.Patient(ctx, p.ID)
	if err != nil {
		return err
	}
	fields, err := records.Changed(old, TidyPatient(p, s.env.Now()), records.PatientEdits...)
	if err != nil {
		return err
	}
	return deskWrite(ctx, s, roles.EditPatient, p.ID, records.KindPatient, fields)
}

// dayOf returns a physician's appointments on the date of day (as written
// in its location).
func dayOf(ctx context.Context, s *Session, physician string, day time.Time) ([]Appointment, error) {
	r, err := s.can(roles.ReadCalendar)
	if err != nil {
		return nil, err
	}
	ids, err := r.Search(ctx, roles.FrontDesk, -1, records.DayTerm(physician, day.Format("2006-01-02")))
	if err != nil {
		return nil, err
	}
	rows, err := r.EntitiesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []Appointment
	for _, e := range rows {
		out = append(out, records.AppointmentFromState(e.ID, e.State))
	}
	return out, nil
}
