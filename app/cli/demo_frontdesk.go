package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
)

// demoHours are the demo physicians' weeks: the first works Monday to
// Friday in 15-minute slots and Saturday mornings, the second Monday to
// Thursday in 20-minute slots and Sunday mornings, and has a day off next
// week. The clinic is open every day, so the desk's Today has patients
// whatever day the demo is made or shown (on a Sunday it had none).
var demoHours = []struct {
	slot    int
	days    []time.Weekday
	text    string
	weekend time.Weekday
	morning string
}{
	{15, []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, "08:00-12:00, 13:00-17:00",
		time.Saturday, "09:00-13:00"},
	{20, []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}, "09:00-13:00, 14:00-18:00",
		time.Sunday, "09:00-13:00"},
}

var demoCancelReasons = []string{"Patient called: feeling better", "Patient is travelling", "Rebooked by phone", "Clash with work"}

// seedFrontDesk gives the demo physicians working hours, books the visit
// day's visits into each physician's own free slots, then a realistic
// week: most slots of today and the next six days taken, a weekly
// physiotherapy series, and today's earlier patients arrived, a no-show
// and a cancellation. Every booking follows the booking rules: on each
// physician's slot grid, within their hours.
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
		morning, err := frontdesk.ParseHours(h.morning)
		if err != nil {
			return err
		}
		av := frontdesk.Availability{Physician: s.Fingerprint(), SlotMinutes: h.slot}
		for _, d := range h.days {
			av.Week[d] = hours
		}
		av.Week[h.weekend] = morning
		if err := desk.SetAvailability(ctx, av); err != nil {
			return fmt.Errorf("demo availability: %w", err)
		}
		if i == 1 {
			if err := desk.SetDayOff(ctx, s.Fingerprint(), today.AddDate(0, 0, 8).Format("2006-01-02"), true); err != nil {
				return err
			}
		}
	}
	if err := bookDemoVisits(ctx, desk, dc, zone, now); err != nil {
		return err
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
	// A weekly physiotherapy follow-up from 16:00 on the next working day,
	// on the first physician's grid, booked before the week fills up.
	if len(fps) > 0 {
		if err := bookDemoSeries(ctx, desk, frontdesk.Appointment{Patient: pick().ID, Physician: fps[0], Minutes: 15,
			Reason: "Physiotherapy follow-up"}, today); err != nil {
			return fmt.Errorf("demo series: %w", err)
		}
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
					dc.Clock.At(a.Start.Add(time.Duration(dc.Rand.IntN(15)-8) * time.Minute))
					_, err = desk.CheckIn(ctx, a.ID)
					dc.Clock.At(time.Time{})
				case dc.Rand.IntN(15) == 0:
					_, err = desk.Cancel(ctx, a.ID, demoCancelReasons[dc.Rand.IntN(len(demoCancelReasons))])
				}
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// bookDemoVisits books dc.Visits on the visit day, each into the next free
// slot of its physician (or, when that physician does not work that day,
// of one who does). On a visit day that is today the slots still to come
// are taken first, so a demo made in the afternoon still has its prepared
// charts ahead; the visits whose time has passed had their patients
// arrive around their time (one in twelve did not come), as a real
// morning would, and the physician saw them (seedClinical).
// bookDemoSeries books a as a weekly series of eight from the first free
// quarter-hour from 16:00 on the next working day after today, trying
// the next working days: on a weekend the visit day's visits already
// fill Monday afternoon (bookDemoVisits), and the demo must seed on any
// day it is run.
func bookDemoSeries(ctx context.Context, desk *frontdesk.Service, a frontdesk.Appointment, today time.Time) error {
	var err error
	for day := today.AddDate(0, 0, 1); day.Before(today.AddDate(0, 0, 15)); day = day.AddDate(0, 0, 1) {
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		for minute := 0; minute < 60; minute += a.Minutes {
			a.Start = time.Date(day.Year(), day.Month(), day.Day(), 16, minute, 0, 0, day.Location())
			if _, err = desk.BookSeries(ctx, a, frontdesk.Recurrence{EveryWeeks: 1, Count: 8}); err == nil ||
				!errors.Is(err, frontdesk.ErrSlotTaken) && !errors.Is(err, frontdesk.ErrOutsideHours) {
				return err
			}
		}
	}
	return err
}

func bookDemoVisits(ctx context.Context, desk *frontdesk.Service, dc DemoClinic, zone *time.Location, now time.Time) error {
	day := time.Date(dc.VisitDay.Year(), dc.VisitDay.Month(), dc.VisitDay.Day(), 12, 0, 0, 0, zone)
	free := map[string][]frontdesk.Slot{}
	var working []string
	for _, s := range dc.Physicians {
		pd, err := desk.DaySchedule(ctx, []string{s.Fingerprint()}, day)
		if err != nil {
			return err
		}
		var ahead, past []frontdesk.Slot
		for _, sl := range pd[0].Slots {
			switch {
			case !sl.Free():
			case sl.Start.Before(now):
				past = append(past, sl)
			default:
				ahead = append(ahead, sl)
			}
		}
		free[s.Fingerprint()] = append(ahead, past...)
		if len(free[s.Fingerprint()]) > 0 {
			working = append(working, s.Fingerprint())
		}
	}
	for i, v := range dc.Visits {
		fp := v.Physician
		if len(free[fp]) == 0 {
			if len(working) == 0 {
				return nil
			}
			fp = working[i%len(working)]
			if len(free[fp]) == 0 {
				continue
			}
		}
		sl := free[fp][0]
		free[fp] = free[fp][1:]
		a, err := desk.Book(ctx, frontdesk.Appointment{Patient: v.Patient, Physician: fp, Start: sl.Start,
			Minutes: int(sl.End.Sub(sl.Start) / time.Minute), Reason: v.Reason})
		if err != nil {
			return fmt.Errorf("demo visit: %w", err)
		}
		if !a.Start.Before(now.Add(-10 * time.Minute)) {
			continue
		}
		if dc.Rand.IntN(12) == 0 {
			_, err = desk.MarkNoShow(ctx, a.ID)
		} else {
			dc.Clock.At(a.Start.Add(time.Duration(dc.Rand.IntN(15)-8) * time.Minute)) // in a little early or late
			_, err = desk.CheckIn(ctx, a.ID)
			dc.Clock.At(time.Time{})
		}
		if err != nil {
			return fmt.Errorf("demo visit: %w", err)
		}
	}
	return nil
}
