package frontdesk

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/chart"
	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/internal/marks"
	"github.com/medihaven/medihaven/ui/colleagues"
	"github.com/medihaven/medihaven/ui/kit"
)

// todayScreen is the desk's list of the day: who is expected, late,
// arrived or missed, across every physician.
type todayScreen struct {
	loads kit.Newest // only the newest load draws (kit.Latest)
	env
	zone   *time.Location
	title  *widget.Label
	counts map[desk.DeskState]*widget.Label
	status *widget.Label
	list   *widget.List
	rows   []desk.DeskRow
	day    desk.DeskDay
	// next is the next day with appointments when today has none (zero
	// when there is none within lookAhead days), and nextCount how many.
	next      time.Time
	nextCount int
	// refocus is the appointment whose row's first button the keyboard
	// goes back to once the list is drawn again after an act on it: it
	// was lost, and the next Tab started over from the top of the page.
	refocus string
	showAll *widget.Check
	// empty says why the list is empty and what to do, over it.
	empty *widget.Label
	// waiting is the note of a receptionist who waits for a colleague's
	// confirmation (ui/colleagues), or nil; awaiting asks whether she
	// still does (nil: the session cannot tell).
	waiting  fyne.CanvasObject
	awaiting func() bool
}

// waiting is what a receptionist who waits for a colleague's
// confirmation reads on Today (colleagues.Note).
var waiting = colleagues.Waiting{
	Text: "Patients' details and appointments open once a colleague confirms you in person. " +
		"Open Colleagues, compare codes with a receptionist or physician you have met, and confirm each other.",
	Opens: "patients' details and appointments",
}

// stateLabels name the desk states as the list shows them.
var stateLabels = map[desk.DeskState]string{desk.Expected: "Expected", desk.Late: "Late", desk.Arrived: "Arrived",
	desk.NoShow: "No-show", desk.Cancelled: "Cancelled"}

// NewToday builds the Today screen: the receptionist's home. While she
// waits for a colleague's confirmation a note above says so, with a button
// that runs toColleagues (nil: none).
func NewToday(s Session, w fyne.Window, toColleagues func()) fyne.CanvasObject {
	e, ok := newEnv(s, w)
	if !ok {
		return nil
	}
	t := newToday(e)
	if cs, ok := s.(colleagues.Session); ok {
		t.waiting, t.awaiting = colleagues.Note(cs, e.run, waiting, toColleagues), cs.AwaitingColleague
	}
	return t.content()
}

func newToday(e env) *todayScreen {
	s := &todayScreen{env: e, zone: e.zone(), counts: map[desk.DeskState]*widget.Label{}}
	s.title = bold("")
	s.title.SizeName = theme.SizeNameSubHeadingText
	for _, st := range desk.DeskStates {
		// A dash until the day is read (or while it cannot be: a newcomer
		// waiting for a colleague's confirmation), not an empty box.
		l := widget.NewLabelWithStyle(stateLabels[st]+": —", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		l.Importance = stateImportance(st)
		s.counts[st] = l
	}
	s.status = widget.NewLabel("")
	s.status.Importance = widget.LowImportance
	s.status.Truncation = fyne.TextTruncateEllipsis
	s.list = widget.NewList(func() int { return len(s.rows) }, s.newRow, s.updateRow)
	s.showAll = widget.NewCheck("Show arrived and cancelled too", func(bool) { s.filter() })
	s.showAll.Checked = true
	s.empty = widget.NewLabel("")
	s.empty.Importance = widget.LowImportance
	s.empty.Wrapping = fyne.TextWrapWord
	s.empty.Hide()
	s.refresh()
	return s
}

func (s *todayScreen) content() fyne.CanvasObject {
	var chips []fyne.CanvasObject
	for _, st := range desk.DeskStates {
		chips = append(chips, tint(theme.ColorNameInputBackground, container.NewPadded(s.counts[st])))
	}
	// The status takes what the check leaves and is cut short rather than
	// widen the page (a long reason would push the note off screen).
	top := container.NewVBox(s.title, container.NewGridWithColumns(len(chips), chips...), container.NewBorder(nil, nil, s.showAll, nil, s.status))
	if s.waiting != nil {
		top.Objects = append([]fyne.CanvasObject{s.waiting}, top.Objects...)
	}
	return kit.Live(container.NewBorder(top, nil, nil, nil, container.NewStack(kit.AtLeast(0, 520, s.list), container.NewVBox(s.empty))), func() func() {
		stop := kit.OnChanges(s.d, s.refresh, "appointment", "patient")()
		// Patients turn late as the clock moves, without any change.
		tick := time.NewTicker(time.Minute)
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-tick.C:
					kit.OnUI(s.refresh)
				case <-done:
					return
				}
			}
		}()
		return func() { stop(); tick.Stop(); close(done) }
	})
}

