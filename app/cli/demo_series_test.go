package cli

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/frontdesk"
)

// TestDemoSeriesFindsAFreeSlot: the demo's weekly series starts at the
// first free quarter-hour from 16:00 on the next working day. Seeded on a
// Saturday, the visit day's visits fill Monday afternoon, and a series
// fixed at 16:00 made `medihaven demo` (and so `make run`) fail every
// weekend (session 16).
func TestDemoSeriesFindsAFreeSlot(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	desk := frontdesk.New(c.Recep.Core())
	zone, err := c.Recep.ClinicZone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hours, err := frontdesk.ParseHours("08:00-12:00, 13:00-17:00")
	if err != nil {
		t.Fatal(err)
	}
	av := frontdesk.Availability{Physician: c.Phys.Fingerprint(), SlotMinutes: 15}
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday} {
		av.Week[d] = hours
	}
	if err := desk.SetAvailability(ctx, av); err != nil {
		t.Fatal(err)
	}
	// A Saturday a week or more ahead: its Monday is bookable.
	saturday := time.Now().In(zone).AddDate(0, 0, 7)
	for saturday.Weekday() != time.Saturday {
		saturday = saturday.AddDate(0, 0, 1)
	}
	saturday = time.Date(saturday.Year(), saturday.Month(), saturday.Day(), 0, 0, 0, 0, zone)
	monday := saturday.AddDate(0, 0, 2)
	var patients []app.Patient
	for _, family := range []string{"Early", "Series"} {
		p, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: family, Given: "Pat", Birth: "1970-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		patients = append(patients, p)
	}
	if _, err := desk.Book(ctx, frontdesk.Appointment{Patient: patients[0].ID, Physician: c.Phys.Fingerprint(),
		Start: time.Date(monday.Year(), monday.Month(), monday.Day(), 16, 0, 0, 0, zone), Minutes: 15, Reason: "Visit"}); err != nil {
		t.Fatal(err)
	}
	if err := bookDemoSeries(ctx, desk, frontdesk.Appointment{Patient: patients[1].ID, Physician: c.Phys.Fingerprint(), Minutes: 15,
		Reason: "Physiotherapy follow-up"}, saturday); err != nil {
		t.Fatalf("the series on a Saturday: %v", err)
	}
	day, err := desk.DaySchedule(ctx, []string{c.Phys.Fingerprint()}, monday)
	if err != nil {
		t.Fatal(err)
	}
	for _, sl := range day[0].Slots {
		if sl.Start.Hour() == 16 && sl.Start.Minute() == 15 && !sl.Free() {
			return
		}
	}
	t.Error("the series does not start at 16:15 on Monday, the first free quarter-hour from 16:00")
}
