package chart_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
)

// appointmentAt reads an appointment as the front desk's workstation holds it.
func appointmentAt(t *testing.T, s *app.Session, id string) records.Appointment {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	_, st, err := r.Entity(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return records.AppointmentFromState(id, st)
}

// TestVisitStartsOnlyOnPurpose: opening a chart starts nothing; Start
// visit dates the visit now and the desk sees the appointment "in visit";
// Finish visit makes it "seen"; a note written with no visit open belongs
// to the chart alone; an appointment of another day needs the physician's
// confirmation.
func TestVisitStartsOnlyOnPurpose(t *testing.T) {
	ctx := context.Background()
	c, p, a := visit(t)
	ch := cs(c.Phys)
	opened, err := ch.OpenChart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := opened.OpenVisit(); ok || len(opened.Encounters) != 0 {
		t.Fatalf("opening the chart started a visit: %+v", opened.Encounters)
	}
	if _, err := ch.WriteNote(ctx, chart.Note{Patient: p.ID, Plan: "Phone call: results normal."}); err != nil {
		t.Fatal(err)
	}
	enc, err := ch.StartVisit(ctx, a.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if !enc.Start.Equal(c.Clock.Now()) || enc.Appointment != a.ID {
		t.Errorf("visit %+v, want it started now for the appointment", enc)
	}
	if again, err := ch.StartVisit(ctx, a.ID, false); err != nil || again.ID != enc.ID {
		t.Errorf("starting again: %+v %v, want the open visit", again, err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	if got := appointmentAt(t, c.Recep, a.ID); got.Status != records.StatusInVisit || chart.VisitState(got, c.Clock.Now()) != "In visit" {
		t.Errorf("the desk sees %q, want in visit", got.Status)
	}
	now, err := ch.RefreshChart(ctx, opened)
	if err != nil {
		t.Fatal(err)
	}
	if open, ok := now.OpenVisit(); !ok || open.ID != enc.ID || len(now.Notes) != 1 || now.Notes[0].Encounter != "" {
		t.Errorf("open visit %+v %v; notes %+v (the earlier note belongs to no visit)", open, ok, now.Notes)
	}

	c.Clock.Add(20 * time.Minute)
	done, err := ch.FinishVisit(ctx, enc.ID)
	if err != nil || !done.End.Equal(c.Clock.Now()) {
		t.Fatalf("FinishVisit: %+v %v", done, err)
	}
	if _, err := ch.FinishVisit(ctx, enc.ID); err == nil {
		t.Error("finished twice")
	}
	if _, err := ch.StartVisit(ctx, a.ID, false); err == nil {
		t.Error("a finished visit started again")
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	if got := appointmentAt(t, c.Recep, a.ID); got.Status != records.StatusSeen {
		t.Errorf("the desk sees %q after the visit, want seen", got.Status)
	}
	now, _ = ch.RefreshChart(ctx, now)
	if _, ok := now.OpenVisit(); ok {
		t.Error("a finished visit is still open")
	}

	// Tomorrow's appointment: not without the physician's confirmation.
	tomorrow, err := frontdesk.New(c.Recep.Core()).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: c.Phys.Fingerprint(),
		Start: c.Clock.Now().Add(24 * time.Hour), Minutes: 15, Reason: "Review"})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.StartVisit(ctx, tomorrow.ID, false); !errors.Is(err, chart.ErrNotToday) {
		t.Fatalf("tomorrow's visit without confirmation: %v, want ErrNotToday", err)
	}
	if en, err := ch.StartVisit(ctx, tomorrow.ID, true); err != nil || !en.Start.Equal(c.Clock.Now()) {
		t.Errorf("tomorrow's visit, confirmed: %+v %v (dated now)", en, err)
	}
}

func TestVisitState(t *testing.T) {
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	during, after := start.Add(5*time.Minute), start.Add(2*time.Hour)
	tests := []struct {
		status string
		at     time.Time
		want   string
	}{
		{records.StatusBooked, during, "Booked"},
		{records.StatusBooked, after, "Not seen"},
		{records.StatusArrived, during, "Arrived"},
		{records.StatusArrived, after, "Not seen"},
		{records.StatusInVisit, after, "In visit"},
		{records.StatusSeen, after, "Seen"},
		{records.StatusNoShow, after, "No-show"},
		{records.StatusCancelled, during, "Cancelled"},
	}
	for _, tt := range tests {
		a := records.Appointment{Start: start, Minutes: 20, Status: tt.status}
		if got := chart.VisitState(a, tt.at); got != tt.want {
			t.Errorf("%s at %s: %q, want %q", tt.status, tt.at.Format("15:04"), got, tt.want)
		}
	}
}

// TestUndoCheckInRacingTheVisit: the desk undoes a check-in while, on
// the physician's workstation, the visit of that appointment starts (and
// later finishes); neither has seen the other's event. Each field's last
// writer wins, and the undo may be the last: it wrote the status "booked"
// and no arrival. Every workstation must still read a started visit, with
// an arrival (the visit's start when the undo cleared the check-in's time),
// and the desk's undo, once it has seen the visit, is refused in words the
// receptionist understands.
func TestUndoCheckInRacingTheVisit(t *testing.T) {
	ctx := context.Background()
	c, p, a := visit(t)
	desk := frontdesk.New(c.Recep.Core())
	if _, err := desk.CheckIn(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	c.Clock.Add(5 * time.Minute)
	enc, err := cs(c.Phys).StartVisit(ctx, a.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	// The desk keeps working (its clock runs ahead of the physician's),
	// then undoes the check-in it still sees: its undo is the last writer.
	for i := 0; i < 3; i++ {
		if _, err := desk.Register(ctx, app.Patient{Family: "Walkin", Given: string(rune('A' + i)), Birth: "1990-01-0" + string(rune('1'+i))}, false); err != nil {
			t.Fatal(err)
		}
	}
	if undone, err := desk.UndoCheckIn(ctx, a.ID); err != nil || undone.Status != records.StatusBooked {
		t.Fatalf("the desk's undo, before it has seen the visit: %+v, %v", undone, err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	for _, s := range c.All()[1:] {
		got := appointmentAt(t, s, a.ID)
		if got.Status != records.StatusInVisit || got.Arrived.IsZero() || chart.VisitState(got, c.Clock.Now()) != "In visit" {
			t.Errorf("%s reads status %q, arrived %v: want the visit started, with an arrival", s.StaffName(), got.Status, got.Arrived)
		}
	}
	day, err := desk.FrontDeskDay(ctx, c.Clock.Now())
	if err != nil || day.Counts[frontdesk.Arrived] != 1 || day.Counts[frontdesk.Expected]+day.Counts[frontdesk.Late] != 0 {
		t.Errorf("the desk's day: %+v, %v", day.Counts, err)
	}
	_, err = desk.UndoCheckIn(ctx, a.ID)
	if !errors.Is(err, app.ErrInvalidInput) || !strings.Contains(err.Error(), "The visit has started; it cannot be undone here") {
		t.Errorf("undo once the visit is seen: %v", err)
	}
	if _, err := desk.CheckIn(ctx, a.ID); err == nil {
		t.Error("checked in again during the visit")
	}
	// Finished, then the same race with the desk's check-in: seen stays seen.
	c.Clock.Add(15 * time.Minute)
	if _, err := cs(c.Phys).FinishVisit(ctx, enc.ID); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	for _, s := range c.All()[1:] {
		if got := appointmentAt(t, s, a.ID); got.Status != records.StatusSeen || got.Arrived.IsZero() {
			t.Errorf("%s after the visit: %q, arrived %v", s.StaffName(), got.Status, got.Arrived)
		}
	}
	_ = p
}
