package frontdesk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/chart"
	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit"
)

// panelWidth is the width of the booking and appointment panel.
const panelWidth = 320

// appointmentsScreen shows several physicians' days side by side and books,
// moves, cancels and checks in appointments.
type appointmentsScreen struct {
	loads kit.Newest // only the newest load draws (kit.Latest)
	env
	zone *time.Location
	day  time.Time // local midnight

	dayEntry   *kit.Entry
	dayTitle   *widget.Label
	prev, next *widget.Button
	today      *widget.Button
	who        *widget.CheckGroup
	physicians []desk.Physician
	columns    *fyne.Container
	status     *widget.Label
	schedule   []desk.PhysicianDay

	panel   *fyne.Container
	booking *bookingForm
	detail  *appointmentPanel

	// The week view shows one physician's week (week.go).
	mode   *kit.Radio
	weekOf *kit.TypeSelect
	whoRow *fyne.Container
}

// NewAppointments builds the Appointments screen.
func NewAppointments(s Session, w fyne.Window) fyne.CanvasObject {
	e, ok := newEnv(s, w)
	if !ok {
		return nil
	}
	return newAppointments(e).content()
}

func newAppointments(e env) *appointmentsScreen {
	s := &appointmentsScreen{env: e, zone: e.zone()}
	s.day = dateOnly(s.now(), s.zone)
	s.dayEntry = newDateField("")
	s.dayEntry.OnSubmitted = func(text string) {
		if d, ok := parseDay(text, s.zone); ok {
			s.show(d)
		} else {
			s.status.SetText(fmt.Sprintf("%q is not a day: write it %s.", text, howToWrite()))
		}
	}
	s.dayTitle = bold("")
	s.dayTitle.SizeName = theme.SizeNameSubHeadingText
	s.prev = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { s.show(s.day.AddDate(0, 0, -s.step())) })
	s.next = widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { s.show(s.day.AddDate(0, 0, s.step())) })
	s.today = widget.NewButton("Today", func() { s.show(dateOnly(s.now(), s.zone)) })
	s.status = widget.NewLabel("")
	s.status.Wrapping = fyne.TextWrapWord
	s.columns = container.NewGridWithColumns(1)
	ps, err := e.d.Physicians()
	if err != nil {
		s.status.SetText("The physicians cannot be listed: " + kit.ErrorText(err))
	}
	s.physicians = ps
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	s.who = widget.NewCheckGroup(names, func([]string) { s.refresh() })
	s.who.Horizontal = true
	s.who.Selected = append([]string(nil), names...)
	s.newWeekView(names)
	s.booking = newBookingForm(s)
	s.detail = newAppointmentPanel(s)
	s.panel = container.NewStack()
	s.showHint()
	s.show(s.day)
	return s
}

func (s *appointmentsScreen) content() fyne.CanvasObject {
	nav := container.NewHBox(s.prev, kit.AtLeast(170, 0, s.dayEntry), s.next, s.today, s.dayTitle)
	legend := container.NewHBox(legendItem("Free", widget.LowImportance), legendItem("Booked", widget.MediumImportance),
		legendItem("Checked in or seen", widget.SuccessImportance), legendItem("Overbooked", widget.WarningImportance),
		legendItem("Conflict", widget.DangerImportance), legendItem("Past", widget.LowImportance, true))
	top := container.NewVBox(nav, s.whoRow, legend, s.status)
	right := kit.AtLeast(panelWidth, 0, s.panel)
	// The days scroll rather than widen the window.
	body := container.NewBorder(nil, nil, nil, container.NewHBox(widget.NewSeparator(), right), container.NewHScroll(s.columns))
	return kit.Live(container.NewBorder(top, nil, nil, nil, body), kit.OnChanges(s.d, s.refresh, "appointment", "availability", "patient"))
}

func legendItem(text string, imp widget.Importance, disabled ...bool) fyne.CanvasObject {
	b := widget.NewButton(text, nil)
	b.Importance = imp
	if len(disabled) > 0 && disabled[0] {
		b.Disable()
	}
	return b
}

