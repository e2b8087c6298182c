package frontdesk

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit"
)

// Desk is what the front desk's screens need: the session's core reads,
// its front-desk service (app/frontdesk) and, of its interop service, the
// transfers of records.
type Desk interface {
	Session
	Bookings
	Interop
}

// Interop is what they need of the session's interop service
// (app/interop): the transfers of records, and the preview of a transfer
// in before it is imported.
type Interop interface {
	kit.Transfers
	kit.FHIRPreviewer
}

// Session is what the front desk's screens need of a logged-in session
// itself: the change feed, the clinic's zone and reading patients.
type Session interface {
	OnChange(fn func([]app.Changed)) (stop func())
	ClinicZone(ctx context.Context) (*time.Location, error)
	SearchPatients(ctx context.Context, query string, limit int) ([]app.Patient, error)
	Patient(ctx context.Context, id string) (app.Patient, error)
}

// Bookings is what they need of the session's front desk (app/frontdesk):
// registration, appointments, working hours and the day's list.
type Bookings interface {
	Register(ctx context.Context, p app.Patient, notADuplicate bool) (app.Patient, error)
	UpdatePatient(ctx context.Context, p app.Patient) (app.Patient, error)
	PatientHistory(ctx context.Context, id string) ([]desk.PatientChange, error)
	PatientAppointments(ctx context.Context, patient string) ([]desk.Appointment, error)

	Physicians() ([]desk.Physician, error)
	Availability(ctx context.Context, physician string) (desk.Availability, error)
	SetAvailability(ctx context.Context, av desk.Availability) error
	SetDayOff(ctx context.Context, physician, date string, off bool) error
	DaySchedule(ctx context.Context, physicians []string, day time.Time) ([]desk.PhysicianDay, error)
	FrontDeskDay(ctx context.Context, day time.Time) (desk.DeskDay, error)
	Book(ctx context.Context, a desk.Appointment) (desk.Appointment, error)
	PatientClashes(ctx context.Context, a desk.Appointment) ([]desk.Appointment, error)
	ClinicCountry(ctx context.Context) (desk.Country, bool, error)
	SetClinicCountry(ctx context.Context, code string) error
	BookSeries(ctx context.Context, a desk.Appointment, rc desk.Recurrence) ([]desk.Appointment, error)
	Reschedule(ctx context.Context, id string, start time.Time, minutes int, overbook bool) (desk.Appointment, error)
	RescheduleSeries(ctx context.Context, id string, start time.Time, minutes int, overbook bool) ([]desk.Appointment, error)
	Cancel(ctx context.Context, id, reason string) (desk.Appointment, error)
	CancelSeries(ctx context.Context, id, reason string) (int, error)
	CheckIn(ctx context.Context, id string) (desk.Appointment, error)
	MarkNoShow(ctx context.Context, id string) (desk.Appointment, error)
	UndoCheckIn(ctx context.Context, id string) (desk.Appointment, error)
}

var (
	_ Session  = (*app.Session)(nil)
	_ Bookings = (*desk.Service)(nil)
)

// deskOf is a session with its front desk (kit.FrontDeskOf) and its
// interop service (kit.InteropOf); false when it has no front desk.
// Interop is nil when it has no interop service.
func deskOf(s Session) (Desk, bool) {
	b, ok := kit.FrontDeskOf[Bookings](s)
	x, _ := kit.InteropOf[Interop](s)
	return struct {
		Session
		Bookings
		Interop
	}{s, b, x}, ok
}

// env is what every screen shares: the desk, the window, the clock, and
// how work leaves the UI goroutine (tests run it in place).
type env struct {
	d   Desk
	win fyne.Window
	now func() time.Time
	// inline runs work and done on the calling goroutine (tests);
	// otherwise work runs in a goroutine and done comes back through
	// kit.OnUI.
	inline bool
	// save and open replace the file dialogs (tests); nil: Fyne's dialogs.
	save kit.Saver
	open kit.Opener
	// confirm, when set, answers the desk's questions (tests); nil: a
	// dialog asks.
	confirm func(title, question string, yes func())
	// transfers is set when the session has an interop service (the
	// screens that move records in and out need it).
	transfers bool
	// held, when set (tests, with inline), keeps the answers of do's
	// work until the test runs them: what a screen does while an answer
	// is on its way, as on a real workstation.
	held *[]func()
}

// newEnv is the screens' env of a session; false when the session has no
// front desk (the shell then shows its placeholder).
func newEnv(s Session, w fyne.Window) (env, bool) {
	d, ok := deskOf(s)
	_, transfers := kit.InteropOf[Interop](s)
	return env{d: d, win: w, now: time.Now, transfers: transfers}, ok
}

// do runs work off the UI goroutine with a deadline, then done on it
// (kit.Background).
func do[T any](e env, work func(context.Context) (T, error), done func(T, error)) {
	var v T
	var err error
	answer := func() { done(v, err) }
	if e.held != nil {
		answer = func() { *e.held = append(*e.held, func() { done(v, err) }) }
	}
	kit.Background(e.inline, 30*time.Second, func(ctx context.Context) { v, err = work(ctx) }, answer)
}

// run runs work off the UI goroutine with a deadline, then done on it
// (kit.Background): the colleagues.Runner of the desk's screens.
func (e env) run(work func(context.Context), done func()) {
	kit.Background(e.inline, 30*time.Second, work, done)
}

// zone asks for the clinic's time zone (the computer's when it cannot).
func (e env) zone() *time.Location {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if z, err := e.d.ClinicZone(ctx); err == nil {
		return z
	}
	return time.Local
}

// isRefusal reports whether err is a booking rule the desk may overrule
// by overbooking.
func isRefusal(err error) bool {
	return errors.Is(err, desk.ErrSlotTaken) || errors.Is(err, desk.ErrOutsideHours)
}

// note is a wrapping label for messages and hints.
func note(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// bold is a label in bold.
func bold(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// tint is a rounded coloured block behind content: a badge or a slot.
func tint(color fyne.ThemeColorName, content fyne.CanvasObject) fyne.CanvasObject {
	bg := canvas.NewRectangle(theme.Color(color))
	bg.CornerRadius = 4
	return container.NewStack(bg, content)
}

// dayTitle is a day as the desk reads it: "Monday 2 November 2026".
func dayTitle(t time.Time) string { return t.Format("Monday 2 January 2006") }

// dateOnly is local midnight of t's date in zone.
func dateOnly(t time.Time, zone *time.Location) time.Time {
	t = t.In(zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, zone)
}

// parseClock reads "9:30" or "09:30" on day (in its zone).
func parseClock(day time.Time, s string) (time.Time, bool) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), 0, 0, day.Location()), true
}

// statusText is how a list shows an appointment's status.
func statusText(a desk.Appointment) string {
	var tags []string
	switch a.Status {
	case desk.StatusArrived:
		tags = append(tags, "Checked in "+a.Arrived.In(a.Start.Location()).Format("15:04"))
	case desk.StatusCancelled:
		tags = append(tags, "Cancelled: "+a.CancelReason)
	case desk.StatusNoShow:
		tags = append(tags, "No-show")
	case chart.StatusInVisit: // the physician started the visit (app/chart)
		tags = append(tags, "In visit")
	case chart.StatusSeen:
		tags = append(tags, "Seen")
	}
	if a.Overbooked {
		tags = append(tags, "Overbooked")
	}
	if a.Conflict {
		tags = append(tags, "CONFLICT: double-booked from two desks")
	}
	if a.Series != "" {
		tags = append(tags, "Repeats")
	}
	return strings.Join(tags, " · ")
}
