package frontdesk

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// buttons lists every button under o.
func buttons(o fyne.CanvasObject) []*widget.Button {
	var out []*widget.Button
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Button:
			out = append(out, x)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case *widget.Card:
			walk(x.Content)
		}
	}
	walk(o)
	return out
}

// A physician with 20-minute slots who has a booking at 09:15: the grid
// shows it at 09:15, marked off-grid, continuing into the 09:20 slot with
// an icon, never as a second "09:00"; slots that have begun offer nothing.
func TestGridShowsRealStartTimes(t *testing.T) {
	test.NewTempApp(t)
	recep, phys := clinic(t)
	ctx := context.Background()
	av, err := recep.Availability(ctx, phys[0].Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	av.SlotMinutes = 20
	if err := recep.SetAvailability(ctx, av); err != nil {
		t.Fatal(err)
	}
	zone, _ := recep.ClinicZone(ctx)
	at := func(h, m int) time.Time { return time.Date(2026, 11, 2, h, m, 0, 0, zone) }
	for _, b := range []struct {
		family string
		start  time.Time
	}{{"Booker", at(9, 0)}, {"Carlsen", at(9, 15)}} {
		p, err := recep.Register(ctx, app.Patient{Family: b.family, Given: "Test", Birth: "1970-07-07"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := recep.Book(ctx, desk.Appointment{Patient: p.ID, Physician: phys[0].Fingerprint, Start: b.start, Minutes: 15}); err != nil {
			t.Fatal(err)
		}
	}
	s := onAppointments(t, recep) // it is 09:00 in Berlin
	rows := map[string]*widget.Button{}
	for _, b := range buttons(s.columns.Objects[0]) {
		rows[b.Text] = b
		if strings.Contains(b.Text, "(cont.)") || strings.ContainsRune(b.Text, '↳') {
			t.Errorf("row %q uses a glyph the bundled font lacks", b.Text)
		}
	}
	want := []struct {
		text     string
		icon     bool
		disabled bool
	}{
		{"08:20   Past", false, true},
		{"09:00   Booker, Test", false, false},
		{"09:15   Carlsen, Test  · off-grid", false, false},
		{"09:20   Carlsen, Test until 09:30", true, false},
		{"09:40   Free", true, false},
	}
	for _, tt := range want {
		b, ok := rows[tt.text]
		if !ok {
			t.Errorf("no row %q among %v", tt.text, keys(rows))
			continue
		}
		if (b.Icon != nil) != tt.icon || b.Disabled() != tt.disabled {
			t.Errorf("row %q: icon %v, disabled %v", tt.text, b.Icon != nil, b.Disabled())
		}
	}
	if _, ok := rows["09:00   Carlsen, Test"]; ok {
		t.Error("the 09:15 appointment is shown at 09:00")
	}
}

func keys(m map[string]*widget.Button) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Booking a patient who is already booked that day, or a time that has
// passed, asks first; "Go back" books nothing.
func TestBookingAsksBeforeSamePatientTwiceOrPast(t *testing.T) {
	recep, phys, bea, zone := withBea(t)
	ctx := context.Background()
	at := func(h, m int) time.Time { return time.Date(2026, 11, 2, h, m, 0, 0, zone) }
	if _, err := recep.Book(ctx, desk.Appointment{Patient: bea.ID, Physician: phys[0].Fingerprint, Start: at(10, 0), Minutes: 15}); err != nil {
		t.Fatal(err)
	}
	s := onAppointments(t, recep)
	var asked []string
	answer := false
	s.env.confirm = func(title, question string, yes func()) {
		asked = append(asked, title+": "+question)
		if answer {
			yes()
		}
	}
	booked := func() int {
		as, err := recep.PatientAppointments(ctx, bea.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(as)
	}
	tests := []struct {
		name      string
		physician desk.Physician
		start     time.Time
		want      []string // in what is asked, in order
	}{
		{"same day, other physician", phys[1], at(11, 0), []string{"Same patient twice?", "already booked on the same day", "10:00–10:15 with Dr Paul Okafor"}},
		{"overlapping, other physician", phys[1], at(10, 5), []string{"at an overlapping time", "(at the same time)"}},
		{"in the past", phys[1], at(8, 30), []string{"Book in the past?", "it is now 09:00", "Same patient twice?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, yes := range []bool{false, true} {
				asked, answer = nil, yes
				before := booked()
				s.booking.start(tt.physician, tt.start, 15)
				typeInto(s.booking.query, "booker")
				test.Tap(s.booking.book)
				all, want := strings.Join(asked, "\n"), tt.want
				if !yes {
					want = want[:1] // "Go back" asks nothing more
				}
				for _, w := range want {
					if !strings.Contains(all, w) {
						t.Errorf("answer %v: asked %q, want %q in it", yes, all, w)
					}
				}
				if got, want := booked()-before, map[bool]int{false: 0, true: 1}[yes]; got != want {
					t.Errorf("answer %v: %d booked, want %d", yes, got, want)
				}
			}
		})
	}
}

// The week view shows one physician's Monday to Sunday, a column a day,
// and the arrows move by a week.
func TestWeekOfOnePhysician(t *testing.T) {
	recep, phys, bea, zone := withBea(t)
	ctx := context.Background()
	for _, day := range []int{3, 10} { // Tuesdays
		start := time.Date(2026, 11, day, 10, 0, 0, 0, zone)
		if _, err := recep.Book(ctx, desk.Appointment{Patient: bea.ID, Physician: phys[0].Fingerprint, Start: start, Minutes: 15}); err != nil {
			t.Fatal(err)
		}
	}
	s := onAppointments(t, recep)
	s.show(time.Date(2026, 11, 5, 0, 0, 0, 0, zone)) // a Thursday
	s.mode.SetSelected(weekView)
	s.weekOf.SetSelected(phys[0].Name)
	if len(s.columns.Objects) != 7 || s.dayTitle.Text != "Week of Monday 2 November 2026" {
		t.Fatalf("%d columns, title %q", len(s.columns.Objects), s.dayTitle.Text)
	}
	for i, want := range []string{"Mon 2 Nov", "Tue 3 Nov", "Wed 4 Nov", "Thu 5 Nov", "Fri 6 Nov", "Sat 7 Nov", "Sun 8 Nov"} {
		if got := s.columns.Objects[i].(*fyne.Container).Objects[0].(*widget.Label).Text; got != want {
			t.Errorf("column %d is %q, want %q", i, got, want)
		}
	}
	if _, ok := findButton(s.columns.Objects[1], "10:00   Booker, Bea"); !ok {
		t.Error("Tuesday's appointment is not in its column")
	}
	sat := s.columns.Objects[5].(*fyne.Container).Objects[1].(*widget.Label).Text
	if !strings.Contains(sat, "Not working on Saturdays") {
		t.Errorf("Saturday says %q", sat)
	}
	test.Tap(s.next)
	if s.dayTitle.Text != "Week of Monday 9 November 2026" {
		t.Fatalf("next week: %q", s.dayTitle.Text)
	}
	if _, ok := findButton(s.columns.Objects[1], "10:00   Booker, Bea"); !ok {
		t.Error("next Tuesday's appointment is not shown")
	}
	s.mode.SetSelected(dayView)
	if len(s.columns.Objects) != 2 {
		t.Errorf("back to the day view: %d columns, want both physicians", len(s.columns.Objects))
	}
}

// findButton finds a button whose text starts with prefix under o.
func findButton(o fyne.CanvasObject, prefix string) (*widget.Button, bool) {
	for _, b := range buttons(o) {
		if strings.HasPrefix(b.Text, prefix) {
			return b, true
		}
	}
	return nil, false
}

// withBea is the test clinic with one patient, Bea Booker, and its zone.
func withBea(t *testing.T) (realDesk, []desk.Physician, app.Patient, *time.Location) {
	test.NewTempApp(t)
	recep, phys := clinic(t)
	ctx := context.Background()
	bea, err := recep.Register(ctx, app.Patient{Family: "Booker", Given: "Bea", Birth: "1970-07-07"}, false)
	if err != nil {
		t.Fatal(err)
	}
	zone, _ := recep.ClinicZone(ctx)
	return recep, phys, bea, zone
}

// TestCheckInOnAnotherDayAsks: checking in an appointment of another day
// asks first (under Xvfb one tap
// checked in Monday's patient on Saturday); today's checks in at once.
func TestCheckInOnAnotherDayAsks(t *testing.T) {
	recep, phys, bea, zone := withBea(t)
	ctx := context.Background()
	tomorrow := time.Date(2026, 11, 3, 10, 0, 0, 0, zone)
	later, err := recep.Book(ctx, desk.Appointment{Patient: bea.ID, Physician: phys[0].Fingerprint, Start: tomorrow, Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	now, err := recep.Book(ctx, desk.Appointment{Patient: bea.ID, Physician: phys[0].Fingerprint,
		Start: time.Date(2026, 11, 2, 11, 0, 0, 0, zone), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	s := onAppointments(t, recep)
	var asked []string
	answer := false
	s.env.confirm = func(title, question string, yes func()) {
		asked = append(asked, title+": "+question)
		if answer {
			yes()
		}
	}
	status := func(id string) string {
		as, err := recep.PatientAppointments(ctx, bea.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.ID == id {
				return string(a.Status)
			}
		}
		return "missing"
	}

	s.show(tomorrow)
	s.detail.open(later.ID)
	test.Tap(s.detail.checkIn)
	if len(asked) != 1 || !strings.Contains(asked[0], "Booker, Bea's appointment is on Tuesday 3 November, not today") {
		t.Fatalf("asked %q", asked)
	}
	if st := status(later.ID); st != string(desk.StatusBooked) {
		t.Fatalf("checked in without a yes: %s", st)
	}
	answer = true
	test.Tap(s.detail.checkIn)
	if st := status(later.ID); st != string(desk.StatusArrived) {
		t.Errorf("Check in anyway: %s", st)
	}

	asked = nil
	s.show(time.Date(2026, 11, 2, 0, 0, 0, 0, zone))
	s.detail.open(now.ID)
	test.Tap(s.detail.checkIn)
	if len(asked) != 0 || status(now.ID) != string(desk.StatusArrived) {
		t.Errorf("today's check-in asked %q, status %s", asked, status(now.ID))
	}
}

// TestUndoCheckIn: a check-in made by mistake today is taken back at the
// desk, in the appointment's panel (Undo check-in, shown only while the
// patient is checked in) and on Today (the row's Check in reads Undo
// check-in); the appointment is booked again and can be checked in again.
// There was no undo: Check in, No-show, Move and Cancel were greyed out.
func TestUndoCheckIn(t *testing.T) {
	recep, phys, bea, zone := withBea(t)
	ctx := context.Background()
	a, err := recep.Book(ctx, desk.Appointment{Patient: bea.ID, Physician: phys[0].Fingerprint,
		Start: time.Date(2026, 11, 2, 11, 0, 0, 0, zone), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	status := func() desk.Appointment {
		as, err := recep.PatientAppointments(ctx, bea.ID)
		if err != nil || len(as) != 1 {
			t.Fatal(as, err)
		}
		return as[0]
	}
	s := onAppointments(t, recep)
	s.show(time.Date(2026, 11, 2, 0, 0, 0, 0, zone))
	s.detail.open(a.ID)
	if s.detail.undoIn.Visible() {
		t.Error("Undo check-in shown on a booked appointment")
	}
	test.Tap(s.detail.checkIn)
	if st := status().Status; st != desk.StatusArrived || !s.detail.undoIn.Visible() || s.detail.checkIn.Visible() {
		t.Fatalf("checked in: %s, undo shown %v, check in shown %v", st, s.detail.undoIn.Visible(), s.detail.checkIn.Visible())
	}
	test.Tap(s.detail.undoIn)
	if got := status(); got.Status != desk.StatusBooked || !got.Arrived.IsZero() || s.detail.undoIn.Visible() || !s.detail.checkIn.Visible() || s.detail.checkIn.Disabled() {
		t.Fatalf("after Undo check-in: %s (arrived %v), undo shown %v, check in disabled %v",
			got.Status, got.Arrived, s.detail.undoIn.Visible(), s.detail.checkIn.Disabled())
	}
	if !strings.Contains(s.detail.message.Text, "Check-in undone") {
		t.Errorf("the panel says %q", s.detail.message.Text)
	}

	// On Today, the row's button.
	tw := test.NewWindow(nil)
	defer kittest.Close(tw) // Today's minute ticker ends with the test
	today := newToday(inPlace(recep, tw))
	tw.SetContent(today.content())
	button := func() *widget.Button {
		row := today.list.CreateItem()
		today.list.UpdateItem(0, row)
		return row.(*fyne.Container).Objects[2].(*fyne.Container).Objects[0].(*widget.Button)
	}
	test.Tap(button())
	if b := button(); status().Status != desk.StatusArrived || b.Text != "Undo check-in" || b.Disabled() {
		t.Fatalf("Today after Check in: %s, the button %q (disabled %v)", status().Status, b.Text, b.Disabled())
	}
	test.Tap(button())
	if b := button(); status().Status != desk.StatusBooked || b.Text != "Check in" {
		t.Errorf("Today after Undo check-in: %s, the button %q", status().Status, b.Text)
	}
}

// TestClosedDayOffersTheNextWorkingDay: a Saturday's column said "Not
// working on Saturdays" and nothing more; it now offers the physician's
// next working day, as the physician's Calendar does.
func TestClosedDayOffersTheNextWorkingDay(t *testing.T) {
	recep, _, _, zone := withBea(t)
	s := onAppointments(t, recep)
	s.show(time.Date(2026, 11, 7, 0, 0, 0, 0, zone)) // a Saturday
	var show *widget.Button
	kittest.Walk(s.columns, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, "Show ") && show == nil {
			show = b
		}
	})
	if show == nil || show.Text != "Show Monday 9 November" {
		t.Fatalf("Saturday's column offers %v", show)
	}
	test.Tap(show)
	if want := time.Date(2026, 11, 9, 0, 0, 0, 0, zone); !s.day.Equal(want) {
		t.Errorf("the desk shows %v, want %v", s.day, want)
	}
	kittest.Walk(s.columns, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, "Show ") {
			t.Errorf("a working Monday offers %q", b.Text)
		}
	})
}

// TestUndoCheckInOnceTheVisitStarted: the panel still shows Undo check-in
// when the physician's Start visit arrives from her workstation; the undo
// is refused in the receptionist's words, and the panel shows the visit.
func TestUndoCheckInOnceTheVisitStarted(t *testing.T) {
	recep, phys, bea, zone := withBea(t)
	ctx := context.Background()
	a, err := recep.Book(ctx, desk.Appointment{Patient: bea.ID, Physician: phys[0].Fingerprint,
		Start: time.Date(2026, 11, 2, 11, 0, 0, 0, zone), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	s := onAppointments(t, recep)
	s.show(time.Date(2026, 11, 2, 0, 0, 0, 0, zone))
	s.detail.open(a.ID)
	test.Tap(s.detail.checkIn)
	if !s.detail.undoIn.Visible() {
		t.Fatal("Undo check-in not shown after the check-in")
	}
	// What app/chart's Start visit writes, as it arrives from the
	// physician's workstation (the panel has not been redrawn since).
	started, err := records.Some(records.Appointment{Status: records.StatusInVisit, VisitStarted: testNow},
		records.AppointmentStatus, records.AppointmentVisitStarted)
	if err != nil {
		t.Fatal(err)
	}
	// Only a physician's workstation writes it (roles.Kind.Holders).
	doctor := physicianOf[recep.Session]
	r, err := doctor.Replica()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Append(ctx, replica.Change{Entity: a.ID, Kind: records.KindAppointment, Scope: roles.FrontDesk, Fields: started}); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, doctor, recep.Session); err != nil {
		t.Fatal(err)
	}
	test.Tap(s.detail.undoIn)
	if got := s.detail.message.Text; !strings.HasPrefix(got, "The visit has started; it cannot be undone here.") {
		t.Errorf("the panel says %q", got)
	}
	if s.detail.undoIn.Visible() || !strings.Contains(s.detail.info.Text, "In visit") {
		t.Errorf("after the refused undo: undo shown %v, the panel reads %q", s.detail.undoIn.Visible(), s.detail.info.Text)
	}
}

// TestTabFromADayGoesToTheNextField: Tab from a date field went to its
// calendar button, then to the field the desk needed (booking: Day,
// calendar, Start, Minutes); the button is no Tab stop, and a day picked
// from its calendar gives the focus back to the field, so Tab goes on.
func TestTabFromADayGoesToTheNextField(t *testing.T) {
	recep, phys, _, zone := withBea(t)
	s := onAppointments(t, recep)
	s.show(time.Date(2026, 11, 2, 0, 0, 0, 0, zone))
	s.booking.start(phys[0], time.Date(2026, 11, 2, 9, 0, 0, 0, zone), 15)
	f, c := s.booking, s.win.Canvas()
	c.Focus(f.dayE)
	for _, want := range []struct {
		name string
		o    fyne.Focusable
	}{{"Start", f.startE}, {"Minutes", f.minutesE}, {"Reason", f.reason}, {"Repeat", f.repeat}} {
		kittest.PressTab(c)
		if c.Focused() != want.o {
			t.Fatalf("Tab went to %T, want %s", c.Focused(), want.name)
		}
	}
	// The pointer picks a day: the focus is back on Day, Tab goes to Start.
	test.Tap(f.dayE.ActionItem.(fyne.Tappable))
	top := c.Overlays().Top()
	if top == nil {
		t.Fatal("the calendar did not open")
	}
	day := kittest.Button(top, "12")
	if day == nil {
		t.Fatalf("no 12 in the calendar: %q", kittest.Texts(top))
	}
	test.Tap(day)
	if f.dayE.Text != "2026-11-12" || c.Focused() != f.dayE {
		t.Fatalf("after the calendar: day %q, focus on %T", f.dayE.Text, c.Focused())
	}
	kittest.PressTab(c)
	if c.Focused() != f.startE {
		t.Errorf("Tab after the calendar went to %T, want Start", c.Focused())
	}
}

// TestUndoneCheckInThenTheVisitArrives: the desk undid a check-in and the
// panel said so; a sync then brought the physician's Start visit, written
// before she saw the undo (under Xvfb the panel still read "Check-in
// undone: the appointment is booked again." over "In visit").
func TestUndoneCheckInThenTheVisitArrives(t *testing.T) {
	recep, phys, bea, zone := withBea(t)
	ctx := context.Background()
	a, err := recep.Book(ctx, desk.Appointment{Patient: bea.ID, Physician: phys[0].Fingerprint,
		Start: time.Date(2026, 11, 2, 11, 0, 0, 0, zone), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	s := onAppointments(t, recep)
	s.show(time.Date(2026, 11, 2, 0, 0, 0, 0, zone))
	s.detail.open(a.ID)
	test.Tap(s.detail.checkIn)
	test.Tap(s.detail.undoIn)
	if !strings.HasPrefix(s.detail.message.Text, "Check-in undone") {
		t.Fatalf("after the undo the panel says %q", s.detail.message.Text)
	}
	started, err := records.Some(records.Appointment{Status: records.StatusInVisit, VisitStarted: testNow},
		records.AppointmentStatus, records.AppointmentVisitStarted)
	if err != nil {
		t.Fatal(err)
	}
	// Only a physician's workstation writes it (roles.Kind.Holders).
	doctor := physicianOf[recep.Session]
	r, err := doctor.Replica()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Append(ctx, replica.Change{Entity: a.ID, Kind: records.KindAppointment, Scope: roles.FrontDesk, Fields: started}); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, doctor, recep.Session); err != nil {
		t.Fatal(err)
	}
	s.refresh() // as the change feed does after a sync
	if got := s.detail.message.Text; got != visitStartedHere || !s.detail.message.Visible() {
		t.Errorf("once the visit arrived the panel says %q", got)
	}
	if !strings.Contains(s.detail.info.Text, "In visit") {
		t.Errorf("the panel reads %q", s.detail.info.Text)
	}
}
