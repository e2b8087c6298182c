package frontdesk

import (
	"context"
	"testing"
	"time"

	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// TestEscGivesTheKeyboardBackToCheckIn: Tab to Check in on an appointment
// of another day, Space asks "Check in for another day?", Esc answers no,
// and the keyboard is on Check in again: the receptionist goes on without
// the mouse. Before, it was nowhere (Fyne's Button.Tapped takes it before
// the question shows).
func TestEscGivesTheKeyboardBackToCheckIn(t *testing.T) {
	recep, phys, bea, zone := withBea(t)
	tomorrow := time.Date(2026, 11, 3, 10, 0, 0, 0, zone)
	a, err := recep.Book(context.Background(), desk.Appointment{Patient: bea.ID, Physician: phys[0].Fingerprint, Start: tomorrow, Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	s := onAppointments(t, recep) // env.confirm unset: the real question
	s.show(tomorrow)
	s.detail.open(a.ID)
	if got := kittest.SpaceThenEsc(t, s.win.Canvas(), s.detail.checkIn); got != s.detail.checkIn {
		t.Errorf("after Esc the keyboard is on %v; want Check in", got)
	}
	if as, _ := recep.PatientAppointments(context.Background(), bea.ID); len(as) != 1 || as[0].Status != desk.StatusBooked {
		t.Errorf("Esc checked in: %+v", as)
	}
}
