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

	"github.com/medihaven/medihaven/app/chart"
	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit"
)

// appointmentPanel shows one appointment with what the desk can do to it.
type appointmentPanel struct {
	s  *appointmentsScreen
	id string
	a  desk.Appointment

	heading, info         *widget.Label
	checkIn, noShow       *widget.Button
	undoIn                *widget.Button // shown while checked in
	undone                bool           // the check-in was undone here, since the panel opened
	dayE, startE, minE    *kit.Entry
	overbook, moveSeries  *widget.Check
	move                  *widget.Button
	reason                *kit.Entry
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
	p.checkIn = widget.NewButtonWithIcon("Check in", theme.ConfirmIcon(), p.askCheckIn)
	p.checkIn.Importance = widget.HighImportance
	p.noShow = widget.NewButton("No-show", func() {
		p.act("Marked as a no-show.", func(ctx context.Context) error { _, err := s.d.MarkNoShow(ctx, p.id); return err })
	})
	p.undoIn = widget.NewButtonWithIcon("Undo check-in", theme.ContentUndoIcon(), func() {
		p.act("Check-in undone: the appointment is booked again.", func(ctx context.Context) error {
			_, err := s.d.UndoCheckIn(ctx, p.id)
			return err
		}, func() { p.undone = true })
	})
	p.undoIn.Hide()
	p.dayE, p.startE, p.minE = newDateField(""), kit.NewEntry(), kit.NewEntry()
	p.overbook = widget.NewCheck("Overbook on purpose", nil)
	p.moveSeries = widget.NewCheck("Also move the later ones of the series", nil)
	p.move = widget.NewButtonWithIcon("Move", theme.MailForwardIcon(), p.reschedule)
	p.reason = kit.NewEntry()
	p.reason.SetPlaceHolder("Why is it cancelled? (required)")
	p.cancelSeries = widget.NewCheck("Also cancel the later ones of the series", nil)
	p.cancel = widget.NewButtonWithIcon("Cancel appointment", theme.CancelIcon(), p.cancelIt)
	p.cancel.Importance = widget.DangerImportance
	// Enter in a field presses its section's button, as in the desk's
	// other forms: under Xvfb Enter after a new start time did nothing.
	for _, e := range []*kit.Entry{p.dayE, p.startE, p.minE} {
		e.OnSubmitted = func(string) { p.reschedule() }
	}
	p.reason.OnSubmitted = func(string) { p.cancelIt() }
	// The message sits under Check in / Undo check-in and keeps a line
	// shown or not, so that "Checked in." does not push the buttons away
	// from a second quick click (Undo check-in).
	p.message = note("")
	p.moveBox = container.NewVBox(bold("Reschedule"), container.New(layout.NewFormLayout(),
		widget.NewLabel("Day"), p.dayE, widget.NewLabel("Start"), p.startE, widget.NewLabel("Minutes"), p.minE),
		p.overbook, p.moveSeries, p.move)
	p.cancelBox = container.NewVBox(bold("Cancel"), p.reason, p.cancelSeries, p.cancel)
	close := widget.NewButton("Close", s.showHint)
	p.content = widget.NewCard("", "", container.NewVBox(p.heading, p.info, container.NewHBox(p.checkIn, p.undoIn, p.noShow), p.message,
		widget.NewSeparator(), p.moveBox, widget.NewSeparator(), p.cancelBox, close))
	return p
}

