package frontdesk

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Appointment statuses.
const (
	StatusBooked    = records.StatusBooked
	StatusArrived   = records.StatusArrived // checked in at the desk
	StatusCancelled = records.StatusCancelled
	StatusNoShow    = records.StatusNoShow
)

// Appointment is a booking of a patient with a physician (front-desk scope).
type Appointment = records.Appointment

// occupies reports whether the appointment takes its time in the
// physician's calendar: booked, arrived, in the visit or seen (app/chart
// writes those two); cancelled and missed ones leave it free.
func occupies(a Appointment) bool { return a.Status != StatusCancelled && a.Status != StatusNoShow }

// checkAppointment checks what any booking needs, before the slot rules.
func (s *Service) checkAppointment(ctx context.Context, r *replica.Replica, a Appointment) (Appointment, error) {
	if _, err := s.c.CheckPhysician(r, a.Physician); err != nil {
		return a, err
	}
	if err := records.CheckMinutes(a.Minutes); err != nil {
		return a, err
	}
	if err := records.CheckStart(a.Start, s.c.Now()); err != nil {
		return a, err
	}
	a.Reason = strings.Join(strings.Fields(a.Reason), " ")
	if len(a.Reason) > 300 {
		return a, fmt.Errorf("%w: the reason is longer than 300 characters", app.ErrInvalidInput)
	}
	if _, err := s.c.Patient(ctx, a.Patient); err != nil {
		return a, fmt.Errorf("%w: choose a registered patient", app.ErrInvalidInput)
	}
	return a, nil
}

// Book books a patient with a physician. A time that overlaps another
// appointment of the physician, falls outside their working hours or on a
// day off is refused with a *BookingError, unless a.Overbooked says the
// desk books it on purpose.
func (s *Service) Book(ctx context.Context, a Appointment) (Appointment, error) {
	r, err := s.c.ReplicaFor(roles.BookAppointment)
	if err != nil {
		return Appointment{}, err
	}
	if a, err = s.checkAppointment(ctx, r, a); err != nil {
		return Appointment{}, err
	}
	zone := s.c.Zone(ctx, r)
	if !a.Overbooked {
		if err := s.checkSlot(ctx, r, zone, a, nil); err != nil {
			return Appointment{}, err
		}
	}
	a.Status, a.Series, a.Start = StatusBooked, "", a.Start.In(zone)
	a.BookedBy, a.BookedAt = r.Fingerprint(), s.c.Now()
	fields, err := bookingFields(&a)
	if err != nil {
		return Appointment{}, err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: a.ID, Kind: records.KindAppointment, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return Appointment{}, fmt.Errorf("frontdesk: book: %w", err)
	}
	return a, nil
}

// bookingFields gives a its id, bound to its patient, physician and
// series (records.NewBookingID), and returns the fields its booking
// writes: what the desk chose and who booked it when, nothing else the
// caller's value may carry.
func bookingFields(a *Appointment) (replica.Fields, error) {
	b, err := records.NewBookingID(Appointment{Patient: a.Patient, Physician: a.Physician, Start: a.Start, Minutes: a.Minutes,
		Reason: a.Reason, Status: a.Status, Overbooked: a.Overbooked, Series: a.Series, Repeat: a.Repeat, BookedBy: a.BookedBy,
		BookedAt: a.BookedAt})
	if err != nil {
		return nil, err
	}
	a.ID, a.Seal = b.ID, b.Seal
	return b.Fields()
}

