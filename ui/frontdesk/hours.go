package frontdesk

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit"
)

// hoursScreen edits one physician's working hours, slot length and days
// off: what the booking view offers as free slots.
type hoursScreen struct {
	loads kit.Newest // only the newest load draws (kit.Latest)
	env
	physicians []desk.Physician
	who        *kit.TypeSelect
	days       [7]*kit.Entry // by time.Weekday
	slot       *kit.Entry
	dayOff     *kit.Entry
	off        *fyne.Container
	status     *widget.Label
	save       *widget.Button
	current    desk.Availability
}

// weekOrder lists the weekdays as a clinic reads a week, Monday first.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// NewHours is the "Working hours" screen.
func NewHours(s Session, w fyne.Window) fyne.CanvasObject {
	e, ok := newEnv(s, w)
	if !ok {
		return nil
	}
	return newHours(e).content()
}

func newHours(e env) *hoursScreen {
	s := &hoursScreen{env: e}
	s.status = note("")
	s.who = kit.NewTypeSelect(nil, func(string) { s.load() })
	for _, wd := range weekOrder {
		s.days[wd] = kit.NewEntry()
		s.days[wd].SetPlaceHolder("not working (e.g. 08:00-12:00, 13:00-17:00)")
	}
	s.slot = kit.NewEntry()
	s.slot.SetPlaceHolder("15")
	s.save = widget.NewButtonWithIcon("Save working hours", theme.DocumentSaveIcon(), s.store)
	s.save.Importance = widget.HighImportance
	s.dayOff = newDateField("")
	s.off = container.NewVBox()
	if ps, err := e.d.Physicians(); err == nil {
		s.physicians = ps
		names := make([]string, len(ps))
		for i, p := range ps {
			names[i] = p.Name
		}
		s.who.Options = names
		if len(names) > 0 {
			s.who.SetSelectedIndex(0)
		}
	} else {
		s.status.SetText(kit.ErrorText(err))
	}
	return s
}

func (s *hoursScreen) content() fyne.CanvasObject {
	form := widget.NewForm()
	for _, wd := range weekOrder {
		form.Append(wd.String(), kit.AtLeast(420, 0, s.days[wd]))
	}
	form.Append("Slot length", container.NewHBox(kit.AtLeast(80, 0, s.slot), widget.NewLabel("minutes")))
	addOff := widget.NewButtonWithIcon("Add day off", theme.ContentAddIcon(), func() {
		d, ok := parseDay(s.dayOff.Text, time.UTC)
		if !ok {
			s.status.SetText(fmt.Sprintf("%q is not a day: write it %s.", s.dayOff.Text, howToWrite()))
			return
		}
		s.setDayOff(d.Format("2006-01-02"), true)
	})
	return container.NewVBox(
		container.NewHBox(widget.NewLabel("Physician:"), kit.AtLeast(260, 0, s.who)),
		note("Hours are in the clinic's time zone. Separate periods with a comma; leave a day empty when the physician does not work."),
		form, container.NewHBox(s.save), s.status,
		bold("Days off"),
		container.NewHBox(kit.AtLeast(170, 0, s.dayOff), addOff),
		s.off,
		widget.NewSeparator(),
		countryChooser(s.env),
	)
}

func (s *hoursScreen) physician() string {
	i := s.who.SelectedIndex()
	if i < 0 || i >= len(s.physicians) {
		return ""
	}
	return s.physicians[i].Fingerprint
}

// load shows the chosen physician's availability.
func (s *hoursScreen) load() {
	fp := s.physician()
	if fp == "" {
		s.loads.Begin() // a load still on its way no longer draws
		return
	}
	do(s.env, func(ctx context.Context) (desk.Availability, error) { return s.d.Availability(ctx, fp) },
		kit.Latest(&s.loads, func(av desk.Availability, err error) {
			if err != nil {
				s.status.SetText(kit.ErrorText(err))
				return
			}
			s.current = av
			for _, wd := range weekOrder {
				s.days[wd].SetText(desk.FormatHours(av.Week[wd]))
			}
			s.slot.SetText(strconv.Itoa(av.SlotMinutes))
			s.showDaysOff(av.DaysOff)
		}))
}

func (s *hoursScreen) showDaysOff(days []string) {
	rows := make([]fyne.CanvasObject, 0, len(days))
	for _, d := range days {
		d := d
		rows = append(rows, container.NewHBox(widget.NewLabel(kit.DayText(d)),
			widget.NewButtonWithIcon("Remove", theme.ContentRemoveIcon(), func() { s.setDayOff(d, false) })))
	}
	if len(rows) == 0 {
		rows = append(rows, note("No days off."))
	}
	s.off.Objects = rows
	s.off.Refresh()
}

// store checks every field, names the first wrong one, and saves the week
// in one change.
func (s *hoursScreen) store() {
	fp := s.physician()
	if fp == "" {
		s.status.SetText("Choose a physician first.")
		return
	}
	av := s.current
	av.Physician = fp
	for _, wd := range weekOrder {
		hs, err := desk.ParseHours(s.days[wd].Text)
		if err != nil {
			s.status.SetText(fmt.Sprintf("%s: %s", wd, kit.ErrorText(err)))
			return
		}
		av.Week[wd] = hs
	}
	n, err := strconv.Atoi(strings.TrimSpace(s.slot.Text))
	if err != nil || n <= 0 {
		s.status.SetText("Slot length: write a number of minutes, such as 15.")
		return
	}
	av.SlotMinutes = n
	s.save.Disable()
	do(s.env, func(ctx context.Context) (struct{}, error) { return struct{}{}, s.d.SetAvailability(ctx, av) },
		func(_ struct{}, err error) {
			s.save.Enable()
			if err != nil {
				s.status.SetText(kit.ErrorText(err))
				return
			}
			s.status.SetText("Saved: the booking view now offers these hours.")
			s.load()
		})
}

func (s *hoursScreen) setDayOff(date string, off bool) {
	fp := s.physician()
	date = strings.TrimSpace(date)
	do(s.env, func(ctx context.Context) (struct{}, error) { return struct{}{}, s.d.SetDayOff(ctx, fp, date, off) },
		func(_ struct{}, err error) {
			if err != nil {
				s.status.SetText(kit.ErrorText(err))
				return
			}
			s.dayOff.SetText("")
			s.status.SetText("")
			s.load()
		})
}
