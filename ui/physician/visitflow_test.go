package physician

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// TestVisitFlow: a visit starts only with Start visit (tomorrow's after a
// confirmation that says so), the calendar shows "In visit" while it runs
// and "Seen" once finished, and a past appointment with no visit reads
// "Not seen", not "Booked".
func TestVisitFlow(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	c.book(t, "Past", c.now.Add(-3*time.Hour))
	c.book(t, "Today", c.now.Add(time.Hour))
	c.book(t, "Tomorrow", c.now.Add(25*time.Hour))

	cs := c.calendar(t)
	w := cs.win
	row := func(name string) *fyne.Container {
		t.Helper()
		r, ok := find(cs.stack, func(b *fyne.Container) bool { return hasLabel(b, name+", Cora") && len(b.Objects) == 3 })
		if !ok {
			t.Fatalf("no calendar row of %s", name)
		}
		return r
	}
	if !hasLabel(row("Past"), "Not seen") || !hasLabel(row("Today"), "Booked") {
		t.Fatal("a past appointment without a visit does not read Not seen")
	}

	// Today's: Start visit, In visit on the calendar, Finish visit, Seen.
	test.Tap(button(t, row("Today"), "Open chart"))
	v := cs.chart
	test.Tap(button(t, v.content, "Start visit"))
	if v.encounter == nil {
		t.Fatalf("no visit started: %q", v.status.Text)
	}
	test.Tap(button(t, v.content, "Back to calendar"))
	if !hasLabel(row("Today"), "In visit") {
		t.Error("the calendar does not show the visit in progress")
	}
	test.Tap(button(t, row("Today"), "Open chart"))
	v = cs.chart
	test.Tap(button(t, v.content, "Finish visit"))
	if v.encounter != nil || !strings.Contains(v.status.Text, "Seen") {
		t.Fatalf("the visit did not finish: %q", v.status.Text)
	}
	test.Tap(button(t, v.content, "Back to calendar"))
	if !hasLabel(row("Today"), "Seen") {
		t.Error("the calendar does not show the finished visit as Seen")
	}

	// Tomorrow's: a confirmation that says so, then the visit, dated today.
	cs.step(1)
	test.Tap(button(t, row("Tomorrow"), "Open chart"))
	v = cs.chart
	test.Tap(button(t, v.content, "Start visit"))
	if v.encounter != nil || !dialogSays(w, "not today") {
		t.Fatal("tomorrow's visit started without asking")
	}
	tapDialog(t, w, "Start visit today")
	if v.encounter == nil || !v.encounter.Start.Equal(c.now) {
		t.Fatalf("tomorrow's visit after confirming: %+v %q", v.encounter, v.status.Text)
	}
}

// TestEmptyDayPointsToTheNextBookedDay: a free day (a weekend, a holiday)
// says when the physician's next appointments are and shows that day with
// one tap; a day with appointments, or a free one with none near, says
// nothing of the kind.
func TestEmptyDayPointsToTheNextBookedDay(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	ahead := startOfDay(c.now).AddDate(0, 0, 3).Add(10 * time.Hour)
	c.book(t, "Later", ahead)

	cs := c.calendar(t)

	want := "Your next appointments are on " + ahead.Format("Monday 2 January")
	if !hasLabel(cs.stack, want) {
		t.Fatalf("a free day does not say %q", want)
	}
	test.Tap(button(t, cs.stack, "Show "+ahead.Format("Monday 2 January")))
	if got := cs.title.Text; got != ahead.Format("Monday 2 January 2006") {
		t.Fatalf("the day shown is %q, want %s", got, ahead.Format("Monday 2 January 2006"))
	}
	if !hasLabel(cs.stack, "Later, Cora") || hasLabel(cs.stack, "Your next appointments") {
		t.Fatal("the booked day does not show its appointment alone")
	}
	cs.date = ahead.AddDate(0, 0, 1)
	cs.load()
	if hasLabel(cs.stack, "Your next appointments") || !hasLabel(cs.stack, "No appointments on this day.") {
		t.Fatal("a free day with nothing booked after it points somewhere")
	}
}