// checkSlot applies the booking rules to a, against the physician's other
// appointments around it (those in skip excepted: a series being moved).
func (s *Service) checkSlot(ctx context.Context, r *replica.Replica, zone *time.Location, a Appointment, skip map[string]bool) error {
	av, err := availability(ctx, r, a.Physician)
	if err != nil {
		return err
	}
	var around []Appointment
	// An appointment lasts at most 8 hours: one that overlaps a starts on
	// a's day, the day before, or (past midnight) the day a ends.
	first, last := a.Start.In(zone), a.End().In(zone).Format("2006-01-02")
	for d := records.WallClock(first.Year(), first.Month(), first.Day()-1, 12*60, zone); d.Format("2006-01-02") <= last; d = d.AddDate(0, 0, 1) {
		day, err := AppointmentsOn(ctx, r, a.Physician, d.Format("2006-01-02"))
		if err != nil {
			return err
		}
		for _, o := range day {
			if o.ID != a.ID && !skip[o.ID] {
				around = append(around, o)
			}
		}
	}
	if err := checkBooking(av, zone, a, around); err != nil {
		if m, ok := r.Member(a.Physician); ok {
			err.physician = m.Name
		}
		if err.With.Patient != "" {
			if p, perr := s.c.Patient(ctx, err.With.Patient); perr == nil {
				err.With.PatientName = p.Name()
			}
		}
		return err
	}
	return nil
}

// AppointmentsOn returns a physician's appointments whose start falls on
// date (YYYY-MM-DD, the clinic's day), unsorted, without patients' names,
// as r reads them (the caller has checked the action).
func AppointmentsOn(ctx context.Context, r *replica.Replica, physician, date string) ([]Appointment, error) {
	found, err := appointmentsFound(ctx, r, records.DayTerm(physician, date))
	if err != nil {
		return nil, err
	}
	// One whose start does not parse is on no day (records.StartUnreadable);
	// a store indexed before session 27 still files it under the date its
	// start begins with.
	out := found[:0]
	for _, a := range found {
		if !a.Start.IsZero() {
			out = append(out, a)
		}
	}
	return out, nil
}

// appointmentsFound returns the appointments the blind index finds under
// term, each read and opened once (Find hands over what it decrypted to
// check the term: reading them again by id would open each twice).
func appointmentsFound(ctx context.Context, r *replica.Replica, term replica.Term) ([]Appointment, error) {
	rows, _, err := r.Find(ctx, roles.FrontDesk, "", -1, term)
	if err != nil {
		return nil, err
	}
	return appointmentsOf(rows), nil
}

// appointmentsOf keeps the appointments of rows.
func appointmentsOf(rows []replica.EntityState) []Appointment {
	out := make([]Appointment, 0, len(rows))
	for _, e := range rows {
		if e.Kind == records.KindAppointment {
			out = append(out, records.AppointmentFromState(e.ID, e.State))
		}
	}
	return out
}

// WithNames fills the patients' names and MRNs of appointments.
func WithNames(ctx context.Context, r *replica.Replica, as []Appointment) error {
	ids := make([]string, 0, len(as))
	for _, a := range as {
		ids = append(ids, a.Patient)
	}
	rows, err := r.EntitiesByID(ctx, ids)
	if err != nil {
		return err
	}
	names := map[string]Patient{}
	for _, e := range rows {
		if e.Kind == records.KindPatient {
			names[e.ID] = records.PatientFromState(e.ID, e.State)
		}
	}
	staff := map[string]string{}
	for _, m := range r.Members() {
		staff[m.Fingerprint] = roles.VisibleName(m.Name)
	}
	for i := range as {
		if p, ok := names[as[i].Patient]; ok {
			as[i].PatientName, as[i].PatientMRN = p.Name(), p.MRN
		}
		as[i].BookedByName = staff[as[i].BookedBy]
	}
	return nil
}

// Calendar returns a physician's appointments on one day (the date of day
// as written in its location), by time, with conflicts marked and the
// patients' names filled.
func (s *Service) Calendar(ctx context.Context, physician string, day time.Time) ([]Appointment, error) {
	r, err := s.c.ReplicaFor(roles.ReadCalendar)
	if err != nil {
		return nil, err
	}
	out, err := AppointmentsOn(ctx, r, physician, day.Format("2006-01-02"))
	if err != nil {
		return nil, err
	}
	if err := WithNames(ctx, r, out); err != nil {
		return nil, err
	}
	SortAppointments(out)
	markConflicts(out)
	return out, nil
}