func stateImportance(st desk.DeskState) widget.Importance {
	switch st {
	case desk.Late:
		return widget.WarningImportance
	case desk.Arrived:
		return widget.SuccessImportance
	case desk.NoShow:
		return widget.DangerImportance
	case desk.Cancelled:
		return widget.LowImportance
	}
	return widget.MediumImportance
}

func (s *todayScreen) newRow() fyne.CanvasObject {
	when := bold("00:00")
	who := widget.NewLabel("Family, Given (MH0000000)")
	who.Truncation = fyne.TextTruncateEllipsis
	what := widget.NewLabel("Dr. Physician · reason")
	what.Importance = widget.LowImportance
	what.Truncation = fyne.TextTruncateEllipsis
	state := widget.NewLabelWithStyle("Expected", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	in := widget.NewButtonWithIcon("Check in", theme.ConfirmIcon(), nil)
	no := widget.NewButton("No-show", nil)
	left := container.NewHBox(when, kit.AtLeast(110, 0, state))
	return container.NewBorder(nil, nil, left, container.NewHBox(in, no), container.NewGridWithColumns(2, who, what))
}

func (s *todayScreen) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	r := s.rows[i]
	c := o.(*fyne.Container)
	center := c.Objects[0].(*fyne.Container)
	left := c.Objects[1].(*fyne.Container)
	buttons := c.Objects[2].(*fyne.Container)
	left.Objects[0].(*widget.Label).SetText(r.Start.In(s.zone).Format("15:04"))
	state := left.Objects[1].(*fyne.Container).Objects[0].(*widget.Label)
	label := stateLabels[r.State]
	switch r.Status { // arrived, as the desk counts them
	case chart.StatusInVisit:
		label = "In visit"
	case chart.StatusSeen:
		label = "Seen"
	}
	if r.Conflict {
		label += " · conflict"
	}
	state.SetText(label)
	state.Importance = stateImportance(r.State)
	state.Refresh()
	center.Objects[0].(*widget.Label).SetText(fmt.Sprintf("%s (%s)", r.PatientName, r.PatientMRN))
	what := r.PhysicianName + " · " + orText(r.Reason, "no reason given")
	if r.State == desk.Arrived && !r.Arrived.IsZero() { // a visit may start without a check-in
		what += " · in at " + r.Arrived.In(s.zone).Format("15:04")
	}
	if r.State == desk.Cancelled {
		what += " · " + r.CancelReason
	}
	center.Objects[1].(*widget.Label).SetText(what)
	in, no := buttons.Objects[0].(*widget.Button), buttons.Objects[1].(*widget.Button)
	id := r.ID
	no.OnTapped = func() { s.act(id, func(ctx context.Context) error { _, err := s.d.MarkNoShow(ctx, id); return err }) }
	if r.Status == desk.StatusArrived { // checked in and not yet with the physician: a mistaken tap is taken back
		in.SetText("Undo check-in")
		in.SetIcon(theme.ContentUndoIcon())
		in.OnTapped = func() { s.act(id, func(ctx context.Context) error { _, err := s.d.UndoCheckIn(ctx, id); return err }) }
		in.Enable()
	} else {
		in.SetText("Check in")
		in.SetIcon(theme.ConfirmIcon())
		in.OnTapped = func() { s.act(id, func(ctx context.Context) error { _, err := s.d.CheckIn(ctx, id); return err }) }
		setEnabled(in, r.State == desk.Expected || r.State == desk.Late || r.State == desk.NoShow)
	}
	setEnabled(no, r.State == desk.Late || r.State == desk.Expected)
	if id == s.refocus && s.win != nil {
		s.refocus = ""
		if !in.Disabled() { // Undo check-in, after a check-in: Space takes a mistake back
			s.win.Canvas().Focus(in)
		}
	}
}

