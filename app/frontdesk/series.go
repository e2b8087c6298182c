package frontdesk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// MaxOccurrences is the most appointments one recurring series books.
const MaxOccurrences = 104

// Recurrence says how an appointment repeats: every EveryWeeks weeks, on
// the same weekday at the same wall-clock time in the clinic's zone (also
// across daylight-saving changes), until a last day or for a number of
// appointments, whichever comes first.
type Recurrence struct {
	EveryWeeks int       // 1 = weekly
	Until      time.Time // last day a series may book on (its date in the clinic's zone), or zero
	Count      int       // how many appointments, the first included, or 0
}

// Starts returns the start of every appointment of the series whose first
// appointment starts at first, in zone.
func (rc Recurrence) Starts(first time.Time, zone *time.Location) ([]time.Time, error) {
	switch {
	case rc.EveryWeeks < 1 || rc.EveryWeeks > 52:
		return nil, fmt.Errorf("%w: repeat every 1 to 52 weeks", app.ErrInvalidInput)
	case rc.Count < 0 || rc.Count > MaxOccurrences:
		return nil, fmt.Errorf("%w: a series has at most %d appointments", app.ErrInvalidInput, MaxOccurrences)
	case rc.Count == 0 && rc.Until.IsZero():
		return nil, fmt.Errorf("%w: say until when the appointment repeats, or how many times", app.ErrInvalidInput)
	}
	first = first.In(zone)
	var last string
	if !rc.Until.IsZero() {
		last = rc.Until.Format("2006-01-02")
		if last < first.Format("2006-01-02") {
			return nil, fmt.Errorf("%w: the series ends (%s) before its first appointment", app.ErrInvalidInput, last)
		}
	}
	y, m, d := first.Date()
	minutes := first.Hour()*60 + first.Minute()
	var out []time.Time
	for i := 0; rc.Count == 0 || i < rc.Count; i++ {
		t := records.WallClock(y, m, d+7*rc.EveryWeeks*i, minutes, zone)
		if last != "" && t.Format("2006-01-02") > last {
			break
		}
		if len(out) == MaxOccurrences {
			return nil, fmt.Errorf("%w: a series has at most %d appointments: choose an earlier last day", app.ErrInvalidInput, MaxOccurrences)
		}
		out = append(out, t)
	}
	return out, nil
}

// SeriesError lists the appointments of a series that break the booking
// rules; nothing of the series was booked or changed.
type SeriesError struct {
	Refused []*BookingError
}

func (e *SeriesError) Error() string {
	msgs := make([]string, 0, len(e.Refused))
	for _, b := range e.Refused {
		msgs = append(msgs, b.Error())
	}
	n := len(e.Refused)
	what := fmt.Sprintf("%d appointments of the series cannot be booked, so none was", n)
	if n == 1 {
		what = "1 appointment of the series cannot be booked, so none was"
	}
	return what + ": " + strings.Join(msgs, "; ")
}

// Unwrap gives the rule broken by the first refused appointment.
func (e *SeriesError) Unwrap() error { return e.Refused[0] }

// BookSeries books a recurring appointment: a is the first, rc says how it
// repeats. Every appointment of the series obeys the booking rules (or
// a.Overbooked books them all on purpose); all of them are booked in one
// transaction, or, with a *SeriesError naming the refused ones, none.
func (s *Service) BookSeries(ctx context.Context, a Appointment, rc Recurrence) ([]Appointment, error) {
	r, err := s.c.ReplicaFor(roles.BookAppointment)
	if err != nil {
		return nil, err
	}
	if a, err = s.checkAppointment(ctx, r, a); err != nil {
		return nil, err
	}
	zone := s.c.Zone(ctx, r)
	starts, err := rc.Starts(a.Start, zone)
	if err != nil {
		return nil, err
	}
	series := crypto.NewEventID()
	out := make([]Appointment, 0, len(starts))
	booking := make(map[string]replica.Fields, len(starts))
	// Kept as written since the first version: app/interop reads it back.
	repeat := fmt.Sprintf("every %d week(s), %d appointments", rc.EveryWeeks, len(starts))
	for _, t := range starts {
		if !records.StartInRange(t, s.c.Now()) {
			return nil, fmt.Errorf("%w: the series would book %s, more than %d years from today: choose an earlier last day or fewer appointments",
				app.ErrInvalidInput, t.Format("2006-01-02"), records.MaxStartYears)
		}
		o := a
		o.Start, o.Status, o.Series, o.Repeat = t.In(zone), StatusBooked, series, repeat
		o.BookedBy, o.BookedAt = r.Fingerprint(), s.c.Now()
		f, err := bookingFields(&o)
		if err != nil {
			return nil, err
		}
		booking[o.ID] = f
		out = append(out, o)
	}
	return out, s.writeSeries(ctx, r, zone, out, a.Overbooked, nil, func(o Appointment) (replica.Fields, error) {
		return booking[o.ID], nil
	})
}