// SortAppointments sorts appointments by start, then id.
func SortAppointments(as []Appointment) {
	sort.SliceStable(as, func(i, j int) bool {
		if !as[i].Start.Equal(as[j].Start) {
			return as[i].Start.Before(as[j].Start)
		}
		return as[i].ID < as[j].ID
	})
}

// Appointment returns one appointment.
func (s *Service) Appointment(ctx context.Context, id string) (Appointment, error) {
	r, err := s.c.ReplicaFor(roles.ReadCalendar)
	if err != nil {
		return Appointment{}, err
	}
	return appointment(ctx, r, id)
}

func appointment(ctx context.Context, r *replica.Replica, id string) (Appointment, error) {
	kind, st, err := r.Entity(ctx, id)
	if err != nil || kind != records.KindAppointment {
		return Appointment{}, fmt.Errorf("%w: no appointment %s", replica.ErrNotFound, id)
	}
	a := records.AppointmentFromState(id, st)
	as := []Appointment{a}
	if err := WithNames(ctx, r, as); err != nil {
		return Appointment{}, err
	}
	return as[0], nil
}

// PatientAppointments returns a patient's appointments, by time.
func (s *Service) PatientAppointments(ctx context.Context, patient string) ([]Appointment, error) {
	r, err := s.c.ReplicaFor(roles.ReadCalendar)
	if err != nil {
		return nil, err
	}
	return appointmentsWith(ctx, r, records.PatientTerm(patient))
}

// appointmentsWith returns the appointments the blind index finds under
// term, by time, without patients' names.
func appointmentsWith(ctx context.Context, r *replica.Replica, term replica.Term) ([]Appointment, error) {
	out, err := appointmentsFound(ctx, r, term)
	if err != nil {
		return nil, err
	}
	SortAppointments(out)
	return out, nil
}

// change writes some fields of an appointment after checking the action
// and that its status allows it: edit changes the appointment and names
// the fields it changed.
func (s *Service) change(ctx context.Context, action roles.Action, id string, allowed func(Appointment) error,
	edit func(*replica.Replica, *Appointment) ([]string, error)) (Appointment, error) {
	r, err := s.c.ReplicaFor(action)
	if err != nil {
		return Appointment{}, err
	}
	a, err := appointment(ctx, r, id)
	if err != nil {
		return Appointment{}, err
	}
	if err := allowed(a); err != nil {
		return Appointment{}, err
	}
	names, err := edit(r, &a)
	if err != nil {
		return Appointment{}, err
	}
	fields, err := records.Some(a, names...)
	if err != nil {
		return Appointment{}, err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: id, Kind: records.KindAppointment, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return Appointment{}, fmt.Errorf("frontdesk: change appointment: %w", err)
	}
	return appointment(ctx, r, id)
}

func mustBe(what string, statuses ...string) func(Appointment) error {
	return func(a Appointment) error {
		for _, st := range statuses {
			if a.Status == st {
				return nil
			}
		}
		return fmt.Errorf("%w: this appointment is %s, so it cannot be %s", app.ErrInvalidInput, a.Status, what)
	}
}

// Reschedule moves an appointment to another start and length, under the
// same rules as Book (overbook says the desk does it on purpose).
func (s *Service) Reschedule(ctx context.Context, id string, start time.Time, minutes int, overbook bool) (Appointment, error) {
	return s.change(ctx, roles.BookAppointment, id, mustBe("moved", StatusBooked), func(r *replica.Replica, a *Appointment) ([]string, error) {
		zone := s.c.Zone(ctx, r)
		a.Start, a.Minutes, a.Overbooked = start.In(zone), minutes, overbook
		checked, err := s.checkAppointment(ctx, r, *a)
		if err != nil {
			return nil, err
		}
		if !overbook {
			if err := s.checkSlot(ctx, r, zone, checked, nil); err != nil {
				return nil, err
			}
		}
		return []string{records.AppointmentStart, records.AppointmentMinutes, records.AppointmentOverbooked}, nil
	})
}