// act runs a change of appointment id; the keyboard then goes back to its
// row.
func (s *todayScreen) act(id string, work func(context.Context) error) {
	do(s.env, func(ctx context.Context) (struct{}, error) { return struct{}{}, work(ctx) }, func(_ struct{}, err error) {
		if err != nil {
			s.status.SetText(kit.ErrorText(err))
			return
		}
		s.refocus = id
		s.refresh()
	})
}

// lookAhead is how many days Today looks ahead for the next day with
// appointments, when today has none (a weekend, a holiday).
const lookAhead = 14

// nextBooked is the first day after today with appointments not
// cancelled, and how many; zero when none is within lookAhead days.
func (s *todayScreen) nextBooked(ctx context.Context, now time.Time) (time.Time, int) {
	for d := 1; d <= lookAhead; d++ {
		day, err := s.d.FrontDeskDay(ctx, now.AddDate(0, 0, d))
		if err != nil {
			return time.Time{}, 0
		}
		if n := len(day.Rows) - day.Counts[desk.Cancelled]; n > 0 {
			return day.Day, n
		}
	}
	return time.Time{}, 0
}

func (s *todayScreen) refresh() {
	now := s.now()
	waits := false
	var next time.Time
	var nextCount int
	do(s.env, func(ctx context.Context) (desk.DeskDay, error) {
		day, err := s.d.FrontDeskDay(ctx, now)
		waits = err != nil && s.awaiting != nil && s.awaiting()
		if err == nil && len(day.Rows) == 0 {
			next, nextCount = s.nextBooked(ctx, now)
		}
		return day, err
	}, kit.Latest(&s.loads, func(day desk.DeskDay, err error) {
		switch {
		case waits: // the note above says why and what to do
			s.status.SetText("Today's list shows once a colleague has confirmed you.")
			return
		case err != nil:
			s.status.SetText("Today's list cannot be read: " + kit.ErrorText(err))
			return
		}
		s.day, s.next, s.nextCount = day, next, nextCount
		s.title.SetText(dayTitle(day.Day))
		for _, st := range desk.DeskStates {
			s.counts[st].SetText(fmt.Sprintf("%s: %d", stateLabels[st], day.Counts[st]))
		}
		s.status.SetText(fmt.Sprintf("%s today · updated %s", appointmentsCount(len(day.Rows)), now.In(s.zone).Format("15:04")))
		s.filter()
		marks.Shown("Today") // the window benchmark's home mark (internal/marks)
	}))
}

// filter shows every row, or only those the desk still waits for.
func (s *todayScreen) filter() {
	s.rows = s.rows[:0]
	for _, r := range s.day.Rows {
		if s.showAll.Checked || r.State == desk.Expected || r.State == desk.Late {
			s.rows = append(s.rows, r)
		}
	}
	s.list.Refresh()
	s.refocus = "" // drawn, or scrolled out of sight: nothing to come back to later
	switch {
	case len(s.day.Rows) == 0:
		next := ""
		if !s.next.IsZero() { // a weekend or holiday: when the patients come next
			next = fmt.Sprintf(" The next day with appointments is %s: %s.", dayTitle(s.next), appointmentsCount(s.nextCount))
		}
		s.empty.SetText("No appointments today." + next + " Book one in Appointments; a patient who walks in without one " +
			"is found or registered in Patients.")
		s.empty.Show()
	case len(s.rows) == 0:
		s.empty.SetText("Nobody is still expected today: everyone has arrived, been marked a no-show or cancelled. " +
			"Tick \"Show arrived and cancelled too\" to see them.")
		s.empty.Show()
	default:
		s.empty.Hide()
	}
}

// appointmentsCount is "1 appointment", "3 appointments".
func appointmentsCount(n int) string {
	if n == 1 {
		return "1 appointment"
	}
	return fmt.Sprintf("%d appointments", n)
}
