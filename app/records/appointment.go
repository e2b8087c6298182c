package records

import (
	"fmt"
	"time"

	"github.com/medihaven/medihaven/internal/values"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Fields of an appointment (front-desk scope). A booking writes the
// patient, physician, start, minutes, reason, status and overbooked, and
// who booked it when; later events write the status and what goes with it.
const (
	AppointmentPatient      = FieldPatient
	AppointmentPhysician    = "physician"
	AppointmentStart        = "start" // RFC 3339 in the clinic's zone: its date is the clinic's day
	AppointmentMinutes      = "minutes"
	AppointmentReason       = "reason"
	AppointmentStatus       = "status"
	AppointmentOverbooked   = "overbooked"
	AppointmentBookedBy     = "booked_by"
	AppointmentBookedAt     = "booked_at" // unix ms
	AppointmentSeries       = "series"
	AppointmentRepeat       = "repeat" // "every N week(s), M appointments"
	AppointmentCancelReason = "cancel_reason"
	AppointmentCancelledAt  = "cancelled_at" // unix ms
	AppointmentArrivedAt    = "arrived_at"   // unix ms
	// The visit's start and end (unix ms), written by app/chart beside the
	// status "in visit" and "seen", and by nothing else: the desk never
	// writes them, so its change concurrent with the visit (an undo of the
	// check-in, a no-show, a cancellation) cannot take the visit back
	// where the status field's last writer is the desk (AppointmentFromState).
	AppointmentVisitStarted  = "visit_started"
	AppointmentVisitFinished = "visit_finished"
	// AppointmentSeal proves what the appointment's id is bound to
	// (roles.Kind.Pin): since session 26 an import (only in that event may
	// the desk write the status "seen"), since session 27 what its booking
	// or import writes once for good (NewBookingID). The name is session
	// 26's, which that version's workstations accept.
	AppointmentSeal = "import_seal"
)

// The values of an appointment's status.
const (
	StatusBooked    = "booked"
	StatusArrived   = "arrived" // checked in at the desk
	StatusCancelled = "cancelled"
	StatusNoShow    = "no-show"
	// StatusInVisit: the physician started the visit (Start visit), and
	// StatusSeen: finished it (app/chart writes both).
	StatusInVisit = "in-visit"
	StatusSeen    = "seen"
)

// Appointment is a booking of a patient with a physician (front-desk scope).
type Appointment struct {
	ID        string
	Patient   string // patient entity id
	Physician string // physician's fingerprint
	// Start is written as it is given, in its location: the booking puts
	// it in the clinic's zone, whose date is the calendar's day.
	Start   time.Time
	Minutes int
	Reason  string
	Status  string // booked, arrived, cancelled, no-show

	// Overbooked is set when the desk booked it on purpose over another
	// appointment or outside working hours; it is shown everywhere.
	Overbooked bool
	// Conflict is computed when a day is read: it overlaps another
	// appointment of the same physician and neither was overbooked (two
	// workstations booked the same time without having seen each other).
	Conflict     bool
	CancelReason string
	CancelledAt  time.Time
	Arrived      time.Time // when checked in
	Series       string    // id of the recurring series, "" for a single appointment
	Repeat       string    // how the series repeats, as booked: "every 2 week(s), 6 appointments"
	BookedBy     string    // fingerprint of who booked it
	BookedAt     time.Time
	PatientName  string    // "Family, Given", filled when a day is read
	PatientMRN   string    // filled when a day is read
	BookedByName string    // who BookedBy is, as the directory names her: filled when a day is read
	VisitStarted time.Time // when the physician started the visit (app/chart), zero before
	VisitEnded   time.Time // when she finished it
	Origin                 // set on an appointment imported from another clinic
	Seal         string    // proves what its id is bound to (NewBookingID)
}

// NewBookingID gives a, as the event that makes it writes it (Fields), a
// new record id bound to what that event writes once for good
// (roles.NewBoundID, roles.Pin.Bound): its patient and physician, its
// series, who booked it when, and an import's time, attribution and
// status; and the seal Fields then writes beside them. Every workstation
// refuses an event under the id that writes another patient, physician
// or series (session 27, h-secb27): the desk cancels and books again.
func NewBookingID(a Appointment) (Appointment, error) {
	a.Seal = ""
	f, err := a.Fields()
	if err != nil {
		return a, err
	}
	a.ID, a.Seal = roles.NewBoundID(KindAppointment, f)
	return a, nil
}

// NewImportedAppointmentID gives a, imported at with its status, its
// patient and who imported it, a new record id bound to its import and
// what NewBookingID binds: every workstation refuses the status "seen" or
// "in-visit" from a member whose role holds no clinical key under an
// appointment's id but in the event that proves its import, which Fields
// writes (session 26, h-mrn26).
func NewImportedAppointmentID(a Appointment, at time.Time) (Appointment, error) {
	a.Origin.Imported = time.UnixMilli(at.UnixMilli())
	return NewBookingID(a)
}

// The length of an appointment, in minutes: 1 minute to 8 hours.
const (
	MinAppointmentMinutes = 1
	MaxAppointmentMinutes = 8 * 60
)

// CheckMinutes says what is wrong with an appointment lasting minutes (nil
// when it lasts MinAppointmentMinutes to MaxAppointmentMinutes). The desk
// checks it before booking, moving or importing, and every workstation
// reads a stored length by it (AppointmentFromState): one outside, which
// only modified software writes, ended in 2189 or before it began
// (session 25 review, h-rev25a).
func CheckMinutes(minutes int) error {
	if minutes < MinAppointmentMinutes || minutes > MaxAppointmentMinutes {
		return fmt.Errorf("%w: an appointment lasts between 1 minute and 8 hours", ErrInvalidInput)
	}
	return nil
}

// MaxStartYears bounds how far from today the desk books, moves or
// repeats an appointment: ten years either way. A recall years ahead and
// a booking the desk enters after the fact fit; an honest series spans at
// most two years weekly. A start further away is what modified software
// writes (year 9999 made each calendar export touching its series write
// 2.3 MB, h-secb27), so readers that lay out time (the calendar export)
// write such an appointment alone and in UTC (StartInRange). An import
// keeps its history as written (its appointments are no series).
const MaxStartYears = values.MaxStartYears

// StartInRange reports whether start is within MaxStartYears of now
// (values.StartInRange, the bound every workstation applying a booking
// keeps again, relative to the time the event states).
func StartInRange(start, now time.Time) bool { return values.StartInRange(start, now) }

// CheckStart says what is wrong with a booking starting at start, now
// (nil when it is set and StartInRange).
func CheckStart(start, now time.Time) error {
	switch {
	case start.IsZero():
		return fmt.Errorf("%w: choose a start time", ErrInvalidInput)
	case !StartInRange(start, now):
		return fmt.Errorf("%w: an appointment starts between %s and %s (within %d years of today)", ErrInvalidInput,
			now.AddDate(-MaxStartYears, 0, 0).Format("2006-01-02"), now.AddDate(MaxStartYears, 0, 0).Format("2006-01-02"), MaxStartYears)
	}
	return nil
}

// StartUnreadable is how an appointment whose stored start does not parse
// as RFC 3339 shows its time (only modified software writes one). Every
// reader agrees on it: it reads as the zero time, is filed under no day
// (IndexTerms) and so on no calendar day nor in any calendar export, and
// stays on its patient's list, where the desk moves it to a time again.
const StartUnreadable = "time unreadable"

// StartText is a's start in zone (nil: in the zone it was written in) as
// layout writes it, or StartUnreadable.
func (a Appointment) StartText(layout string, zone *time.Location) string {
	switch {
	case a.Start.IsZero():
		return StartUnreadable
	case zone == nil:
		return a.Start.Format(layout)
	}
	return a.Start.In(zone).Format(layout)
}

// End is when the appointment ends.
func (a Appointment) End() time.Time { return a.Start.Add(time.Duration(a.Minutes) * time.Minute) }

// AppointmentFromState reads an appointment (without the patient's name);
// a length CheckMinutes refuses reads as the bound nearest.
func AppointmentFromState(id string, st replica.State) Appointment {
	a := Appointment{ID: id, Patient: st.String(AppointmentPatient), Physician: st.String(AppointmentPhysician),
		Minutes: get[int](st, AppointmentMinutes), Reason: st.String(AppointmentReason), Status: st.String(AppointmentStatus),
		Overbooked: get[bool](st, AppointmentOverbooked), CancelReason: st.String(AppointmentCancelReason),
		CancelledAt: msTime(st, AppointmentCancelledAt), Arrived: msTime(st, AppointmentArrivedAt),
		Series: st.String(AppointmentSeries), Repeat: st.String(AppointmentRepeat),
		BookedBy: st.String(AppointmentBookedBy), BookedAt: msTime(st, AppointmentBookedAt), Origin: originFromState(st)}
	a.Minutes = min(max(a.Minutes, MinAppointmentMinutes), MaxAppointmentMinutes)
	a.Start = parseStart(st.String(AppointmentStart))
	a.VisitStarted, a.VisitEnded = msTime(st, AppointmentVisitStarted), msTime(st, AppointmentVisitFinished)
	return visitKept(a)
}

// parseStart reads a stored start (RFC 3339, as Fields writes it); one
// that does not parse is the zero time (StartUnreadable).
func parseStart(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// visitKept: once the physician has started the visit, the appointment is
// in it (or seen, once finished) whatever the status field's last writer
// says, and the patient has arrived (at the visit's start if the desk's
// concurrent undo cleared the check-in's time). Each field's last writer
// wins on every workstation alike, so each reads the same from the same
// fields: an undo of the check-in (or a no-show, a cancellation) the desk
// wrote before it saw the visit no longer leaves a started visit booked.
func visitKept(a Appointment) Appointment {
	switch {
	case a.VisitStarted.IsZero():
		return a
	case !a.VisitEnded.IsZero():
		a.Status = StatusSeen
	case a.Status != StatusSeen:
		a.Status = StatusInVisit
	}
	if a.Arrived.IsZero() {
		a.Arrived = a.VisitStarted
	}
	return a
}

// Fields are the fields of a booking and of what happened to it since.
func (a Appointment) Fields() (replica.Fields, error) {
	e := enc{AppointmentPatient: a.Patient, AppointmentPhysician: a.Physician, AppointmentStart: a.Start.Format(time.RFC3339),
		AppointmentMinutes: a.Minutes, AppointmentReason: a.Reason, AppointmentStatus: a.Status, AppointmentOverbooked: a.Overbooked}
	e.str(AppointmentBookedBy, a.BookedBy)
	e.ms(AppointmentBookedAt, a.BookedAt)
	e.str(AppointmentSeries, a.Series)
	e.str(AppointmentRepeat, a.Repeat)
	e.str(AppointmentCancelReason, a.CancelReason)
	e.ms(AppointmentCancelledAt, a.CancelledAt)
	e.ms(AppointmentArrivedAt, a.Arrived)
	e.ms(AppointmentVisitStarted, a.VisitStarted)
	e.ms(AppointmentVisitFinished, a.VisitEnded)
	e.origin(a.Origin)
	e.str(AppointmentSeal, a.Seal)
	return e.fields()
}