// TestGoToDateAsTheWorkstationWritesIt: the calendar's Go to date reads a
// day as the workstation writes dates (Settings), as the desk does, and
// says how to write one when it cannot read it; YYYY-MM-DD still works.
func TestGoToDateAsTheWorkstationWritesIt(t *testing.T) {
	test.NewTempApp(t)
	kit.SetDateFormat(kit.MonthDayYear)
	t.Cleanup(func() { kit.SetDateFormat("") })
	c := newTestClinic(t)
	cs := c.calendar(t)
	if cs.dateEntry.PlaceHolder != "MM/DD/YYYY" {
		t.Errorf("Go to date's placeholder is %q", cs.dateEntry.PlaceHolder)
	}
	for _, tt := range []struct{ typed, title string }{
		{"12/07/2026", "Monday 7 December 2026"},
		{"2026-12-08", "Tuesday 8 December 2026"},
	} {
		cs.dateEntry.SetText(tt.typed)
		cs.goTo()
		if cs.title.Text != tt.title {
			t.Errorf("Go to %q shows %q, want %q", tt.typed, cs.title.Text, tt.title)
		}
	}
	cs.dateEntry.SetText("7 Dec")
	cs.goTo()
	if !strings.Contains(cs.fb.Label.Text, "write it as") {
		t.Errorf("an unreadable date says %q", cs.fb.Label.Text)
	}
}

// calendar is the physician's calendar of c in a 1200x800 test window,
// at c's time.
func (c *testClinic) calendar(t *testing.T) *calendarScreen {
	t.Helper()
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1200, 800))
	s := newScreen(clinicOfTest(t, c.phys), w)
	s.inline, s.now = true, func() time.Time { return c.now }
	cs := newCalendar(s)
	w.SetContent(container.NewVScroll(cs.stack))
	return cs
}

// TestBackAsksBeforeLosingANote: Back to calendar with a note typed and
// not signed asks first (the draft was silently dropped, seen under
// Xvfb); Stay here keeps the chart and the text, Discard and leave goes
// back. The calendar says the same to the shell (kit.Unsaved), which asks
// before swapping the section away.
func TestBackAsksBeforeLosingANote(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	c.book(t, "Today", c.now.Add(time.Hour))
	cs := c.calendar(t)
	w := cs.win
	row, ok := find(cs.stack, func(b *fyne.Container) bool { return hasLabel(b, "Today, Cora") && len(b.Objects) == 3 })
	if !ok {
		t.Fatal("no calendar row")
	}
	test.Tap(button(t, row, "Open chart"))
	v := cs.chart
	if got := cs.unsaved(); got != "" {
		t.Fatalf("an untouched chart has something unsaved: %q", got)
	}
	test.Type(v.notes.s, "Cough for 3 days")
	if got := cs.unsaved(); !strings.Contains(got, "The note you started for Today, Cora") {
		t.Errorf("unsaved = %q", got)
	}
	test.Tap(button(t, v.content, "Back to calendar"))
	if cs.chart != v || !dialogSays(w, "If you leave now, what you typed is lost") {
		t.Fatal("Back to calendar left the typed note without asking")
	}
	tapDialog(t, w, "Stay here")
	if cs.chart != v || v.notes.s.Text != "Cough for 3 days" {
		t.Fatalf("Stay here did not keep the note: %q", v.notes.s.Text)
	}
	test.Tap(button(t, v.content, "Back to calendar"))
	tapDialog(t, w, "Discard and leave")
	if cs.chart != nil {
		t.Fatal("Discard and leave did not go back to the calendar")
	}

	// Vitals typed count too; a signed note leaves nothing behind.
	test.Tap(button(t, row, "Open chart"))
	v = cs.chart
	test.Type(v.vf.pulse, "72")
	if got := cs.unsaved(); !strings.HasPrefix(got, "The vitals you started") {
		t.Errorf("unsaved with vitals typed = %q", got)
	}
	v.vf.clear()
	v.rx.drug.SetText("amoxicillin 500 mg capsule") // chosen, not added yet
	if got := cs.unsaved(); !strings.HasPrefix(got, "The prescription you started") {
		t.Errorf("unsaved with a drug chosen = %q", got)
	}
	v.rx.drug.SetText("")
	test.Type(v.notes.a, "Viral URTI")
	v.notes.signNote(v.notes.note())
	if got := cs.unsaved(); got != "" {
		t.Errorf("after signing: unsaved = %q (%q)", got, v.notes.fb.Text)
	}
	test.Tap(button(t, v.content, "Back to calendar"))
	if cs.chart != nil {
		t.Error("Back to calendar asked with nothing to lose")
	}
}
