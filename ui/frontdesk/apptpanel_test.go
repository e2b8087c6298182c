package frontdesk

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	desk "github.com/medihaven/medihaven/app/frontdesk"
)

// beaOnThePanel books Bea at 11:00 on Monday 2 November and opens her
// appointment in the Appointments screen's panel.
func beaOnThePanel(t *testing.T) *appointmentsScreen {
	t.Helper()
	recep, phys, bea, zone := withBea(t)
	a, err := recep.Book(context.Background(), desk.Appointment{Patient: bea.ID, Physician: phys[0].Fingerprint,
		Start: time.Date(2026, 11, 2, 11, 0, 0, 0, zone), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	s := onAppointments(t, recep)
	s.show(time.Date(2026, 11, 2, 0, 0, 0, 0, zone))
	s.detail.open(a.ID)
	return s
}

// TestCheckedInKeepsTheButtonsInPlace: "Checked in." appears without
// moving Undo check-in (where Check in was) or what lies below, so that a
// quick second click lands on the button it aims at.
func TestCheckedInKeepsTheButtonsInPlace(t *testing.T) {
	s := beaOnThePanel(t)
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

// TestEnterMovesAndCancels: under Xvfb a new start time typed in the
// panel and Enter did nothing (Move was a Tab and Space away). Enter in
// Day, Start or Minutes moves the appointment; Enter in the reason
// cancels it, and with no reason says to give one.
func TestEnterMovesAndCancels(t *testing.T) {
	s := beaOnThePanel(t)
	p := s.detail
	p.startE.SetText("11:30")
	s.win.Canvas().Focus(p.startE)
	s.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !strings.HasPrefix(p.message.Text, "Moved to Mon 2 Nov at 11:30") {
		t.Fatalf("Enter in Start: %q", p.message.Text)
	}
	s.win.Canvas().Focus(p.reason)
	s.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if !strings.Contains(p.message.Text, "Say why it is cancelled first") {
		t.Errorf("Enter in an empty reason: %q", p.message.Text)
	}
	p.reason.SetText("Patient called, unwell")
	s.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if p.message.Text != "Cancelled." {
		t.Errorf("Enter in the reason: %q", p.message.Text)
	}
}
