package frontdesk

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
)

// Errors of the booking rules, wrapped by *BookingError.
var (
	ErrSlotTaken    = errors.New("frontdesk: the physician already has an appointment at that time")
	ErrOutsideHours = errors.New("frontdesk: the physician does not work at that time")
)

// BookingError says why a time cannot be booked: another appointment of
// the physician (With), outside working hours, or a day off.
type BookingError struct {
	Start, End time.Time
	With       Appointment // the appointment in the way, for ErrSlotTaken
	DayOff     bool
	physician  string
	err        error
}

func (e *BookingError) Error() string {
	who := e.physician
	if who == "" {
		who = "The physician"
	}
	when := e.Start.Format("Mon 2 Jan 15:04") + "–" + e.End.Format("15:04")
	switch {
	case errors.Is(e.err, ErrSlotTaken):
		with := e.With.PatientName
		if with == "" {
			with = "another patient"
		}
		return fmt.Sprintf("%s already has %s from %s to %s on %s, so %s cannot be booked: choose a free time, or overbook on purpose",
			who, with, e.With.Start.Format("15:04"), e.With.End().Format("15:04"), e.With.Start.Format("Mon 2 Jan"), when)
	case e.DayOff:
		return fmt.Sprintf("%s is off on %s, so %s cannot be booked: choose another day, or overbook on purpose", who, e.Start.Format("Mon 2 Jan"), when)
	}
	return fmt.Sprintf("%s does not work at %s: choose a time within their working hours, or overbook on purpose", who, when)
}

// Unwrap makes errors.Is(err, ErrSlotTaken) or ErrOutsideHours true.
func (e *BookingError) Unwrap() error { return e.err }

// checkBooking applies the booking rules to appointment a: it must lie
// within one working stretch of the physician's day (when working hours
// are set at all) and overlap none of the appointments around it that
// still take their time.
func checkBooking(av Availability, zone *time.Location, a Appointment, around []Appointment) *BookingError {
	start, end := a.Start.In(zone), a.End().In(zone)
	if av.Set {
		hours := av.WorkingHours(start, zone)
		inside := false
		for _, h := range hours {
			inside = inside || !start.Before(h.Start) && !end.After(h.End)
		}
		if !inside {
			return &BookingError{Start: start, End: end, DayOff: av.DayOff(start.Format("2006-01-02")), err: ErrOutsideHours}
		}
	}
	SortAppointments(around)
	for _, o := range around {
		if occupies(o) && o.Physician == a.Physician && o.Start.Before(end) && start.Before(o.End()) {
			o.Start = o.Start.In(zone)
			return &BookingError{Start: start, End: end, With: o, err: ErrSlotTaken}
		}
	}
	return nil
}

// markConflicts marks, among one physician's appointments, those that
// overlap another while neither was overbooked on purpose: two bookings
// made on workstations that had not seen each other. Both are kept and
// both are shown.
func markConflicts(as []Appointment) {
	for i := range as {
		for j := i + 1; j < len(as); j++ {
			a, b := as[i], as[j]
			if !occupies(a) || !occupies(b) || a.Physician != b.Physician || a.Overbooked || b.Overbooked {
				continue
			}
			if a.Start.Before(b.End()) && b.Start.Before(a.End()) {
				as[i].Conflict, as[j].Conflict = true, true
			}
		}
	}
}

// Slot is one row of a physician's day: a bookable slot of their working
// hours, or the time of an appointment that starts outside them. Each
// appointment is in every slot it overlaps, and starts in exactly one.
type Slot struct {
	Start, End time.Time
	// Working is true within the physician's working hours (always, for a
	// physician whose hours are not set).
	Working      bool
	Appointments []Appointment // that overlap the slot and take their time
}

// Free reports whether the slot can be booked without overbooking.
func (sl Slot) Free() bool { return sl.Working && len(sl.Appointments) == 0 }

// Starts reports whether a starts within the slot; an appointment of the
// slot that does not start there began in an earlier one and continues.
func (sl Slot) Starts(a Appointment) bool { return !a.Start.Before(sl.Start) && a.Start.Before(sl.End) }