// open shows appointment id.
func (p *appointmentPanel) open(id string) {
	p.id, p.undone = id, false
	p.message.SetText("")
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
	if p.undone && (a.Status == chart.StatusInVisit || a.Status == chart.StatusSeen) {
		// The panel said "Check-in undone", and a sync brought the
		// physician's Start visit, written before she saw the undo: the
		// visit stands on every workstation (records.AppointmentFromState).
		p.undone = false
		p.say(visitStartedHere, widget.WarningImportance)
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
	st := statusText(a)
	if st == "" && a.Status == desk.StatusBooked {
		// a line that "Checked in 11:02" takes, so the buttons stay put
		st = "Not checked in yet"
	}
	if st != "" {
		info += "\n" + st
	}
	if b := bookedText(a, p.s.zone); b != "" {
		info += "\n" + b
	}
	p.info.SetText(info)
	if entries {
		p.dayE.SetText(dayText(start))
		p.startE.SetText(start.Format("15:04"))
		p.minE.SetText(strconv.Itoa(a.Minutes))
	}
	booked := a.Status == desk.StatusBooked
	setEnabled(p.checkIn, booked || a.Status == desk.StatusNoShow)
	setEnabled(p.noShow, booked)
	setEnabled(p.move, booked)
	setEnabled(p.cancel, booked || a.Status == desk.StatusNoShow)
	if a.Status == desk.StatusArrived { // a mistaken check-in is taken back until the visit starts
		p.checkIn.Hide() // in its place: the panel keeps its width
		p.undoIn.Show()
	} else {
		p.undoIn.Hide()
		p.checkIn.Show()
	}
	if a.Series != "" {
		p.moveSeries.Show()
		p.cancelSeries.Show()
	} else {
		p.moveSeries.Hide()
		p.cancelSeries.Hide()
	}
}

// visitStartedHere is what the panel says when the visit started while
// the desk was changing the appointment.
const visitStartedHere = "The visit has started; it cannot be undone here. The patient is with the physician."

// askCheckIn checks the patient in; an appointment of another day asks
// first (under Xvfb a Monday appointment looked at on Saturday was checked
// in by one tap, and Check in, No-show, Move and Cancel were then all
// greyed out). Undo check-in takes it back until the visit starts.
func (p *appointmentPanel) askCheckIn() {
	id := p.id
	checkIn := func() {
		p.act("Checked in.", func(ctx context.Context) error { _, err := p.s.d.CheckIn(ctx, id); return err })
	}
	start := p.a.Start.In(p.s.zone)
	if dateOnly(start, p.s.zone).Equal(dateOnly(p.s.now(), p.s.zone)) {
		checkIn()
		return
	}
	const title = "Check in for another day?"
	question := fmt.Sprintf("%s's appointment is on %s, not today: "+
		"check them in only if they are here now for it.", p.a.PatientName, start.Format("Monday 2 January"))
	if p.s.confirm != nil { // tests answer themselves
		p.s.confirm(title, question, checkIn)
		return
	}
	kit.Confirm{Title: title, Message: question, Yes: "Check in anyway", No: "Don't check in", Back: p.checkIn,
		Answer: func(ok bool) {
			if ok {
				checkIn()
			}
		}}.Show(p.s.win)
}

// bookedText says who booked a and when, as far as it is known.
func bookedText(a desk.Appointment, zone *time.Location) string {
	when := ""
	if !a.BookedAt.IsZero() {
		when = " on " + a.BookedAt.In(zone).Format("Mon 2 Jan 2006 at 15:04")
	}
	switch {
	case a.BookedByName != "":
		return "Booked by " + a.BookedByName + when
	case when != "":
		return "Booked" + when
	}
	return ""
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

// act runs one change of the appointment and says how it went; then runs
// on the UI's goroutine after a success.
func (p *appointmentPanel) act(done string, work func(context.Context) error, then ...func()) {
	do(p.s.env, func(ctx context.Context) (struct{}, error) { return struct{}{}, work(ctx) }, func(_ struct{}, err error) {
		switch {
		case isRefusal(err):
			p.say(kit.ErrorText(err)+".\n\nTick “Overbook on purpose” to move it anyway.", widget.WarningImportance)
		case err != nil:
			p.say(kit.ErrorText(err), widget.DangerImportance)
		default:
			p.say(done, widget.SuccessImportance)
			for _, f := range then {
				f()
			}
			p.s.refresh()
		}
	})
}

func (p *appointmentPanel) reschedule() {
	day, ok := parseDay(p.dayE.Text, p.s.zone)
	start, ok2 := parseClock(day, p.startE.Text)
	minutes, err := strconv.Atoi(strings.TrimSpace(p.minE.Text))
	if !ok || !ok2 || err != nil {
		p.say("Write the day "+howToWrite()+", the start as HH:MM and the minutes as a number.", widget.DangerImportance)
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
