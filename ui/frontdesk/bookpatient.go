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

	"github.com/medihaven/medihaven/app"
	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit"
)

// quickBooking books the patient of an open record from the Patients
// screen: a physician, a day and one of that day's free times (those not
// begun), a reason. It asks what the grid's booking asks (beforeBooking).
type quickBooking struct {
	loads      kit.Newest // only the newest load draws (kit.Latest)
	e          env
	patient    app.Patient
	physicians []desk.Physician
	zone       *time.Location

	who     *kit.TypeSelect
	dayE    *kit.Entry
	times   *kit.TypeSelect
	free    []desk.Slot
	reason  *kit.Entry
	book    *widget.Button
	message *widget.Label
	content fyne.CanvasObject
	// booked, when set, hears of each booking (the record's list reloads).
	booked func()
}

func newQuickBooking(e env, p app.Patient) *quickBooking {
	q := &quickBooking{e: e, patient: p, zone: e.zone()}
	ps, err := e.d.Physicians()
	q.physicians = ps
	names := make([]string, 0, len(ps))
	for _, ph := range ps {
		names = append(names, ph.Name)
	}
	q.message = note("")
	q.who = kit.NewTypeSelect(names, func(string) { q.loadTimes(true) })
	q.who.PlaceHolder = "Choose a physician"
	q.dayE = newDateField("")
	q.dayE.SetText(dayText(dateOnly(e.now(), q.zone)))
	q.dayE.OnChanged = func(string) { q.loadTimes(true) }
	q.times = kit.NewTypeSelect(nil, nil)
	q.times.PlaceHolder = pickTimeFirst
	q.reason = kit.NewEntry()
	q.reason.SetPlaceHolder("Reason for the visit")
	q.reason.OnSubmitted = func(string) { q.submit() } // Enter books, as in every other form of the desk
	q.who.OnSubmitted, q.times.OnSubmitted = q.submit, q.submit
	q.book = widget.NewButtonWithIcon("Book", theme.ConfirmIcon(), q.submit)
	q.book.Importance = widget.HighImportance
	if err != nil {
		q.say("The physicians cannot be listed: "+kit.ErrorText(err), widget.DangerImportance)
	}
	form := container.New(layout.NewFormLayout(),
		widget.NewLabel("Physician"), q.who,
		widget.NewLabel("Day"), q.dayE,
		widget.NewLabel("Time"), q.times,
		widget.NewLabel("Reason"), q.reason)
	q.content = kit.AtLeast(440, 0, container.NewVBox(bold(fmt.Sprintf("%s · %s", p.Name(), p.MRN)), form, q.message, q.book))
	return q
}

// show opens the booking in a dialog over the Patients screen; back (the
// record's "Book appointment…") gets the keyboard when it closes.
func (q *quickBooking) show(back fyne.Focusable) {
	kit.Notice{Title: "Book appointment", Close: "Close", Content: q.content, Back: back}.Show(q.e.win)
	q.e.win.Canvas().Focus(q.who) // Tab, Space, the arrows and Enter book without the pointer
}

func (q *quickBooking) physician() (desk.Physician, bool) {
	for _, p := range q.physicians {
		if p.Name == q.who.Selected {
			return p, true
		}
	}
	return desk.Physician{}, false
}

func (q *quickBooking) say(text string, imp widget.Importance) {
	q.message.Importance = imp
	q.message.SetText(text)
}

// loadTimes lists the chosen physician's free times on the chosen day;
// tell says how many there are.
func (q *quickBooking) loadTimes(tell bool) {
	p, ok := q.physician()
	day, okDay := parseDay(q.dayE.Text, q.zone)
	q.free = nil
	q.times.Options = nil
	q.times.ClearSelected()
	q.times.PlaceHolder = pickTimeFirst
	if !ok || !okDay {
		q.loads.Begin() // a load still on its way no longer draws
		q.times.Refresh()
		return
	}
	do(q.e, func(ctx context.Context) ([]desk.PhysicianDay, error) {
		return q.e.d.DaySchedule(ctx, []string{p.Fingerprint}, day)
	}, kit.Latest(&q.loads, func(days []desk.PhysicianDay, err error) {
		if err != nil || len(days) != 1 {
			q.say("The day cannot be read: "+kit.ErrorText(err), widget.DangerImportance)
			return
		}
		now := q.e.now()
		for _, sl := range days[0].Slots {
			if sl.Free() && !sl.Start.Before(now) {
				q.free = append(q.free, sl)
				q.times.Options = append(q.times.Options, fmt.Sprintf("%s (%d min)", sl.Start.In(q.zone).Format("15:04"), int(sl.End.Sub(sl.Start)/time.Minute)))
			}
		}
		q.times.PlaceHolder = "Choose a time"
		if len(q.free) == 0 {
			q.times.PlaceHolder = noTimeFree
		}
		q.times.Refresh()
		switch {
		case !tell:
		case len(q.free) == 0 && days[0].DayOff:
			q.say(p.Name+" is off that day.", widget.WarningImportance)
		case len(q.free) == 0:
			q.say(fmt.Sprintf("%s has no free time left on %s.", p.Name, dayTitle(day)), widget.WarningImportance)
		default:
			q.say(fmt.Sprintf("%s free on %s.", kit.Count(len(q.free), "time", "times"), dayTitle(day)), widget.LowImportance)
		}
	}))
}

// The Time pick's hint before a physician and a day are chosen, and once
// none of their times is free.
const (
	pickTimeFirst = "Choose a physician and a day"
	noTimeFree    = "No free time that day"
)

// submit books the chosen time, after beforeBooking's questions.
func (q *quickBooking) submit() {
	p, ok := q.physician()
	i := q.times.SelectedIndex()
	switch {
	case q.times.PlaceHolder == noTimeFree:
		q.say(noTimeFree+": choose another day or physician.", widget.DangerImportance)
		return
	case !ok || i < 0 || i >= len(q.free):
		q.say("Choose a physician, a day and a free time first.", widget.DangerImportance)
		return
	}
	sl := q.free[i]
	a := desk.Appointment{Patient: q.patient.ID, Physician: p.Fingerprint, Start: sl.Start, Minutes: int(sl.End.Sub(sl.Start) / time.Minute),
		Reason: strings.TrimSpace(q.reason.Text)}
	names := map[string]string{}
	for _, ph := range q.physicians {
		names[ph.Fingerprint] = ph.Name
	}
	beforeBooking(q.e, a, q.patient.Name(), names, q.book, func() {
		q.book.Disable()
		do(q.e, func(ctx context.Context) (desk.Appointment, error) { return q.e.d.Book(ctx, a) }, func(got desk.Appointment, err error) {
			q.book.Enable()
			if err != nil {
				q.say("Not booked: "+kit.ErrorText(err), widget.DangerImportance)
				q.loadTimes(false)
				return
			}
			q.say(fmt.Sprintf("Booked %s with %s on %s.", q.patient.Name(), p.Name, got.Start.In(q.zone).Format("Mon 2 Jan at 15:04")), widget.SuccessImportance)
			q.reason.SetText("")
			q.loadTimes(false)
			if q.booked != nil {
				q.booked()
			}
		})
	})
}
