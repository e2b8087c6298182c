package frontdesk_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestAttackS27cStartOutOfReach (LOW, h-secb27's finding, h-low27): the
// desk's API refused only a zero start, so even honest software booked or
// moved an appointment to 9999 (one such member of a weekly series made
// each calendar export 2.3 MB: app/interop/ical's
// TestAttackS27cSeriesMemberFarAway). A start more than
// records.MaxStartYears (10) from today is refused at booking, moving and
// repeating; a series member modified software moved out of reach stays
// where it is when the desk moves the rest of the series.
func TestAttackS27cStartOutOfReach(t *testing.T) {
	ctx := context.Background()
	c, p, loc := frontDesk(t)
	fp := c.Phys.Fingerprint()
	now := c.Clock.Now()
	book := func(start time.Time) frontdesk.Appointment {
		return frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: start, Minutes: 15, Overbooked: true}
	}
	refused := []struct {
		name  string
		start time.Time
	}{
		{"9999", time.Date(9999, 12, 27, 9, 0, 0, 0, loc)},
		{"year 1", time.Date(1, 1, 1, 9, 0, 0, 0, loc)},
		{"eleven years ahead", now.AddDate(11, 0, 0)},
		{"eleven years back", now.AddDate(-11, 0, 0)},
	}
	ok, err := desk(c.Recep).Book(ctx, book(now.AddDate(9, 0, 0)))
	if err != nil {
		t.Fatalf("nine years ahead: %v", err)
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := desk(c.Recep).Book(ctx, book(tc.start)); !errors.Is(err, app.ErrInvalidInput) {
				t.Errorf("booked: %v", err)
			}
			if _, err := desk(c.Recep).Reschedule(ctx, ok.ID, tc.start, 15, true); !errors.Is(err, app.ErrInvalidInput) {
				t.Errorf("moved: %v", err)
			}
		})
	}
	// Every year for 104 years: refused whole, saying why.
	if _, err := desk(c.Recep).BookSeries(ctx, book(now.Add(time.Hour)), frontdesk.Recurrence{EveryWeeks: 52, Count: 104}); !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("a series for 104 years: %v", err)
	}
	// Modified software moves one of a weekly series to 9999: the desk
	// still moves the rest, and leaves that one where it is.
	series, err := desk(c.Recep).BookSeries(ctx, book(time.Date(2026, 11, 10, 9, 0, 0, 0, loc)), frontdesk.Recurrence{EveryWeeks: 1, Count: 4})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	far, _ := json.Marshal(time.Date(9999, 12, 27, 9, 0, 0, 0, loc).Format(time.RFC3339))
	if _, err := r.Append(ctx, replica.Change{Entity: series[3].ID, Kind: records.KindAppointment, Scope: roles.FrontDesk,
		Fields: replica.Fields{records.AppointmentStart: far}}); err != nil {
		t.Fatal(err)
	}
	moved, err := desk(c.Recep).RescheduleSeries(ctx, series[1].ID, time.Date(2026, 11, 18, 10, 0, 0, 0, loc), 15, true)
	if err != nil || len(moved) != 2 {
		t.Fatalf("the rest of the series: %d moved, %v", len(moved), err)
	}
	if got, err := desk(c.Recep).Appointment(ctx, series[3].ID); err != nil || got.Start.Year() != 9999 {
		t.Errorf("the appointment in 9999: %v, %v", got.Start, err)
	}
}

// TestAttackS27cStartUnreadable (LOW, h-secb27's finding, h-low27): a
// start that does not parse read as the zero time, but the index filed the
// appointment under its first ten characters: the day showed a booking at
// 1 January of year 1 (off every grid), the patient's list the same. Now
// every reader agrees: an appointment whose start does not parse is on no
// day (index and day reader alike), stays on the patient's list with its
// time unreadable, and the desk moves it to a time again.
func TestAttackS27cStartUnreadable(t *testing.T) {
	ctx := context.Background()
	c, p, loc := frontDesk(t)
	fp := c.Phys.Fingerprint()
	day := time.Date(2026, 11, 10, 0, 0, 0, 0, loc)
	one, err := desk(c.Recep).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: day.Add(9 * time.Hour), Minutes: 15, Overbooked: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"2026-11-10T09:00:00+01:00 or so", "2026-11-10", "2026-11-10T25:00:00+01:00", "soon"} {
		t.Run(bad, func(t *testing.T) {
			v, _ := json.Marshal(bad)
			if _, err := r.Append(ctx, replica.Change{Entity: one.ID, Kind: records.KindAppointment, Scope: roles.FrontDesk,
				Fields: replica.Fields{records.AppointmentStart: v}}); err != nil {
				t.Fatal(err)
			}
			got, err := desk(c.Recep).Calendar(ctx, fp, day)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range got {
				if a.ID == one.ID {
					t.Errorf("the day lists it at %v", a.Start)
				}
			}
			list, err := desk(c.Recep).PatientAppointments(ctx, p.ID)
			if err != nil || len(list) != 1 || list[0].ID != one.ID || !list[0].Start.IsZero() {
				t.Fatalf("the patient's list: %v, %v", list, err)
			}
			if s := list[0].StartText("Mon 2 Jan 2006 15:04", loc); s != records.StartUnreadable {
				t.Errorf("the patient's list shows its time as %q", s)
			}
		})
	}
	// The desk moves it to a time: it is on that day again.
	moved, err := desk(c.Recep).Reschedule(ctx, one.ID, day.Add(34*time.Hour), 15, true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := desk(c.Recep).Calendar(ctx, fp, day.AddDate(0, 0, 1))
	if err != nil || len(got) != 1 || got[0].ID != one.ID || !got[0].Start.Equal(moved.Start) {
		t.Errorf("the day it was moved to: %v, %v", got, err)
	}
}
