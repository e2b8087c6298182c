package physician

import (
	"context"
	"io"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/interop"
	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// Clinic is what the physician's screens need: the session's use cases,
// its chart and prescribing, its front desk and its interop service.
type Clinic interface {
	Session
	Charts
	Prescribing
	Interop
	Days
}

// Session is what the physician's screens need of a logged-in session.
type Session interface {
	StaffName() string
	Fingerprint() string
	OnChange(fn func([]app.Changed)) (stop func())

	SearchPatients(ctx context.Context, query string, limit int) ([]app.Patient, error)
	Colleagues
}

// Colleagues is what the Colleagues screen, and the note of a physician
// who waits for a colleague's confirmation, need of the session
// (app/colleagues.go).
type Colleagues interface {
	Colleagues() ([]app.Colleague, error)
	ConfirmColleague(ctx context.Context, fingerprint, code string) error
	AwaitingColleague() bool
}

// Charts is what they need of the session's chart (app/chart).
type Charts interface {
	OpenChart(ctx context.Context, patientID string) (chart.Chart, error)
	RefreshChart(ctx context.Context, c chart.Chart) (chart.Chart, error)
	StartVisit(ctx context.Context, appointmentID string, anotherDay bool) (chart.Encounter, error)
	FinishVisit(ctx context.Context, encounterID string) (chart.Encounter, error)
	WriteNote(ctx context.Context, n chart.Note) (chart.Note, error)
	AddAddendum(ctx context.Context, of, text string) (chart.Addendum, error)
	RecordVitals(ctx context.Context, v chart.Vitals) (chart.Vitals, error)
	AddProblem(ctx context.Context, p chart.Problem) (chart.Problem, error)
	SetProblemStatus(ctx context.Context, id, status, date string) error
	AddAllergy(ctx context.Context, a chart.Allergy) (chart.Allergy, error)
	RemoveAllergy(ctx context.Context, id string) error
	RecordNoKnownAllergies(ctx context.Context, patientID string) (chart.NoneKnown, error)
	AddMedication(ctx context.Context, m chart.Medication) (chart.Medication, error)
	StopMedication(ctx context.Context, id string) error
}

// Prescribing is what they need of the session's prescribing
// (app/prescribing).
type Prescribing interface {
	Formulary() (*prescribing.Formulary, error)
	CheckPrescription(ctx context.Context, p prescribing.Prescription) ([]prescribing.Warning, error)
	Prescribe(ctx context.Context, p prescribing.Prescription) (prescribing.Prescription, error)
	CancelPrescription(ctx context.Context, id, reason string) error
	RenewPrescription(ctx context.Context, id string, overrides []prescribing.Warning) (prescribing.Prescription, error)
	PrescriptionPDF(ctx context.Context, id string, use prescribing.PDFUse) ([]byte, error)
	RecentPrescriptions(ctx context.Context, limit int) ([]prescribing.Prescription, error)
	VerifyPrescription(ctx context.Context, code string) (prescribing.Prescription, error)
}

// Interop is what they need of the session's interop service
// (app/interop): the calendar as iCalendar, and the transfers of records.
type Interop interface {
	ExportCalendarICS(ctx context.Context, w io.Writer, o interop.ICSOptions) (int, error)
	kit.Transfers
	kit.FHIRPreviewer
	OutsideRecords(ctx context.Context, patientID string) (interop.Outside, error)
}

// Days is what they need of the session's front desk (app/frontdesk):
// the physician's own days.
type Days interface {
	Calendar(ctx context.Context, physician string, day time.Time) ([]records.Appointment, error)
}

// clinicOf is a session with its chart (kit.ChartOf), prescribing
// (kit.PrescribingOf), front desk (kit.FrontDeskOf) and interop service
// (kit.InteropOf), or false when it lacks one.
func clinicOf(s Session) (Clinic, bool) {
	ch, okChart := kit.ChartOf[Charts](s)
	rx, okRx := kit.PrescribingOf[Prescribing](s)
	x, ok := kit.InteropOf[Interop](s)
	d, okDays := kit.FrontDeskOf[Days](s)
	return struct {
		Session
		Charts
		Prescribing
		Interop
		Days
	}{s, ch, rx, x, d}, ok && okDays && okChart && okRx
}

// build is a screen of a session, or nil (the shell's placeholder) when
// the session has no interop service.
func build(s Session, w fyne.Window, content func(*screen) fyne.CanvasObject) fyne.CanvasObject {
	c, ok := clinicOf(s)
	if !ok {
		return nil
	}
	return content(newScreen(c, w))
}

// screen is what every physician screen shares: the session, the window,
// how work runs off the UI goroutine, and how a PDF is saved.
type screen struct {
	c   Clinic
	win fyne.Window
	// inline runs work and done on the calling goroutine (tests);
	// otherwise work runs in a goroutine and done comes back through
	// kit.OnUI.
	inline bool
	// chooseSave asks the physician where to save a file (a save
	// dialog); tests replace it.
	chooseSave kit.SaveChooser
	// files saves exports and opens imports (dialogs); tests replace
	// its Save and Open.
	files kit.Files
	now   func() time.Time
	// print sends a PDF file to the printer (lp); tests replace it.
	print printer
	// toColleagues opens the Colleagues section (the shell's
	// navigation); nil where the screen is not in a shell.
	toColleagues func()
}

// newScreen is a physician's screen; making one (at login) also removes
// what a crashed print left behind (sweepSpool).
func newScreen(c Clinic, w fyne.Window) *screen {
	sweepSpool(spoolBase(), time.Now())
	s := &screen{c: c, win: w, now: time.Now, print: lp}
	s.chooseSave = kit.ChooseSaveDialog(w)
	s.files = kit.NewFiles(w, s.do)
	return s
}

// do runs work off the UI goroutine, then done on it (kit.Background).
func (s *screen) do(work func(ctx context.Context), done func()) {
	kit.Background(s.inline, time.Minute, work, done)
}

// onClinicalChange calls refresh on the UI goroutine (kit.OnUI) after
// every change that may alter what a physician's screen shows, until stop.
func (s *screen) onClinicalChange(refresh func()) (stop func()) {
	return s.c.OnChange(func(ch []app.Changed) {
		if clinicalChange(ch) {
			kit.OnUI(refresh)
		}
	})
}

// clinicalChange reports whether a change may alter what a physician's
// screen shows (audit records, written on every chart opening, do not).
func clinicalChange(ch []app.Changed) bool {
	for _, x := range ch {
		if x.Scope == string(roles.Clinical) || x.Scope == string(roles.FrontDesk) {
			return true
		}
	}
	return false
}

// feedback is a label that says how the last action went. Screens place
// its Label, never the feedback itself: Fyne keys a widget's renderer by
// the object it is given, so a placed wrapper gets a renderer of its own
// that the window draws while SetText updates the label's (the chart's
// status line kept drawing its first message that way).
type feedback struct{ *widget.Label }

func newFeedback() feedback {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return feedback{l}
}

func (f feedback) ok(msg string) {
	f.Importance = widget.SuccessImportance
	f.SetText(msg)
	f.Show()
}

// warn says something the user may want to act on (not an error).
func (f feedback) warn(msg string) {
	f.Importance = widget.WarningImportance
	f.SetText(msg)
	f.Show()
}

func (f feedback) fail(err error) {
	f.Importance = widget.DangerImportance
	f.SetText(kit.ErrorText(err))
	f.Show()
}

func (f feedback) clear() { f.Hide() }

// windowHeight keeps its object as tall as the window allows under the
// shell's bars (so a chart's header stays on screen while its tabs
// scroll), and never shorter than min.
type windowHeight struct {
	win      fyne.Window
	chrome   float32 // the shell's bars and the page heading above
	min      float32
	minWidth float32
}

func (l windowHeight) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := l.min
	if l.win != nil && l.win.Canvas() != nil {
		if wh := l.win.Canvas().Size().Height - l.chrome; wh > h {
			h = wh
		}
	}
	return fyne.NewSize(l.minWidth, h)
}

func (l windowHeight) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

// bold is a bold label.
func bold(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// wrapped is a label that wraps words.
func wrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// quiet is a low-importance wrapped label, for hints.
func quiet(s string) *widget.Label {
	l := wrapped(s)
	l.Importance = widget.LowImportance
	return l
}

// day formats a date the way a clinic reads it.
func day(t time.Time) string { return t.Local().Format("Mon 2 Jan 2006") }

// stamp formats a time of day with its date.
func stamp(t time.Time) string { return t.Local().Format("2 Jan 2006 15:04") }