// show switches to day.
func (s *appointmentsScreen) show(day time.Time) {
	s.day = dateOnly(day, s.zone)
	s.dayEntry.SetText(dayText(s.day))
	s.dayTitle.SetText(dayTitle(s.day))
	if s.weekly() {
		s.dayTitle.SetText("Week of " + dayTitle(weekStart(s.day)))
	}
	s.refresh()
}

// chosen returns the fingerprints of the ticked physicians.
func (s *appointmentsScreen) chosen() []string {
	var out []string
	for _, p := range s.physicians {
		for _, n := range s.who.Selected {
			if n == p.Name {
				out = append(out, p.Fingerprint)
			}
		}
	}
	return out
}

func (s *appointmentsScreen) refresh() {
	if s.weekly() {
		s.refreshWeek()
		return
	}
	fps, day := s.chosen(), s.day
	if len(fps) == 0 {
		s.loads.Begin() // a load still on its way no longer draws
		s.schedule = nil
		s.columns.Objects = []fyne.CanvasObject{note("Tick one or more physicians to see their day.")}
		s.columns.Refresh()
		return
	}
	do(s.env, func(ctx context.Context) ([]desk.PhysicianDay, error) {
		return s.d.DaySchedule(ctx, fps, day)
	}, kit.Latest(&s.loads, func(days []desk.PhysicianDay, err error) {
		if err != nil {
			s.status.SetText("The calendar cannot be read: " + kit.ErrorText(err))
			return
		}
		if !day.Equal(s.day) {
			return // the desk moved on to another day meanwhile
		}
		s.schedule = days
		conflicts := 0
		cols := make([]fyne.CanvasObject, 0, len(days))
		for _, pd := range days {
			cols = append(cols, s.column(pd, pd.Physician.Name, day))
			for _, a := range pd.Appointments {
				if a.Conflict {
					conflicts++
				}
			}
		}
		s.columns.Layout = layout.NewGridLayoutWithColumns(len(cols))
		s.columns.Objects = cols
		s.columns.Refresh()
		switch {
		case conflicts > 0:
			s.status.SetText(fmt.Sprintf("%d appointments were booked over each other from two desks that had not seen each other's booking (marked Conflict). Move or cancel one of each pair.", conflicts))
			s.status.Importance = widget.DangerImportance
		default:
			s.status.SetText("Tap a free slot to book it, or an appointment to check in, move or cancel it.")
			s.status.Importance = widget.LowImportance
		}
		s.status.Refresh()
		s.detail.reload()
	}))
}

// column draws one physician's day under title (their name, or the day in
// the week view).
func (s *appointmentsScreen) column(pd desk.PhysicianDay, title string, day time.Time) fyne.CanvasObject {
	free, taken := 0, 0
	for _, sl := range pd.Slots {
		if sl.Free() {
			free++
		}
	}
	for _, a := range pd.Appointments {
		if a.Status != desk.StatusCancelled {
			taken++
		}
	}
	name := bold(title)
	var hours string
	switch {
	case pd.DayOff:
		hours = "Day off"
	case !pd.Availability.Set:
		hours = "Hours not set: any time bookable"
	case len(pd.Availability.Week[day.Weekday()]) == 0:
		hours = "Not working on " + day.Weekday().String() + "s"
	default:
		hours = desk.FormatHours(pd.Availability.Week[day.Weekday()])
	}
	sub := widget.NewLabel(fmt.Sprintf("%s\n%d-min slots · %d booked · %d free", hours, pd.Availability.SlotMinutes, taken, free))
	sub.Importance = widget.LowImportance
	rows := []fyne.CanvasObject{name, sub}
	// A closed day offers the physician's next working day, as the
	// physician's Calendar does (a Saturday said "Not working on
	// Saturdays" and nothing more).
	if next, ok := nextWorkingDay(pd.Availability, day); ok && !s.weekly() && taken == 0 && free == 0 {
		show := widget.NewButtonWithIcon("Show "+next.Format("Monday 2 January"), theme.NavigateNextIcon(), func() { s.show(next) })
		show.IconPlacement = widget.ButtonIconTrailingText
		rows = append(rows, container.NewHBox(show))
	}
	now := s.now()
	for _, sl := range pd.Slots {
		if len(sl.Appointments) == 0 {
			if sl.Working {
				rows = append(rows, s.freeRow(pd.Physician, sl, now))
			}
			continue
		}
		for _, a := range sl.Appointments {
			rows = append(rows, s.appointmentRow(sl, a))
		}
	}
	var cancelled []string
	for _, a := range pd.Appointments {
		if a.Status == desk.StatusCancelled {
			cancelled = append(cancelled, a.Start.In(s.zone).Format("15:04")+" "+short(a.PatientName, 20))
		}
	}
	if len(cancelled) > 0 {
		c := note("Cancelled: " + strings.Join(cancelled, ", "))
		c.Importance = widget.LowImportance
		rows = append(rows, c)
	}
	return container.NewVBox(rows...)
}

