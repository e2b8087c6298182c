package physician

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/ui/kit"
)

// The visit bar under a chart's header: the visit in progress with Finish
// visit, or, on a chart opened from an appointment, Start visit. A visit
// starts only there (an appointment of another day after a confirmation
// that says so); notes, vitals and prescriptions written with no visit
// open belong to the chart alone.

// showVisit draws the visit bar for the chart on screen.
func (v *chartView) showVisit() {
	v.encounter = nil
	if en, ok := v.chart.OpenVisit(); ok {
		v.encounter = &en
	}
	v.visitBtns.Objects = nil
	switch {
	case v.encounter != nil:
		v.visit.SetText(fmt.Sprintf("In visit since %s — %s. Notes, vitals and prescriptions written now belong to this visit.",
			v.encounter.Start.Local().Format("15:04"), orDash(v.encounter.Reason)))
		v.visit.Importance = widget.HighImportance
		finish := widget.NewButtonWithIcon("Finish visit", theme.ConfirmIcon(), v.finishVisit)
		v.visitBtns.Add(finish)
		v.visit.Show()
	case v.appt != nil && v.appt.Status != records.StatusCancelled && v.appt.Status != chart.StatusSeen && !v.visitDone():
		a := v.appt
		v.visit.SetText(fmt.Sprintf("Appointment %s %s–%s · %s · %s. No visit is open: what you write now belongs to the chart.",
			a.Start.Local().Format("Mon 2 Jan"), a.Start.Local().Format("15:04"), a.End().Local().Format("15:04"),
			orDash(a.Reason), chart.VisitState(*a, v.now())))
		v.visit.Importance = widget.MediumImportance
		var start *widget.Button
		start = widget.NewButtonWithIcon("Start visit", theme.MediaPlayIcon(), func() { v.startVisit(false, start) })
		start.Importance = widget.HighImportance
		v.visitBtns.Add(start)
		v.visit.Show()
	default:
		v.visit.Hide()
	}
	v.visitBtns.Refresh()
	v.notes.title()
}

// visitDone reports whether the appointment's visit was finished.
func (v *chartView) visitDone() bool {
	for _, en := range v.chart.Encounters {
		if en.Appointment == v.appt.ID && !en.End.IsZero() {
			return true
		}
	}
	return false
}

// startVisit starts the appointment's visit; for another day it asks
// first, saying so, and back (Start visit) gets the keyboard when the
// question closes.
func (v *chartView) startVisit(anotherDay bool, back fyne.Focusable) {
	id := v.appt.ID
	var err error
	v.do(func(ctx context.Context) { _, err = v.c.StartVisit(ctx, id, anotherDay) }, func() {
		switch {
		case errors.Is(err, chart.ErrNotToday):
			kit.Confirm{Title: "Start a visit on another day?",
				Message: fmt.Sprintf("This appointment is on %s, not today. Start the visit only if the patient is here now: it will be dated today, %s.",
					v.appt.Start.Local().Format("Monday 2 January"), v.now().Format("2 January 15:04")),
				Yes: "Start visit today", Back: back,
				Answer: func(ok bool) {
					if ok {
						v.startVisit(true, back)
					}
				}}.Show(v.win)
		case err != nil:
			v.status.fail(err)
		default:
			v.status.ok("Visit started: the appointment shows \"In visit\" on every workstation.")
			v.tabs.SelectIndex(1) // a visit starts with its note
			v.refresh()
			v.win.Canvas().Focus(v.notes.s) // typed at once: the pointer has nothing to do there
		}
	})
}

// finishVisit closes the visit in progress.
func (v *chartView) finishVisit() {
	if v.encounter == nil {
		return
	}
	id := v.encounter.ID
	v.act(func(ctx context.Context) error { _, err := v.c.FinishVisit(ctx, id); return err },
		"Visit finished: the appointment shows \"Seen\".", v.status, nil)
}
