package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
)

func init() { demoSeeders = append(demoSeeders, seedFrontDesk) }

// demoHours are the demo physicians' weeks: the first works Monday to
// Friday in 15-minute slots, the second Monday to Thursday in 20-minute
// slots and has a day off next week.
var demoHours = []struct {
	slot int
	days []time.Weekday
	text string
}{
	{15, []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, "08:00-12:00, 13:00-17:00"},
	{20, []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}, "09:00-13:00, 14:00-18:00"},
}

var demoCancelReasons = []string{"Patient called: feeling better", "Patient is travelling", "Rebooked by phone", "Clash with work"}

// seedFrontDesk gives the demo physicians working hours and books a
// realistic week: most slots of today and the next six days taken, a
// weekly physiotherapy series, and today's earlier patients arrived, a
// no-show and a cancellation.
func seedFrontDesk(ctx context.Context, dc DemoClinic) error {
	desk := frontdesk.New(dc.Reception.Core())
	zone, err := dc.Reception.ClinicZone(ctx)
	if err != nil {
		return err
	}
	now := time.Now().In(zone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	for i, s := range dc.Physicians {
		h := demoHours[i%len(demoHours)]
		hours, err := frontdesk.ParseHours(h.text)
		if err != nil {
			return err
		}
		av := frontdesk.Availability{Physician: s.Fingerprint(), SlotMinutes: h.slot}
		for _, d := range h.days {
			av.Week[d] = hours
		}
		if err := desk.SetAvailability(ctx, av); err != nil {
			return fmt.Errorf("demo availability: %w", err)
		}
		if i == 1 {
			if err := desk.SetDayOff(ctx, s.Fingerprint(), today.AddDate(0, 0, 8).Format("2006-01-02"), true); err != nil {
				return err
			}
		}
	}
	var patients []app.Patient
	for _, f := range demoFamily {
		found, err := dc.Reception.SearchPatients(ctx, f, 12)
		if err != nil {
			return err
		}
		patients = append(patients, found...)
	}
	if len(patients) == 0 {
		return nil
	}
	pick := func() app.Patient { return patients[dc.Rand.IntN(len(patients))] }
	fps := make([]string, len(dc.Physicians))
	for i, s := range dc.Physicians {
		fps[i] = s.Fingerprint()
	}
	for d := 0; d < 7; d++ {
		day, err := desk.DaySchedule(ctx, fps, today.AddDate(0, 0, d))
		if err != nil {
			return err
		}
		for _, pd := range day {
			for _, sl := range pd.Slots {
				if !sl.Free() || dc.Rand.IntN(100) >= 65 {
					continue
				}
				a, err := desk.Book(ctx, frontdesk.Appointment{Patient: pick().ID, Physician: pd.Physician.Fingerprint, Start: sl.Start,
					Minutes: int(sl.End.Sub(sl.Start) / time.Minute), Reason: demoVisits[dc.Rand.IntN(len(demoVisits))]})
				if errors.Is(err, frontdesk.ErrSlotTaken) {
					continue
				}
				if err != nil {
					return fmt.Errorf("demo booking: %w", err)
				}
				if d > 0 {
					if dc.Rand.IntN(40) == 0 {
						if _, err := desk.Cancel(ctx, a.ID, demoCancelReasons[dc.Rand.IntN(len(demoCancelReasons))]); err != nil {
							return err
						}
					}
					continue
				}
				switch past := a.Start.Before(now.Add(-10 * time.Minute)); {
				case past && dc.Rand.IntN(12) == 0:
					_, err = desk.MarkNoShow(ctx, a.ID)
				case past:
					_, err = desk.CheckIn(ctx, a.ID)
				case dc.Rand.IntN(15) == 0:
					_, err = desk.Cancel(ctx, a.ID, demoCancelReasons[dc.Rand.IntN(len(demoCancelReasons))])
				}
				if err != nil {
					return err
				}
			}
		}
	}
	// A weekly physiotherapy follow-up over lunch, overbooked on purpose.
	if len(fps) > 0 {
		first := time.Date(today.Year(), today.Month(), today.Day()+1, 12, 15, 0, 0, zone)
		if _, err := desk.BookSeries(ctx, frontdesk.Appointment{Patient: pick().ID, Physician: fps[0], Start: first, Minutes: 15,
			Reason: "Physiotherapy follow-up", Overbooked: true}, frontdesk.Recurrence{EveryWeeks: 1, Count: 8}); err != nil {
			return fmt.Errorf("demo series: %w", err)
		}
	}
	return nil
}
