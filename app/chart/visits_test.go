package chart_test

import (
	"context"
	"errors"
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
