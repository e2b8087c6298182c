package physician

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/internal/marks"
	"github.com/medihaven/medihaven/ui/kit"
)

// Calendar views.
const (
	viewDay  = "Day"
	viewWeek = "Week"
)

func parseDay(s string) (time.Time, error) {
	return time.ParseInLocation("2006-01-02", strings.TrimSpace(s), time.Local)
}

// typedDay reads a day the physician typed, as the workstation writes
// dates (Settings) or as YYYY-MM-DD; its error says how to write one.
func typedDay(s string) (time.Time, error) { return kit.ParseDate(s, time.Local) }

// dayPlaceholder is what a field for a day shows while empty: the
// workstation's way of writing dates (Settings).
func dayPlaceholder() string { return kit.CurrentDateFormat().Placeholder() }

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Local().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.Local)
}

// startOfWeek is the Monday of t's week.
func startOfWeek(t time.Time) time.Time {
	d := startOfDay(t)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// calendarScreen shows the physician's own appointments by day or week;
// opening one shows the chart in its place (Start visit is there).
type calendarScreen struct {
	loads kit.Newest // only the newest load draws
	*screen
	view      string
	date      time.Time // the day shown, or a day of the week shown
	title     *widget.Label
	dateEntry *kit.Entry
	viewPick  *kit.Radio
	body      *fyne.Container
	fb        feedback
	stack     *fyne.Container
	calendar  fyne.CanvasObject
	chart     *chartView
	days      map[string][]records.Appointment
	nextDay   time.Time // in the day view of an empty day: the next day with an appointment, if one is near
	opening   bool
	exportBtn *widget.Button
	ics       *icsDialog // the calendar export dialog last opened
}

// NewCalendar builds the physician's calendar: day and week views of
// their own appointments with status; today, previous, next, go to date.
// Opening an appointment opens the chart, where Start visit starts it. A
// booking made at the front desk appears as soon as it syncs. While the
// physician waits for a colleague's confirmation a note above says so,
// with a button that runs toColleagues (nil: none).
func NewCalendar(s Session, w fyne.Window, toColleagues func()) fyne.CanvasObject {
	return build(s, w, func(sc *screen) fyne.CanvasObject {
		sc.toColleagues = toColleagues
		cs := newCalendar(sc)
		return kit.WithUnsaved(cs.stack, cs.unsaved)
	})
}

func newCalendar(s *screen) *calendarScreen {
	cs := &calendarScreen{screen: s, view: viewDay, date: startOfDay(s.now())}
	cs.title = bold("")
	cs.title.SizeName = theme.SizeNameSubHeadingText
	cs.dateEntry = kit.NewEntry()
	cs.dateEntry.SetPlaceHolder(dayPlaceholder())
	cs.dateEntry.OnSubmitted = func(string) { cs.goTo() }
	cs.viewPick = kit.NewRadio([]string{viewDay, viewWeek}, func(v string) {
		if v != "" && v != cs.view {
			cs.view = v
			cs.load()
		}
	})
	cs.viewPick.Horizontal = true
	cs.viewPick.SetSelected(viewDay)
	cs.fb = newFeedback()
	prev := widget.NewButtonWithIcon("Previous", theme.NavigateBackIcon(), func() { cs.step(-1) })
	next := widget.NewButtonWithIcon("Next", theme.NavigateNextIcon(), func() { cs.step(1) })
	next.IconPlacement = widget.ButtonIconTrailingText
	today := widget.NewButton("Today", func() { cs.date = startOfDay(cs.now()); cs.load() })
	goBtn := widget.NewButton("Go to date", cs.goTo)
	bar := container.NewHBox(prev, today, next, widget.NewSeparator(), cs.viewPick, widget.NewSeparator(),
		kit.AtLeast(130, 0, cs.dateEntry), goBtn)
	cs.exportBtn = widget.NewButtonWithIcon("Export calendar…", theme.DocumentSaveIcon(), cs.exportCalendar)
	cs.body = container.NewVBox()
	head := container.NewBorder(nil, nil, nil, cs.exportBtn, cs.title)
	cs.calendar = kit.Live(container.NewVBox(s.awaitingNote(), bar, head, cs.fb.Label, cs.body), func() func() {
		return s.onClinicalChange(func() {
			if cs.chart == nil {
				cs.load()
			}
		})
	})
	cs.stack = container.NewStack(cs.calendar)
	cs.load()
	return cs
}

func (cs *calendarScreen) step(n int) {
	if cs.view == viewWeek {
		cs.date = cs.date.AddDate(0, 0, 7*n)
	} else {
		cs.date = cs.date.AddDate(0, 0, n)
	}
	cs.load()
}

func (cs *calendarScreen) goTo() {
	d, err := typedDay(cs.dateEntry.Text)
	if err != nil {
		cs.fb.fail(err)
		return
	}
	cs.fb.clear()
	cs.date = d
	cs.load()
}

// shownDays are the days of the current view.
func (cs *calendarScreen) shownDays() []time.Time {
	if cs.view == viewDay {
		return []time.Time{cs.date}
	}
	first := startOfWeek(cs.date)
	out := make([]time.Time, 7)
	for i := range out {
		out[i] = first.AddDate(0, 0, i)
	}
	return out
}

// load reads the shown days' appointments and draws them.
func (cs *calendarScreen) load() {
	days := cs.shownDays()
	if cs.view == viewDay {
		cs.title.SetText(days[0].Format("Monday 2 January 2006"))
	} else {
		cs.title.SetText(fmt.Sprintf("Week of %s – %s", days[0].Format("2 Jan"), days[6].Format("2 Jan 2006")))
	}
	got := map[string][]records.Appointment{}
	var err error
	var nextDay time.Time
	me := cs.c.Fingerprint()
	newest := cs.loads.Begin()
	cs.do(func(ctx context.Context) {
		for _, d := range days {
			var as []records.Appointment
			if as, err = cs.c.Calendar(ctx, me, d); err != nil {
				return
			}
			got[d.Format("2006-01-02")] = as
		}
		if cs.view == viewDay && !hasBooked(got[days[0].Format("2006-01-02")]) {
			nextDay, err = cs.nextBookedDay(ctx, days[0])
		}
	}, func() {
		if !newest() {
			return // a later load draws
		}
		if err != nil {
			cs.fb.fail(err)
			return
		}
		cs.days, cs.nextDay = got, nextDay
		if cs.view == viewDay {
			cs.drawDay(days[0])
		} else {
			cs.drawWeek(days)
		}
		marks.Shown("Calendar") // the window benchmark's home mark (internal/marks)
	})
}

// statusText says what became of an appointment at now in the clinic's
// words (chart.VisitState), with the importance it is drawn with.
func statusText(a records.Appointment, now time.Time) (string, widget.Importance) {
	if a.Conflict && a.Status != records.StatusCancelled {
		return "Overlaps another appointment", widget.WarningImportance
	}
	switch st := chart.VisitState(a, now); st {
	case "Arrived":
		if !a.Arrived.IsZero() {
			return "Arrived " + a.Arrived.Local().Format("15:04"), widget.SuccessImportance
		}
		return st, widget.SuccessImportance
	case "In visit":
		return st, widget.HighImportance
	case "Seen":
		return st, widget.SuccessImportance
	case "Cancelled", "No-show":
		return st, widget.LowImportance
	case "Not seen":
		return st, widget.WarningImportance
	default:
		return st, widget.MediumImportance
	}
}

func patientName(a records.Appointment) string {
	if a.PatientName != "" {
		return a.PatientName
	}
	return "Patient"
}

func (cs *calendarScreen) drawDay(d time.Time) {
	cs.body.Objects = nil
	as := cs.days[d.Format("2006-01-02")]
	if len(as) == 0 {
		cs.body.Add(quiet("No appointments on this day."))
	}
	if !cs.nextDay.IsZero() {
		next := cs.nextDay
		show := widget.NewButtonWithIcon("Show "+next.Format("Monday 2 January"), theme.NavigateNextIcon(), func() {
			cs.date = next
			cs.load()
		})
		show.IconPlacement = widget.ButtonIconTrailingText
		cs.body.Add(quiet(fmt.Sprintf("Your next appointments are on %s.", next.Format("Monday 2 January"))))
		cs.body.Add(container.NewHBox(show)) // its own row: a wrapping label beside it would have no width
	}
	for _, a := range as {
		a := a
		when := bold(fmt.Sprintf("%s–%s", a.Start.Local().Format("15:04"), a.End().Local().Format("15:04")))
		who := bold(patientName(a))
		detail := widget.NewLabel(fmt.Sprintf("MRN %s · %s", orDash(a.PatientMRN), orDash(a.Reason)))
		st, imp := statusText(a, cs.now())
		status := widget.NewLabel(st)
		status.Importance = imp
		open := widget.NewButtonWithIcon("Open chart", theme.FolderOpenIcon(), func() { cs.open(a) })
		open.Importance = widget.HighImportance
		if a.Status == records.StatusCancelled {
			open.Disable()
		}
		row := container.NewBorder(nil, nil, kit.AtLeast(110, 0, when), container.NewHBox(status, open),
			container.NewHBox(who, detail))
		cs.body.Add(row)
		cs.body.Add(widget.NewSeparator())
	}
	cs.body.Refresh()
}

// nextSearchDays is how far ahead an empty day looks for the next day
// with appointments: a long weekend or a holiday, not a sabbatical.
const nextSearchDays = 21

// hasBooked says whether as holds an appointment still to be seen
// (cancelled ones and no-shows leave the day free).
func hasBooked(as []records.Appointment) bool {
	for _, a := range as {
		if a.Status != records.StatusCancelled && a.Status != records.StatusNoShow {
			return true
		}
	}
	return false
}

// nextBookedDay is the first day after d, within nextSearchDays, with an
// appointment of this physician's not cancelled; zero when none is that
// near. One indexed read a day, only when the day shown is free.
func (cs *calendarScreen) nextBookedDay(ctx context.Context, d time.Time) (time.Time, error) {
	me := cs.c.Fingerprint()
	for i := 1; i <= nextSearchDays; i++ {
		day := d.AddDate(0, 0, i)
		as, err := cs.c.Calendar(ctx, me, day)
		if err != nil {
			return time.Time{}, err
		}
		if hasBooked(as) {
			return day, nil
		}
	}
	return time.Time{}, nil
}

func (cs *calendarScreen) drawWeek(days []time.Time) {
	cs.body.Objects = nil
	cols := container.NewGridWithColumns(7)
	today := startOfDay(cs.now())
	for _, d := range days {
		col := container.NewVBox()
		head := bold(d.Format("Mon 2 Jan"))
		if d.Equal(today) {
			head.Importance = widget.HighImportance // today, in the accent colour
		}
		col.Add(head)
		as := cs.days[d.Format("2006-01-02")]
		if len(as) == 0 {
			col.Add(quiet("—"))
		}
		for _, a := range as {
			a := a
			col.Add(cs.chip(a))
		}
		cols.Add(col)
	}
	legend := quiet("Today's date is in colour. A green tick: arrived · an orange mark: overlaps another appointment · greyed: cancelled or no-show. Tap an appointment to open the chart; start the visit there.")
	cs.body.Add(legend)
	cs.body.Add(cols)
	cs.body.Refresh()
}

// chip is one appointment in a week column: its time and patient, cut
// to the column's width, coloured by status; tapping it opens the chart.
func (cs *calendarScreen) chip(a records.Appointment) fyne.CanvasObject {
	_, imp := statusText(a, cs.now())
	b := widget.NewButton("", func() { cs.open(a) })
	if a.Status == records.StatusCancelled || a.Status == records.StatusNoShow {
		b.Disable()
	}
	l := widget.NewLabel(fmt.Sprintf("%s %s", a.Start.Local().Format("15:04"), shortName(patientName(a))))
	l.Truncation = fyne.TextTruncateEllipsis
	l.Importance = imp
	var mark fyne.CanvasObject
	switch imp {
	case widget.SuccessImportance:
		mark = widget.NewIcon(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
	case widget.WarningImportance:
		mark = widget.NewIcon(theme.NewWarningThemedResource(theme.WarningIcon()))
	}
	return container.NewStack(b, container.NewBorder(nil, nil, mark, nil, l))
}

// shortName keeps a "Family, Given" name short enough for a week column:
// "Family, G.".
func shortName(n string) string {
	fam, given, ok := strings.Cut(n, ",")
	given = strings.TrimSpace(given)
	if !ok || given == "" {
		return n
	}
	return fmt.Sprintf("%s, %s.", fam, string([]rune(given)[:1]))
}

// unsaved is what the chart open on the calendar would lose (the shell
// asks before it swaps the section away).
func (cs *calendarScreen) unsaved() string {
	if cs.chart == nil {
		return ""
	}
	return cs.chart.unsaved()
}

// open shows the patient's chart of an appointment, with Start visit:
// opening starts nothing.
func (cs *calendarScreen) open(a records.Appointment) {
	if cs.opening {
		return
	}
	cs.opening = true
	defer func() { cs.opening = false }()
	cs.chart = cs.newChartView(a.Patient, &a, "Back to calendar", func() {
		if v := cs.chart; v != nil && v.encounter != nil {
			// Said plainly: otherwise the calendar shows "In visit" with
			// nothing saying the physician left it open.
			cs.fb.warn(fmt.Sprintf("The visit with %s is still open: the calendar shows \"In visit\" until you open the chart and Finish visit.", v.name.Text))
		} else {
			cs.fb.clear()
		}
		cs.chart = nil
		cs.stack.Objects = []fyne.CanvasObject{cs.calendar}
		cs.stack.Refresh()
		cs.load()
	})
	cs.stack.Objects = []fyne.CanvasObject{cs.chart.content}
	cs.stack.Refresh()
}
