package frontdesk

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	desk "github.com/medihaven/medihaven/app/frontdesk"
)

// TestCheckedInKeepsTheButtonsInPlace: "Checked in." appears without
// moving Undo check-in (where Check in was) or what lies below, so that a
// quick second click lands on the button it aims at.
func TestCheckedInKeepsTheButtonsInPlace(t *testing.T) {
	recep, phys, bea, zone := withBea(t)
	a, err := recep.Book(context.Background(), desk.Appointment{Patient: bea.ID, Physician: phys[0].Fingerprint,
		Start: time.Date(2026, 11, 2, 11, 0, 0, 0, zone), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	s := onAppointments(t, recep)
	s.show(time.Date(2026, 11, 2, 0, 0, 0, 0, zone))
	s.detail.open(a.ID)
	at := func(o fyne.CanvasObject) fyne.Position {
		// the test canvas lays out again only when resized
		size := s.win.Canvas().Size()
		s.win.Resize(size.AddWidthHeight(0, 1))
		s.win.Resize(size)
		return fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	}
	checkIn, move := at(s.detail.checkIn), at(s.detail.move)
	test.Tap(s.detail.checkIn)
	if s.detail.message.Text != "Checked in." || !s.detail.undoIn.Visible() {
		t.Fatalf("after Check in: %q, undo shown %v", s.detail.message.Text, s.detail.undoIn.Visible())
	}
	if got := at(s.detail.undoIn); got != checkIn {
		t.Errorf("Undo check-in at %v, Check in was at %v", got, checkIn)
	}
	if got := at(s.detail.move); got != move {
		t.Errorf("Move at %v, was at %v", got, move)
	}
}