// nextWorkingDay is the first day after day (within a week) on which av
// has working hours; false when its hours are not set or it has none.
func nextWorkingDay(av desk.Availability, day time.Time) (time.Time, bool) {
	if !av.Set {
		return time.Time{}, false
	}
	for k := 1; k <= 7; k++ {
		d := day.AddDate(0, 0, k)
		if len(av.Week[d.Weekday()]) > 0 {
			return d, true
		}
	}
	return time.Time{}, false
}

// freeRow is a slot without appointments: a button that books it, or,
// once it has begun, a greyed row that offers nothing.
func (s *appointmentsScreen) freeRow(p desk.Physician, sl desk.Slot, now time.Time) fyne.CanvasObject {
	clock := sl.Start.In(s.zone).Format("15:04")
	if sl.Start.Before(now) {
		b := widget.NewButton(clock+"   Past", nil)
		b.Alignment = widget.ButtonAlignLeading
		b.Disable()
		return b
	}
	b := widget.NewButtonWithIcon(clock+"   Free", theme.ContentAddIcon(), func() {
		s.booking.start(p, sl.Start, int(sl.End.Sub(sl.Start)/time.Minute))
	})
	b.Alignment = widget.ButtonAlignLeading
	b.Importance = widget.LowImportance
	return b
}

// appointmentRow is an appointment in a slot: at its own start time where
// it starts (marked when that is off the slot grid or the working hours),
// and as a continuation, with an icon, in the later slots it fills.
func (s *appointmentsScreen) appointmentRow(sl desk.Slot, a desk.Appointment) fyne.CanvasObject {
	var b *widget.Button
	n := 22 // the week view's seven columns are narrower
	if s.weekly() {
		n = 12
	}
	if sl.Starts(a) {
		label := a.Start.In(s.zone).Format("15:04") + "   " + short(a.PatientName, n)
		switch {
		case sl.OffGrid(a):
			label += "  · off-grid"
		case !sl.Working:
			label += "  · off hours"
		}
		b = widget.NewButton(label, func() { s.detail.open(a.ID) })
	} else {
		label := sl.Start.In(s.zone).Format("15:04") + "   " + short(a.PatientName, n-6) + " until " + a.End().In(s.zone).Format("15:04")
		b = widget.NewButtonWithIcon(label, theme.MoreVerticalIcon(), func() { s.detail.open(a.ID) })
	}
	b.Alignment = widget.ButtonAlignLeading
	b.Importance = importanceOf(a)
	return b
}

func importanceOf(a desk.Appointment) widget.Importance {
	switch {
	case a.Conflict:
		return widget.DangerImportance
	case a.Overbooked:
		return widget.WarningImportance
	case a.Status == desk.StatusArrived, a.Status == chart.StatusInVisit, a.Status == chart.StatusSeen:
		return widget.SuccessImportance
	}
	return widget.MediumImportance
}

func short(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (s *appointmentsScreen) showPanel(o fyne.CanvasObject) {
	s.panel.Objects = []fyne.CanvasObject{o}
	s.panel.Refresh()
}

func (s *appointmentsScreen) showHint() {
	h := note("Tap a free slot to book it.\n\nTap an appointment to check the patient in, mark a no-show, move it or cancel it.\n\nA slot can hold two patients only when you overbook on purpose; it is then shown as overbooked on every workstation.")
	h.Importance = widget.LowImportance
	s.showPanel(widget.NewCard("", "", h))
}
