package frontdesk

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit"
)

// panelWidth is the width of the booking and appointment panel.
const panelWidth = 320

// appointmentsScreen shows several physicians' days side by side and books,
// moves, cancels and checks in appointments.
type appointmentsScreen struct {
	env
	zone *time.Location
	day  time.Time // local midnight

	dayEntry   *widget.Entry
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
	s.dayEntry = widget.NewEntry()
	s.dayEntry.SetPlaceHolder("YYYY-MM-DD")
	s.dayEntry.OnSubmitted = func(text string) {
		if d, ok := parseDay(text, s.zone); ok {
			s.show(d)
		} else {
			s.status.SetText(fmt.Sprintf("%q is not a day: write it as YYYY-MM-DD.", text))
		}
	}
	s.dayTitle = bold("")
	s.dayTitle.SizeName = theme.SizeNameSubHeadingText
	s.prev = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { s.show(s.day.AddDate(0, 0, -1)) })
	s.next = widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { s.show(s.day.AddDate(0, 0, 1)) })
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
	s.booking = newBookingForm(s)
	s.detail = newAppointmentPanel(s)
	s.panel = container.NewStack()
	s.showHint()
	s.show(s.day)
	return s
}

func (s *appointmentsScreen) content() fyne.CanvasObject {
	nav := container.NewHBox(s.prev, kit.AtLeast(130, 0, s.dayEntry), s.next, s.today, s.dayTitle)
	legend := container.NewHBox(legendItem("Free", widget.LowImportance), legendItem("Booked", widget.MediumImportance),
		legendItem("Checked in", widget.SuccessImportance), legendItem("Overbooked", widget.WarningImportance),
		legendItem("Conflict", widget.DangerImportance))
	top := container.NewVBox(nav, container.NewHBox(widget.NewLabel("Physicians:"), s.who), legend, s.status)
	right := kit.AtLeast(panelWidth, 0, s.panel)
	body := container.NewBorder(nil, nil, nil, container.NewHBox(widget.NewSeparator(), right), s.columns)
	return kit.Live(container.NewBorder(top, nil, nil, nil, body), kit.OnChanges(s.d, s.refresh, "appointment", "availability", "patient"))
}

func legendItem(text string, imp widget.Importance) fyne.CanvasObject {
	b := widget.NewButton(text, nil)
	b.Importance = imp
	return b
}

// show switches to day.
func (s *appointmentsScreen) show(day time.Time) {
	s.day = dateOnly(day, s.zone)
	s.dayEntry.SetText(s.day.Format("2006-01-02"))
	s.dayTitle.SetText(dayTitle(s.day))
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
	fps, day := s.chosen(), s.day
	if len(fps) == 0 {
		s.schedule = nil
		s.columns.Objects = []fyne.CanvasObject{note("Tick one or more physicians to see their day.")}
		s.columns.Refresh()
		return
	}
	do(s.env, func(ctx context.Context) ([]desk.PhysicianDay, error) {
		return s.d.DaySchedule(ctx, fps, day)
	}, func(days []desk.PhysicianDay, err error) {
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
			cols = append(cols, s.column(pd))
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
	})
}