// OffGrid reports whether a starts within a working slot but not at its
// start: it was booked at a time off the physician's slot grid (another
// slot length, a move, another desk), and is shown at its own time.
func (sl Slot) OffGrid(a Appointment) bool {
	return sl.Working && sl.Starts(a) && !a.Start.Equal(sl.Start)
}

// PhysicianDay is one physician's day as the front desk books it.
type PhysicianDay struct {
	Physician    Physician
	Availability Availability
	DayOff       bool
	// Slots cover the working hours (08:00 to 18:00 for a physician whose
	// hours are not set), plus the appointments that lie outside them.
	Slots []Slot
	// Appointments are all of the day's appointments, cancelled ones too,
	// by time, with conflicts marked and the patients' names filled.
	Appointments []Appointment
}

// defaultDay is what a physician's day shows when their hours are not set.
var defaultDay = []Hours{{From: 8 * 60, To: 18 * 60}}

// daySlots lays out a physician's day: slot-long rows through each working
// stretch (by wall clock, so a day of a daylight-saving change has the
// clinic's hours), and a row for each appointment outside them.
func daySlots(av Availability, zone *time.Location, day time.Time, as []Appointment) []Slot {
	day = day.In(zone)
	y, m, d := day.Date()
	hours := av.WorkingHours(day, zone)
	if !av.Set {
		for _, h := range defaultDay {
			hours = append(hours, Interval{Start: records.WallClock(y, m, d, h.From, zone), End: records.WallClock(y, m, d, h.To, zone)})
		}
	}
	step := slotMinutes(av)
	var slots []Slot
	for _, h := range hours {
		from := h.Start.In(zone)
		base := from.Hour()*60 + from.Minute()
		for k := 0; ; k++ {
			start := records.WallClock(y, m, d, base+k*step, zone)
			end := records.WallClock(y, m, d, base+(k+1)*step, zone)
			if !start.Before(h.End) {
				break
			}
			if start.Hour()*60+start.Minute() != (base+k*step)%(24*60) {
				continue // a time the clocks skip (they went forward)
			}
			if end.After(h.End) {
				end = h.End
			}
			slots = append(slots, Slot{Start: start, End: end, Working: true})
		}
	}
	for _, a := range as {
		if !occupies(a) {
			continue
		}
		started := false
		for i := range slots {
			if a.Start.Before(slots[i].End) && slots[i].Start.Before(a.End()) {
				slots[i].Appointments = append(slots[i].Appointments, a)
				started = started || slots[i].Starts(a)
			}
		}
		if !started { // outside the working hours, or starting before them
			slots = append(slots, Slot{Start: a.Start.In(zone), End: a.End().In(zone), Appointments: []Appointment{a}})
		}
	}
	sort.SliceStable(slots, func(i, j int) bool { return slots[i].Start.Before(slots[j].Start) })
	return slots
}

// DaySchedule returns the days of several physicians side by side: their
// slots, free and taken, and their appointments, for the date of day in
// the clinic's time zone.
func (s *Service) DaySchedule(ctx context.Context, physicians []string, day time.Time) ([]PhysicianDay, error) {
	r, err := s.c.ReplicaFor(roles.ReadCalendar)
	if err != nil {
		return nil, err
	}
	zone := s.c.Zone(ctx, r)
	day = day.In(zone)
	date := day.Format("2006-01-02")
	out := make([]PhysicianDay, 0, len(physicians))
	for _, fp := range physicians {
		m, err := s.c.CheckPhysician(r, fp)
		if err != nil {
			return nil, err
		}
		av, err := availability(ctx, r, fp)
		if err != nil {
			return nil, err
		}
		as, err := AppointmentsOn(ctx, r, fp, date)
		if err != nil {
			return nil, err
		}
		if err := WithNames(ctx, r, as); err != nil {
			return nil, err
		}
		for i := range as {
			as[i].Start = as[i].Start.In(zone)
		}
		SortAppointments(as)
		markConflicts(as)
		out = append(out, PhysicianDay{Physician: Physician{Fingerprint: fp, Name: m.Name}, Availability: av,
			DayOff: av.DayOff(date), Slots: daySlots(av, zone, day, as), Appointments: as})
	}
	return out, nil
}
