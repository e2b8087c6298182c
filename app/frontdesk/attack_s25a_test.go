package frontdesk_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestAttackS25aSlotLengthBreaksTheDay: Attack (MEDIUM, session 25 review
// h-rev25a): a physician's slot length is 5 to 240 minutes when the desk
// sets it (SetAvailability), and every workstation laid out the
// physician's day in slots of whatever length her availability record
// held (only 0 or less read as the default). A receptionist's modified
// software wrote a slot of 2^62 minutes: every workstation that showed
// that physician's day (the desk's day and week, Book) looped for ever
// laying out slots, its memory growing until it died; 2^61+7 minutes
// a row from 08:00 to a year past 292 billion, 1 minute 480 rows in 8 hours. The record
// reads now by the writer's rule (records.Availability.Slot): a length
// outside it is the default.
func TestAttackS25aSlotLengthBreaksTheDay(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	_, zone := c.FrontDesk(t)
	r, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 2, 12, 0, 0, 0, zone) // a Monday, 08-12 and 13-17
	from, to := time.Date(2026, 11, 2, 0, 0, 0, 0, zone), time.Date(2026, 11, 3, 0, 0, 0, 0, zone)
	// The layout of a length that ends first; a layout for ever of the
	// last runs only once those are bounded (else it would eat the
	// machine's memory).
	for _, slot := range []int64{1<<61 + 7, 1, 1 << 62} {
		if _, err := r.Append(ctx, replica.Change{Entity: "availability:" + c.Phys.Fingerprint(), Kind: records.KindAvailability, Scope: roles.FrontDesk,
			Fields: replica.Fields{records.AvailabilitySlot: json.RawMessage(json.Number(fmtInt(slot)))}}); err != nil {
			t.Fatal(err)
		}
		if err := app.SyncLocal(ctx, c.Recep, c.Phys2); err != nil {
			t.Fatal(err)
		}
		days, err := desk(c.Phys2).DaySchedule(ctx, []string{c.Phys.Fingerprint()}, day)
		if err != nil {
			t.Fatal(err)
		}
		working := 0
		for _, sl := range days[0].Slots {
			if sl.Working {
				working++
				if sl.Start.Before(from) || !sl.Start.Before(to) || sl.End.Before(sl.Start) {
					t.Errorf("slot of %d minutes: a working row %s–%s outside the day", slot, sl.Start, sl.End)
					break
				}
			}
		}
		if max := 8 * 60 / 5; working == 0 || working > max {
			t.Fatalf("slot of %d minutes: %d working rows in 8 hours; want 1 to %d (slots of 5 minutes at least)", slot, working, max)
		}
	}
}

func fmtInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestAttackS25aAppointmentLength: Attack (LOW, session 25 review
// h-rev25a): an appointment lasts 1 minute to 8 hours when the desk books
// or moves it, or imports it (checkAppointment, app/interop), and every
// workstation read whatever length its record held. A receptionist's
// modified software wrote 2^40 minutes on a booked appointment: its end
// overflowed to a day in 2189, the physician's day showed an extra row
// from 10:00 to it, -30 minutes ended before it began, the calendar export and
// FHIR export wrote it, and a length of days marked every other
// appointment of the day in conflict. The record reads now by the
// booking's rule (records.CheckMinutes): a length outside is the bound
// nearest.
func TestAttackS25aAppointmentLength(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	_, a := c.Visit(t)
	r, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	for _, minutes := range []int64{1 << 40, 100000, -30, 0} {
		if _, err := r.Append(ctx, replica.Change{Entity: a.ID, Kind: records.KindAppointment, Scope: roles.FrontDesk,
			Fields: replica.Fields{records.AppointmentMinutes: json.RawMessage(fmtInt(minutes))}}); err != nil {
			t.Fatal(err)
		}
		if err := app.SyncLocal(ctx, c.Recep, c.Phys2); err != nil {
			t.Fatal(err)
		}
		got, err := desk(c.Phys2).Appointment(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := got.End().Sub(got.Start); d < time.Minute || d > 8*time.Hour {
			t.Errorf("a length of %d minutes reads as %d minutes, from %s to %s; want 1 minute to 8 hours", minutes, got.Minutes, got.Start, got.End())
		}
	}
}