func checkCancelReason(reason string) (string, error) {
	reason = strings.Join(strings.Fields(reason), " ")
	switch {
	case reason == "":
		return "", fmt.Errorf("%w: say why the appointment is cancelled (e.g. \"patient called, unwell\")", app.ErrInvalidInput)
	case len(reason) > 300:
		return "", fmt.Errorf("%w: the cancellation reason is longer than 300 characters", app.ErrInvalidInput)
	}
	return reason, nil
}

// cancelFields are the fields a cancellation writes.
var cancelFields = []string{records.AppointmentStatus, records.AppointmentCancelReason, records.AppointmentCancelledAt}

// cancel marks a cancelled at now, for reason.
func cancel(a *Appointment, reason string, now time.Time) {
	a.Status, a.CancelReason, a.CancelledAt = StatusCancelled, reason, now
}

// Cancel cancels an appointment, with the reason the desk was given.
func (s *Service) Cancel(ctx context.Context, id, reason string) (Appointment, error) {
	reason, err := checkCancelReason(reason)
	if err != nil {
		return Appointment{}, err
	}
	return s.change(ctx, roles.CancelAppointment, id, mustBe("cancelled", StatusBooked, StatusNoShow), func(_ *replica.Replica, a *Appointment) ([]string, error) {
		cancel(a, reason, s.c.Now())
		return cancelFields, nil
	})
}

// CheckIn marks the patient of an appointment as arrived.
func (s *Service) CheckIn(ctx context.Context, id string) (Appointment, error) {
	return s.change(ctx, roles.CheckInPatient, id, mustBe("checked in", StatusBooked, StatusNoShow), func(_ *replica.Replica, a *Appointment) ([]string, error) {
		a.Status, a.Arrived = StatusArrived, s.c.Now()
		return []string{records.AppointmentStatus, records.AppointmentArrivedAt}, nil
	})
}

// UndoCheckIn takes back a check-in made by mistake (the wrong row
// tapped): the appointment is booked again and its arrival time cleared.
// Only while the patient is checked in: once the physician has started the
// visit it is the chart's, and the undo is refused in those words. An undo
// written before this workstation saw the visit start does not take the
// visit back: the appointment reads "in visit" on every workstation
// (records.AppointmentFromState). The undo is a signed event of the appointment
// like the check-in, so its history (the audit) keeps both, with who and
// when; checking in again works as before.
func (s *Service) UndoCheckIn(ctx context.Context, id string) (Appointment, error) {
	return s.change(ctx, roles.CheckInPatient, id, func(a Appointment) error {
		if !a.VisitStarted.IsZero() || a.Status == records.StatusInVisit || a.Status == records.StatusSeen {
			return fmt.Errorf("%w: %s", app.ErrInvalidInput, VisitStartedUndo)
		}
		return mustBe("set back to booked", StatusArrived)(a)
	}, func(_ *replica.Replica, a *Appointment) ([]string, error) {
		a.Status, a.Arrived = StatusBooked, time.Time{}
		return []string{records.AppointmentStatus, records.AppointmentArrivedAt}, nil
	})
}

// VisitStartedUndo is what the desk is told when it undoes the check-in of
// an appointment whose visit the physician has started.
const VisitStartedUndo = "The visit has started; it cannot be undone here. Ask the physician if the check-in was a mistake."

// MarkNoShow records that the patient did not come.
func (s *Service) MarkNoShow(ctx context.Context, id string) (Appointment, error) {
	return s.change(ctx, roles.CheckInPatient, id, mustBe("marked as a no-show", StatusBooked), func(_ *replica.Replica, a *Appointment) ([]string, error) {
		a.Status = StatusNoShow
		return []string{records.AppointmentStatus}, nil
	})
}
