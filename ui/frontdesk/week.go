package frontdesk

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit"
)

// The Appointments screen shows the day of several physicians side by
// side, or the week (Monday to Sunday) of one.

// Views of the Appointments screen.
const (
	dayView  = "Day of several physicians"
	weekView = "Week of one physician"
)

// newWeekView makes the choice between the views and of the week's
// physician.
func (s *appointmentsScreen) newWeekView(names []string) {
	s.weekOf = kit.NewTypeSelect(names, func(string) {
		if s.weekly() {
			s.refresh()
		}
	})
	if len(names) > 0 {
		s.weekOf.Selected = names[0]
	}
	whoDay := container.NewHBox(widget.NewLabel("Physicians:"), s.who)
	whoWeek := container.NewHBox(widget.NewLabel("Physician:"), kit.AtLeast(240, 0, s.weekOf))
	whoWeek.Hide()
	s.mode = kit.NewRadio([]string{dayView, weekView}, func(v string) {
		if v == weekView {
			whoDay.Hide()
			whoWeek.Show()
		} else {
			whoWeek.Hide()
			whoDay.Show()
		}
		if s.dayEntry != nil {
			s.show(s.day)
		}
	})
	s.mode.Horizontal = true
	s.mode.Selected = dayView
	s.whoRow = container.NewVBox(s.mode, whoDay, whoWeek)
}

// weekly reports whether the screen shows one physician's week.
func (s *appointmentsScreen) weekly() bool { return s.mode != nil && s.mode.Selected == weekView }

// step is how many days the arrows move.
func (s *appointmentsScreen) step() int {
	if s.weekly() {
		return 7
	}
	return 1
}

// weekStart is the Monday of t's week.
func weekStart(t time.Time) time.Time {
	return t.AddDate(0, 0, -(int(t.Weekday())+6)%7)
}

// refreshWeek draws the chosen physician's week, a column a day.
func (s *appointmentsScreen) refreshWeek() {
	var fp string
	for _, p := range s.physicians {
		if p.Name == s.weekOf.Selected {
			fp = p.Fingerprint
		}
	}
	if fp == "" {
		s.loads.Begin() // a load still on its way no longer draws
		s.schedule = nil
		s.columns.Objects = []fyne.CanvasObject{note("Choose a physician to see their week.")}
		s.columns.Refresh()
		return
	}
	monday := weekStart(s.day)
	do(s.env, func(ctx context.Context) ([]desk.PhysicianDay, error) {
		var week []desk.PhysicianDay
		for i := range 7 {
			day, err := s.d.DaySchedule(ctx, []string{fp}, monday.AddDate(0, 0, i))
			if err != nil {
				return nil, err
			}
			week = append(week, day...)
		}
		return week, nil
	}, kit.Latest(&s.loads, func(week []desk.PhysicianDay, err error) {
		if err != nil {
			s.status.SetText("The calendar cannot be read: " + kit.ErrorText(err))
			return
		}
		if !weekStart(s.day).Equal(monday) || !s.weekly() {
			return // the desk moved on meanwhile
		}
		s.schedule = week
		cols := make([]fyne.CanvasObject, 0, len(week))
		booked := 0
		for i, pd := range week {
			day := monday.AddDate(0, 0, i)
			cols = append(cols, s.column(pd, day.Format("Mon 2 Jan"), day))
			for _, a := range pd.Appointments {
				if a.Status != desk.StatusCancelled {
					booked++
				}
			}
		}
		s.columns.Layout = layout.NewGridLayoutWithColumns(len(cols))
		s.columns.Objects = cols
		s.columns.Refresh()
		s.status.SetText(fmt.Sprintf("%s this week. Tap a free slot to book it, or an appointment to open it.", kit.Count(booked, "appointment", "appointments")))
		s.status.Importance = widget.LowImportance
		s.status.Refresh()
		s.detail.reload()
	}))
}
