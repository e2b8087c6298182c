package frontdesk

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/app"
)

// An open record books its patient: a physician, a day, one of the free
// times that have not begun; a second booking the same day asks first.
func TestBookFromThePatientRecord(t *testing.T) {
	test.NewTempApp(t)
	recep, _ := clinic(t)
	ctx := context.Background()
	bea, err := recep.Register(ctx, app.Patient{Family: "Booker", Given: "Bea", Birth: "1970-07-07"}, false)
	if err != nil {
		t.Fatal(err)
	}
	w := test.NewWindow(nil)
	defer w.Close()
	e := inPlace(recep, w)
	var asked []string
	e.confirm = func(title, _ string, yes func()) { asked = append(asked, title); yes() }
	s := newPatients(e)
	w.SetContent(s.content())
	w.Resize(fyne.NewSize(1280, 800))
	s.form.open(bea.ID)
	if !s.form.bookBtn.Visible() {
		t.Fatal("an open record offers no booking")
	}
	test.Tap(s.form.bookBtn)
	q := s.form.quick
	if w.Canvas().Focused() != q.who {
		t.Errorf("the booking opened with the focus on %T, not the physician", w.Canvas().Focused())
	}
	q.who.SetSelected("Dr Paul Okafor") // works 08:00-12:00; it is 09:00
	if len(q.times.Options) != 12 || q.times.Options[0] != "09:00 (15 min)" {
		t.Fatalf("free times %v, want 09:00 to 11:45", q.times.Options)
	}
	test.Tap(q.book)
	if !strings.Contains(q.message.Text, "Choose a physician, a day and a free time") {
		t.Errorf("booking without a time: %q", q.message.Text)
	}
	q.times.SetSelectedIndex(2)
	typeInto(q.reason, "Vaccination")
	q.reason.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter in Reason books
	if !strings.Contains(q.message.Text, "Booked Booker, Bea with Dr Paul Okafor on Mon 2 Nov at 09:30") || len(asked) != 0 {
		t.Fatalf("book: %q (asked %v)", q.message.Text, asked)
	}
	if len(q.times.Options) != 11 {
		t.Errorf("the booked time is still offered: %v", q.times.Options)
	}
	q.times.SetSelectedIndex(0)
	test.Tap(q.book)
	if len(asked) != 1 || asked[0] != "Same patient twice?" {
		t.Errorf("a second booking that day asked %v", asked)
	}
	as, err := recep.PatientAppointments(ctx, bea.ID)
	if err != nil || len(as) != 2 || as[0].Reason != "" || as[1].Reason != "Vaccination" {
		t.Errorf("booked %+v, %v", as, err)
	}
}

// TestBookingSaysWhenNoTimeIsFree: with a physician and a day chosen and
// nothing free, the Time pick says so, and Book (or Enter) says to choose
// another day, not "Choose a physician, a day and a free time first",
// which read as if the day typed had not been taken (seen under Xvfb).
func TestBookingSaysWhenNoTimeIsFree(t *testing.T) {
	test.NewTempApp(t)
	recep, _ := clinic(t)
	bea, err := recep.Register(context.Background(), app.Patient{Family: "Booker", Given: "Bea", Birth: "1970-07-07"}, false)
	if err != nil {
		t.Fatal(err)
	}
	w := test.NewWindow(nil)
	defer w.Close()
	s := newPatients(inPlace(recep, w))
	w.SetContent(s.content())
	w.Resize(fyne.NewSize(1280, 800))
	s.form.open(bea.ID)
	test.Tap(s.form.bookBtn)
	q := s.form.quick
	if q.times.PlaceHolder != "Choose a physician and a day" {
		t.Errorf("nothing chosen: the time says %q", q.times.PlaceHolder)
	}
	q.who.SetSelected("Dr Paul Okafor")
	if q.times.PlaceHolder != "Choose a time" {
		t.Errorf("times free: the time says %q", q.times.PlaceHolder)
	}
	q.dayE.SetText("") // a Sunday, off
	typeInto(q.dayE, "2026-11-08")
	if len(q.times.Options) != 0 || q.times.PlaceHolder != "No free time that day" {
		t.Errorf("a day off: options %v, the time says %q", q.times.Options, q.times.PlaceHolder)
	}
	test.Tap(q.book)
	if !strings.Contains(q.message.Text, "No free time that day: choose another day or physician") {
		t.Errorf("Book on a day off: %q", q.message.Text)
	}
}
