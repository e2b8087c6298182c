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