// writeSeries checks every appointment against the rules (unless
// overbook), then writes fields(o) of each in one batch.
func (s *Service) writeSeries(ctx context.Context, r *replica.Replica, zone *time.Location, as []Appointment, overbook bool,
	skip map[string]bool, fields func(Appointment) (replica.Fields, error)) error {
	if !overbook {
		var refused []*BookingError
		for _, o := range as {
			err := s.checkSlot(ctx, r, zone, o, skip)
			var be *BookingError
			switch {
			case errors.As(err, &be):
				refused = append(refused, be)
			case err != nil:
				return err
			}
		}
		if len(refused) > 0 {
			return &SeriesError{Refused: refused}
		}
	}
	b := r.Batch()
	for _, o := range as {
		f, err := fields(o)
		if err != nil {
			return err
		}
		b.Append(replica.Change{Entity: o.ID, Kind: records.KindAppointment, Scope: roles.FrontDesk, Fields: f})
	}
	if _, err := b.Commit(ctx); err != nil {
		return fmt.Errorf("frontdesk: recurring appointments: %w", err)
	}
	return nil
}

// restOfSeries returns the booked appointments of the series of id that
// start at or after it, by time, id first.
func (s *Service) restOfSeries(ctx context.Context, r *replica.Replica, id string) (Appointment, []Appointment, error) {
	a, err := appointment(ctx, r, id)
	if err != nil {
		return Appointment{}, nil, err
	}
	if a.Series == "" {
		return a, []Appointment{a}, nil
	}
	all, err := Series(ctx, r, a.Series)
	if err != nil {
		return Appointment{}, nil, err
	}
	var rest []Appointment
	for _, o := range all {
		if !o.Start.Before(a.Start) && o.Status == StatusBooked {
			rest = append(rest, o)
		}
	}
	return a, rest, nil
}

// Series returns every appointment of a recurring series as r reads
// them, by time, cancelled ones too, without patients' names.
func Series(ctx context.Context, r *replica.Replica, series string) ([]Appointment, error) {
	return appointmentsWith(ctx, r, records.SeriesTerm(series))
}

// SeriesAppointments returns every appointment of a recurring series, by
// time, cancelled ones too.
func (s *Service) SeriesAppointments(ctx context.Context, series string) ([]Appointment, error) {
	r, err := s.c.ReplicaFor(roles.ReadCalendar)
	if err != nil {
		return nil, err
	}
	return Series(ctx, r, series)
}

// CancelSeries cancels the appointment id and every later booked
// appointment of its series, with one reason, in one transaction. It
// returns how many were cancelled.
func (s *Service) CancelSeries(ctx context.Context, id, reason string) (int, error) {
	r, err := s.c.ReplicaFor(roles.CancelAppointment)
	if err != nil {
		return 0, err
	}
	if reason, err = checkCancelReason(reason); err != nil {
		return 0, err
	}
	_, rest, err := s.restOfSeries(ctx, r, id)
	if err != nil {
		return 0, err
	}
	now := s.c.Now()
	err = s.writeSeries(ctx, r, nil, rest, true, nil, func(o Appointment) (replica.Fields, error) {
		cancel(&o, reason, now)
		return records.Some(o, cancelFields...)
	})
	if err != nil {
		return 0, err
	}
	return len(rest), nil
}

// RescheduleSeries moves the appointment id to start (and minutes) and
// every later booked appointment of its series by the same number of days
// to the same wall-clock time, in one transaction, under the booking
// rules (or overbooked on purpose).
func (s *Service) RescheduleSeries(ctx context.Context, id string, start time.Time, minutes int, overbook bool) ([]Appointment, error) {
	r, err := s.c.ReplicaFor(roles.BookAppointment)
	if err != nil {
		return nil, err
	}
	a, rest, err := s.restOfSeries(ctx, r, id)
	if err != nil {
		return nil, err
	}
	if a.Status != StatusBooked {
		return nil, fmt.Errorf("%w: this appointment is %s, so it cannot be moved", app.ErrInvalidInput, a.Status)
	}
	zone := s.c.Zone(ctx, r)
	start = start.In(zone)
	from := a.Start.In(zone)
	// Whole days between the two dates, counted on the calendar (a day of
	// a daylight-saving change lasts 23 or 25 hours).
	days := int(time.Date(start.Year(), start.Month(), start.Day(), 12, 0, 0, 0, time.UTC).Sub(
		time.Date(from.Year(), from.Month(), from.Day(), 12, 0, 0, 0, time.UTC)).Hours() / 24)
	clockMin := start.Hour()*60 + start.Minute()
	skip := map[string]bool{}
	moved := make([]Appointment, 0, len(rest))
	for _, o := range rest {
		if o.ID != a.ID && !records.StartInRange(o.Start, s.c.Now()) {
			continue // moved out of reach by modified software (records.MaxStartYears): it stays
		}
		skip[o.ID] = true
		t := o.Start.In(zone)
		o.Start = records.WallClock(t.Year(), t.Month(), t.Day()+days, clockMin, zone)
		o.Minutes, o.Overbooked = minutes, overbook
		if _, err := s.checkAppointment(ctx, r, o); err != nil {
			return nil, err
		}
		moved = append(moved, o)
	}
	err = s.writeSeries(ctx, r, zone, moved, overbook, skip, func(o Appointment) (replica.Fields, error) {
		return records.Some(o, records.AppointmentStart, records.AppointmentMinutes, records.AppointmentOverbooked)
	})
	if err != nil {
		return nil, err
	}
	return moved, nil
}
