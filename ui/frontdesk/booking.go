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

// repeatChoices are the choices of the booking form's repeat selector.
var repeatChoices = []string{"Does not repeat", "Every week", "Every 2 weeks", "Every 3 weeks", "Every 4 weeks"}

// bookingForm books a patient into a slot.
type bookingForm struct {
	s         *appointmentsScreen
	physician desk.Physician
	patient   app.Patient

	heading        *widget.Label
	query          *kit.Entry
	matches        *widget.List
	found          []app.Patient
	chosen         *widget.Label
	seq            int
	dayE, startE   *kit.Entry
	minutesE       *kit.Entry
	reason         *kit.Entry
	repeat         *kit.TypeSelect
	times, until   *kit.Entry
	overbook       *widget.Check
	book           *widget.Button
	message        *widget.Label
	content        fyne.CanvasObject
	physicianNames *kit.TypeSelect
}

func newBookingForm(s *appointmentsScreen) *bookingForm {
	f := &bookingForm{s: s}
	f.heading = bold("Book an appointment")
	f.heading.Wrapping = fyne.TextWrapWord
	f.query = kit.NewEntry()
	f.query.SetPlaceHolder("Patient: name, birth date, phone or MRN")
	f.query.OnChanged = func(string) { f.search() }
	f.matches = widget.NewList(func() int { return len(f.found) }, func() fyne.CanvasObject {
		l := widget.NewLabel("Family, Given — born 1984-03-27")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}, func(i widget.ListItemID, o fyne.CanvasObject) {
		p := f.found[i]
		o.(*widget.Label).SetText(fmt.Sprintf("%s — born %s, %s", p.Name(), kit.DayText(p.Birth), p.MRN))
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
	f.physicianNames = kit.NewTypeSelect(names, func(n string) {
		for _, p := range s.physicians {
			if p.Name == n {
				f.physician = p
			}
		}
	})
	f.dayE, f.startE, f.minutesE = newDateField(""), kit.NewEntry(), kit.NewEntry()
	f.startE.SetPlaceHolder("HH:MM")
	f.reason = kit.NewEntry()
	f.reason.SetPlaceHolder("Reason for the visit")
	f.times, f.until = kit.NewEntry(), newDateField("(last day)")
	f.times.SetPlaceHolder("how many times")
	f.repeat = kit.NewTypeSelect(repeatChoices, func(c string) {
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
	// scrolling; Enter in the reason or times books, and on a pick list.
	for _, e := range []*kit.Entry{f.reason, f.startE, f.minutesE, f.dayE} {
		e.OnSubmitted = func(string) { f.submit() }
	}
	f.physicianNames.OnSubmitted, f.repeat.OnSubmitted = f.submit, f.submit
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
	f.dayE.SetText(dayText(start))
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
	f.chosen.SetText(fmt.Sprintf("Patient: %s, born %s (%s)", p.Name(), kit.DayText(p.Birth), p.MRN))
	f.chosen.Importance = widget.SuccessImportance
	f.chosen.Refresh()
}

func (f *bookingForm) search() {
	q := strings.TrimSpace(f.query.Text)
	c, _ := f.s.country()
	f.seq++
	seq := f.seq
	if q == "" {
		f.found = nil
		f.matches.Refresh()
		return
	}
	do(f.s.env, func(ctx context.Context) ([]app.Patient, error) {
		return f.s.d.SearchPatients(ctx, searchText(q, c), 20)
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
		f.say("Write the day "+howToWrite()+".", widget.DangerImportance)
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
			f.say("Write the last day "+howToWrite()+".", widget.DangerImportance)
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
	names := map[string]string{}
	for _, p := range f.s.physicians {
		names[p.Fingerprint] = p.Name
	}
	beforeBooking(f.s.env, a, f.patient.Name(), names, f.book, func() { f.save(a, rc) })
}

// save books a (and its series), once the desk has answered any question.
func (f *bookingForm) save(a desk.Appointment, rc *desk.Recurrence) {
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