// column draws one physician's day.
func (s *appointmentsScreen) column(pd desk.PhysicianDay) fyne.CanvasObject {
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
	name := bold(pd.Physician.Name)
	var hours string
	switch {
	case pd.DayOff:
		hours = "Day off"
	case !pd.Availability.Set:
		hours = "Hours not set: any time bookable"
	case len(pd.Availability.Week[s.day.Weekday()]) == 0:
		hours = "Not working on " + s.day.Weekday().String() + "s"
	default:
		hours = desk.FormatHours(pd.Availability.Week[s.day.Weekday()])
	}
	sub := widget.NewLabel(fmt.Sprintf("%s\n%d-min slots · %d booked · %d free", hours, pd.Availability.SlotMinutes, taken, free))
	sub.Importance = widget.LowImportance
	rows := []fyne.CanvasObject{name, sub}
	shown := map[string]bool{}
	for _, sl := range pd.Slots {
		sl := sl
		clock := sl.Start.In(s.zone).Format("15:04")
		if len(sl.Appointments) == 0 {
			if sl.Working {
				b := widget.NewButtonWithIcon(clock+"   Free", theme.ContentAddIcon(), func() { s.booking.start(pd.Physician, sl.Start, int(sl.End.Sub(sl.Start)/time.Minute)) })
				b.Alignment = widget.ButtonAlignLeading
				b.Importance = widget.LowImportance
				rows = append(rows, b)
			}
			continue
		}
		for _, a := range sl.Appointments {
			a := a
			label := clock + "   " + short(a.PatientName, 22)
			if shown[a.ID] {
				label = clock + "   ↳ " + short(a.PatientName, 18) + " (cont.)"
			} else if !sl.Working {
				label += " (off hours)"
			}
			shown[a.ID] = true
			b := widget.NewButton(label, func() { s.detail.open(a.ID) })
			b.Alignment = widget.ButtonAlignLeading
			b.Importance = importanceOf(a)
			rows = append(rows, b)
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

func importanceOf(a desk.Appointment) widget.Importance {
	switch {
	case a.Conflict:
		return widget.DangerImportance
	case a.Overbooked:
		return widget.WarningImportance
	case a.Status == desk.StatusArrived:
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

// repeatChoices are the choices of the booking form's repeat selector.
var repeatChoices = []string{"Does not repeat", "Every week", "Every 2 weeks", "Every 3 weeks", "Every 4 weeks"}

// bookingForm books a patient into a slot.
type bookingForm struct {
	s         *appointmentsScreen
	physician desk.Physician
	patient   app.Patient

	heading        *widget.Label
	query          *widget.Entry
	matches        *widget.List
	found          []app.Patient
	chosen         *widget.Label
	seq            int
	dayE, startE   *widget.Entry
	minutesE       *widget.Entry
	reason         *widget.Entry
	repeat         *widget.Select
	times, until   *widget.Entry
	overbook       *widget.Check
	book           *widget.Button
	message        *widget.Label
	content        fyne.CanvasObject
	physicianNames *widget.Select
}

func newBookingForm(s *appointmentsScreen) *bookingForm {
	f := &bookingForm{s: s}
	f.heading = bold("Book an appointment")
	f.heading.Wrapping = fyne.TextWrapWord
	f.query = widget.NewEntry()
	f.query.SetPlaceHolder("Patient: name, birth date, phone or MRN")
	f.query.OnChanged = func(string) { f.search() }
	f.matches = widget.NewList(func() int { return len(f.found) }, func() fyne.CanvasObject {
		l := widget.NewLabel("Family, Given — born 1984-03-27")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}, func(i widget.ListItemID, o fyne.CanvasObject) {
		p := f.found[i]
		o.(*widget.Label).SetText(fmt.Sprintf("%s — born %s, %s", p.Name(), p.Birth, p.MRN))
	})
	f.matches.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(f.found) {
			f.choose(f.found[i])
		}
	}
	f.chosen = widget.NewLabel("No patient chosen yet.")
	f.chosen.Wrapping = fyne.TextWrapWord
	var names []string
	for _, p := range s.physicians {
		names = append(names, p.Name)
	}
	f.physicianNames = widget.NewSelect(names, func(n string) {
		for _, p := range s.physicians {
			if p.Name == n {
				f.physician = p
			}
		}
	})
	f.dayE, f.startE, f.minutesE = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	f.dayE.SetPlaceHolder("YYYY-MM-DD")
	f.startE.SetPlaceHolder("HH:MM")
	f.reason = widget.NewEntry()
	f.reason.SetPlaceHolder("Reason for the visit")
	f.times, f.until = widget.NewEntry(), widget.NewEntry()
	f.times.SetPlaceHolder("how many times")
	f.until.SetPlaceHolder("or until YYYY-MM-DD")
	f.repeat = widget.NewSelect(repeatChoices, func(c string) {
		if c == repeatChoices[0] {
			f.times.Disable()
			f.until.Disable()
		} else {
			f.times.Enable()
			f.until.Enable()
		}
	})
	f.repeat.SetSelected(repeatChoices[0])
	f.overbook = widget.NewCheck("Overbook on purpose", nil)
	f.book = widget.NewButtonWithIcon("Book", theme.ConfirmIcon(), f.submit)
	f.book.Importance = widget.HighImportance
	cancel := widget.NewButton("Close", s.showHint)
	f.message = note("")
	f.message.Hide()
	form := container.New(layout.NewFormLayout(),
		widget.NewLabel("Physician"), f.physicianNames,
		widget.NewLabel("Day"), f.dayE,
		widget.NewLabel("Start"), container.NewGridWithColumns(2, f.startE, container.NewBorder(nil, nil, nil, widget.NewLabel("min"), f.minutesE)),
		widget.NewLabel("Reason"), f.reason,
		widget.NewLabel("Repeat"), f.repeat,
		widget.NewLabel(""), container.NewGridWithColumns(2, f.times, f.until),
	)
	// The outcome shows under the heading, where it is seen without
	// scrolling; Enter in the reason or times books.
	for _, e := range []*widget.Entry{f.reason, f.startE, f.minutesE, f.dayE} {
		e.OnSubmitted = func(string) { f.submit() }
	}
	f.content = widget.NewCard("", "", container.NewVBox(f.heading, f.message, f.query, kit.AtLeast(0, 110, f.matches), f.chosen,
		form, f.overbook, container.NewHBox(f.book, cancel)))
	return f
}

// start opens the form on a slot.
func (f *bookingForm) start(p desk.Physician, start time.Time, minutes int) {
	f.physician = p
	f.physicianNames.SetSelected(p.Name)
	start = start.In(f.s.zone)
	f.heading.SetText("Book with " + p.Name) // day and time are in the form, where the desk may change them
	f.dayE.SetText(start.Format("2006-01-02"))
	f.startE.SetText(start.Format("15:04"))
	f.minutesE.SetText(strconv.Itoa(minutes))
	f.reason.SetText("")
	f.overbook.SetChecked(false)
	f.repeat.SetSelected(repeatChoices[0])
	f.times.SetText("")
	f.until.SetText("")
	f.message.Hide()
	f.s.showPanel(f.content)
	f.s.win.Canvas().Focus(f.query)
}

func (f *bookingForm) choose(p app.Patient) {
	f.patient = p
	f.chosen.SetText(fmt.Sprintf("Patient: %s, born %s (%s)", p.Name(), p.Birth, p.MRN))
	f.chosen.Importance = widget.SuccessImportance
	f.chosen.Refresh()
}

func (f *bookingForm) search() {
	q := strings.TrimSpace(f.query.Text)
	f.seq++
	seq := f.seq
	if q == "" {
		f.found = nil
		f.matches.Refresh()
		return
	}
	do(f.s.env, func(ctx context.Context) ([]app.Patient, error) {
		return f.s.d.SearchPatients(ctx, q, 20)
	}, func(ps []app.Patient, err error) {
		if seq != f.seq {
			return
		}
		f.found = ps
		f.matches.UnselectAll()
		f.matches.Refresh()
		if len(ps) == 1 {
			f.choose(ps[0])
		}
	})
}

func (f *bookingForm) say(text string, imp widget.Importance) {
	f.message.SetText(text)
	f.message.Importance = imp
	f.message.Show()
	f.message.Refresh()
}

// appointment reads the form into an appointment and, if it repeats, a
// recurrence; ok false says what is wrong.
func (f *bookingForm) appointment() (desk.Appointment, *desk.Recurrence, bool) {
	day, ok := parseDay(f.dayE.Text, f.s.zone)
	if !ok {
		f.say("Write the day as YYYY-MM-DD.", widget.DangerImportance)
		return desk.Appointment{}, nil, false
	}
	start, ok := parseClock(day, f.startE.Text)
	if !ok {
		f.say("Write the start as HH:MM, e.g. 09:30.", widget.DangerImportance)
		return desk.Appointment{}, nil, false
	}
	minutes, err := strconv.Atoi(strings.TrimSpace(f.minutesE.Text))
	if err != nil || minutes <= 0 {
		f.say("Write how many minutes the appointment lasts, e.g. 15.", widget.DangerImportance)
		return desk.Appointment{}, nil, false
	}
	if f.patient.ID == "" {
		f.say("Find and choose the patient first.", widget.DangerImportance)
		return desk.Appointment{}, nil, false
	}
	a := desk.Appointment{Patient: f.patient.ID, Physician: f.physician.Fingerprint, Start: start, Minutes: minutes,
		Reason: f.reason.Text, Overbooked: f.overbook.Checked}
	i := 0
	for n, c := range repeatChoices {
		if c == f.repeat.Selected {
			i = n
		}
	}
	if i == 0 {
		return a, nil, true
	}
	rc := &desk.Recurrence{EveryWeeks: i}
	if t := strings.TrimSpace(f.times.Text); t != "" {
		if rc.Count, err = strconv.Atoi(t); err != nil || rc.Count < 1 {
			f.say("Write how many times it repeats as a number, e.g. 6.", widget.DangerImportance)
			return desk.Appointment{}, nil, false
		}
	}
	if u := strings.TrimSpace(f.until.Text); u != "" {
		if rc.Until, ok = parseDay(u, f.s.zone); !ok {
			f.say("Write the last day as YYYY-MM-DD.", widget.DangerImportance)
			return desk.Appointment{}, nil, false
		}
	}
	return a, rc, true
}

func (f *bookingForm) submit() {
	a, rc, ok := f.appointment()
	if !ok {
		return
	}
	f.book.Disable()
	do(f.s.env, func(ctx context.Context) (int, error) {
		if rc != nil {
			as, err := f.s.d.BookSeries(ctx, a, *rc)
			return len(as), err
		}
		_, err := f.s.d.Book(ctx, a)
		return 1, err
	}, func(n int, err error) {
		f.book.Enable()
		switch {
		case isRefusal(err):
			f.say(kit.ErrorText(err)+".\nTo keep both, tick “Overbook on purpose” below and book again.", widget.WarningImportance)
			f.overbook.Show()
		case err != nil:
			f.say("Not booked: "+kit.ErrorText(err), widget.DangerImportance)
		default:
			msg := fmt.Sprintf("Booked %s with %s on %s.", f.patient.Name(), f.physician.Name, a.Start.In(f.s.zone).Format("Mon 2 Jan at 15:04"))
			if n > 1 {
				msg = fmt.Sprintf("Booked %d appointments of %s with %s, from %s.", n, f.patient.Name(), f.physician.Name, a.Start.In(f.s.zone).Format("Mon 2 Jan at 15:04"))
			}
			f.say(msg, widget.SuccessImportance)
			f.s.refresh()
		}
	})
}

// appointmentPanel shows one appointment with what the desk can do to it.
type appointmentPanel struct {
	s  *appointmentsScreen
	id string
	a  desk.Appointment

	heading, info         *widget.Label
	checkIn, noShow       *widget.Button
	dayE, startE, minE    *widget.Entry
	overbook, moveSeries  *widget.Check
	move                  *widget.Button
	reason                *widget.Entry
	cancelSeries          *widget.Check
	cancel                *widget.Button
	message               *widget.Label
	content               fyne.CanvasObject
	moveBox, cancelBox    *fyne.Container
	seriesMove, seriesCan fyne.CanvasObject
}

func newAppointmentPanel(s *appointmentsScreen) *appointmentPanel {
	p := &appointmentPanel{s: s}
	p.heading = bold("")
	p.heading.Wrapping = fyne.TextWrapWord
	p.info = note("")
	p.checkIn = widget.NewButtonWithIcon("Check in", theme.ConfirmIcon(), func() {
		p.act("Checked in.", func(ctx context.Context) error { _, err := s.d.CheckIn(ctx, p.id); return err })
	})
	p.checkIn.Importance = widget.HighImportance
	p.noShow = widget.NewButton("No-show", func() {
		p.act("Marked as a no-show.", func(ctx context.Context) error { _, err := s.d.MarkNoShow(ctx, p.id); return err })
	})
	p.dayE, p.startE, p.minE = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	p.overbook = widget.NewCheck("Overbook on purpose", nil)
	p.moveSeries = widget.NewCheck("Also move the later ones of the series", nil)
	p.move = widget.NewButtonWithIcon("Move", theme.MailForwardIcon(), p.reschedule)
	p.reason = widget.NewEntry()
	p.reason.SetPlaceHolder("Why is it cancelled? (required)")
	p.cancelSeries = widget.NewCheck("Also cancel the later ones of the series", nil)
	p.cancel = widget.NewButtonWithIcon("Cancel appointment", theme.CancelIcon(), p.cancelIt)
	p.cancel.Importance = widget.DangerImportance
	p.message = note("")
	p.message.Hide()
	p.moveBox = container.NewVBox(bold("Reschedule"), container.New(layout.NewFormLayout(),
		widget.NewLabel("Day"), p.dayE, widget.NewLabel("Start"), p.startE, widget.NewLabel("Minutes"), p.minE),
		p.overbook, p.moveSeries, p.move)
	p.cancelBox = container.NewVBox(bold("Cancel"), p.reason, p.cancelSeries, p.cancel)
	close := widget.NewButton("Close", s.showHint)
	p.content = widget.NewCard("", "", container.NewVBox(p.heading, p.info, p.message, container.NewHBox(p.checkIn, p.noShow),
		widget.NewSeparator(), p.moveBox, widget.NewSeparator(), p.cancelBox, close))
	return p
}

// open shows appointment id.
func (p *appointmentPanel) open(id string) {
	p.id = id
	p.message.Hide()
	p.reason.SetText("")
	p.overbook.SetChecked(false)
	p.moveSeries.SetChecked(false)
	p.cancelSeries.SetChecked(false)
	p.fill(true)
	p.s.showPanel(p.content)
}

// reload redraws the open appointment after the day changed.
func (p *appointmentPanel) reload() {
	if p.id != "" && len(p.s.panel.Objects) > 0 && p.s.panel.Objects[0] == p.content {
		p.fill(false)
	}
}

func (p *appointmentPanel) fill(entries bool) {
	var a desk.Appointment
	found := false
	for _, pd := range p.s.schedule {
		for _, x := range pd.Appointments {
			if x.ID == p.id {
				a, found = x, true
			}
		}
	}
	if !found {
		return
	}
	p.a = a
	physician := ""
	for _, ph := range p.s.physicians {
		if ph.Fingerprint == a.Physician {
			physician = ph.Name
		}
	}
	start := a.Start.In(p.s.zone)
	p.heading.SetText(fmt.Sprintf("%s (%s)", a.PatientName, a.PatientMRN))
	info := fmt.Sprintf("%s, %s–%s with %s\nReason: %s", start.Format("Mon 2 Jan"), start.Format("15:04"),
		a.End().In(p.s.zone).Format("15:04"), physician, orText(a.Reason, "—"))
	if st := statusText(a); st != "" {
		info += "\n" + st
	}
	p.info.SetText(info)
	if entries {
		p.dayE.SetText(start.Format("2006-01-02"))
		p.startE.SetText(start.Format("15:04"))
		p.minE.SetText(strconv.Itoa(a.Minutes))
	}
	booked := a.Status == desk.StatusBooked
	setEnabled(p.checkIn, booked || a.Status == desk.StatusNoShow)
	setEnabled(p.noShow, booked)
	setEnabled(p.move, booked)
	setEnabled(p.cancel, booked || a.Status == desk.StatusNoShow)
	if a.Series != "" {
		p.moveSeries.Show()
		p.cancelSeries.Show()
	} else {
		p.moveSeries.Hide()
		p.cancelSeries.Hide()
	}
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func (p *appointmentPanel) say(text string, imp widget.Importance) {
	p.message.SetText(text)
	p.message.Importance = imp
	p.message.Show()
	p.message.Refresh()
}

// act runs one change of the appointment and says how it went.
func (p *appointmentPanel) act(done string, work func(context.Context) error) {
	do(p.s.env, func(ctx context.Context) (struct{}, error) { return struct{}{}, work(ctx) }, func(_ struct{}, err error) {
		switch {
		case isRefusal(err):
			p.say(kit.ErrorText(err)+".\n\nTick “Overbook on purpose” to move it anyway.", widget.WarningImportance)
		case err != nil:
			p.say(kit.ErrorText(err), widget.DangerImportance)
		default:
			p.say(done, widget.SuccessImportance)
			p.s.refresh()
		}
	})
}

func (p *appointmentPanel) reschedule() {
	day, ok := parseDay(p.dayE.Text, p.s.zone)
	start, ok2 := parseClock(day, p.startE.Text)
	minutes, err := strconv.Atoi(strings.TrimSpace(p.minE.Text))
	if !ok || !ok2 || err != nil {
		p.say("Write the day as YYYY-MM-DD, the start as HH:MM and the minutes as a number.", widget.DangerImportance)
		return
	}
	series, over := p.moveSeries.Visible() && p.moveSeries.Checked, p.overbook.Checked
	p.act("Moved to "+start.Format("Mon 2 Jan at 15:04")+".", func(ctx context.Context) error {
		if series {
			_, err := p.s.d.RescheduleSeries(ctx, p.id, start, minutes, over)
			return err
		}
		_, err := p.s.d.Reschedule(ctx, p.id, start, minutes, over)
		return err
	})
}

func (p *appointmentPanel) cancelIt() {
	reason := p.reason.Text
	if strings.TrimSpace(reason) == "" {
		p.say("Say why it is cancelled first (e.g. “patient called, unwell”).", widget.DangerImportance)
		p.s.win.Canvas().Focus(p.reason)
		return
	}
	series := p.cancelSeries.Visible() && p.cancelSeries.Checked
	p.act("Cancelled.", func(ctx context.Context) error {
		if series {
			_, err := p.s.d.CancelSeries(ctx, p.id, reason)
			return err
		}
		_, err := p.s.d.Cancel(ctx, p.id, reason)
		return err
	})
}
