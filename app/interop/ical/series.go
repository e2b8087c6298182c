package ical

import (
	"math"
	"time"

	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
)

// A weekly series is written as one event with a rule. Medihaven keeps a
// series as one appointment per occurrence (BookSeries), not as a rule, so
// the rule is read back from them: the grid of weekly instances that most
// appointments sit on (the booked one, unless most were moved), one instance
// per appointment; an appointment off the grid (moved) takes the nearest free
// instance and becomes an override (RECURRENCE-ID), and an instance without
// an appointment, or whose appointment was cancelled, an EXDATE.

// seriesPlan is a series as iCalendar describes it.
type seriesPlan struct {
	Master    frontdesk.Appointment // text and ids of the event
	Start     time.Time             // DTSTART: the rule's first instance
	Minutes   int                   // length of an instance
	Weeks     int                   // INTERVAL
	Count     int                   // COUNT: instances from Start, EXDATEs included
	Last      time.Time             // end of the last instance
	Exdates   []time.Time
	Overrides []seriesOverride
	Cancelled bool // every appointment of the series is cancelled
	// Alone are the appointments the rule does not hold, each written as
	// its own event: a start more than records.MaxStartYears from now, or
	// more than frontdesk.MaxOccurrences instances from the rule's grid
	// (only modified software writes either; cancelled ones are left out
	// unless the whole series is cancelled). Count is 0 when no
	// appointment is on a rule.
	Alone []frontdesk.Appointment
}

// seriesOverride is one appointment that differs from its instance.
type seriesOverride struct {
	Instance    time.Time // RECURRENCE-ID
	Appointment frontdesk.Appointment
}

// planSeries reads a series' rule back from its appointments (by time),
// which repeat every weeks weeks in zone; text tells whether an
// appointment's event text differs from the master's. Whatever the
// starts, the rule spans at most 2*MaxOccurrences+1 instances, all within
// records.MaxStartYears of now (h-low27: one appointment moved to 9999
// wrote an EXDATE for every week until then).
func planSeries(all []frontdesk.Appointment, weeks int, zone *time.Location, now time.Time, text func(frontdesk.Appointment) Text) seriesPlan {
	if weeks < 1 {
		weeks = 1
	}
	var as, alone []frontdesk.Appointment
	allCancelled := true
	for _, a := range all {
		if a.Start.IsZero() {
			continue // its start does not parse: on no day (records.StartUnreadable)
		}
		allCancelled = allCancelled && a.Status == frontdesk.StatusCancelled
		if records.StartInRange(a.Start, now) {
			as = append(as, a)
		} else {
			alone = append(alone, a)
		}
	}
	keepAlone := func(p seriesPlan) seriesPlan {
		for _, a := range alone {
			if a.Status != frontdesk.StatusCancelled || allCancelled {
				p.Alone = append(p.Alone, a)
			}
		}
		return p
	}
	if len(as) == 0 {
		return keepAlone(seriesPlan{Master: all[0], Weeks: weeks})
	}
	step := 7 * weeks
	clock := func(t time.Time) int { t = t.In(zone); return t.Hour()*60 + t.Minute() }
	// The anchor that puts most appointments still on the calendar on its
	// grid (each one off it costs an override; a cancelled one costs
	// nothing, its instance is an EXDATE anyway); the earliest wins a tie.
	// Two appointments share a grid when their clocks match and their days
	// differ by a multiple of the step: counted by that, in one pass (it
	// was their number squared: 3.6 s for 5,000 appointments).
	type grid struct{ clock, phase int }
	on := func(t time.Time) grid { return grid{clock(t), ((dayDiff(as[0].Start, t, zone) % step) + step) % step} }
	count := map[grid]int{}
	for _, a := range as {
		if a.Status != frontdesk.StatusCancelled {
			count[on(a.Start)]++
		}
	}
	anchor, best := as[0].Start.In(zone), -1
	for _, c := range as {
		if n := count[on(c.Start)]; n > best {
			anchor, best = c.Start.In(zone), n
		}
	}
	instance := func(k int) time.Time {
		return records.WallClock(anchor.Year(), anchor.Month(), anchor.Day()+step*k, clock(anchor), zone)
	}
	at := map[int]frontdesk.Appointment{}
	free := func(k int) bool {
		_, taken := at[k]
		return !taken && k >= -frontdesk.MaxOccurrences && k <= frontdesk.MaxOccurrences && records.StartInRange(instance(k), now)
	}
	var moved []frontdesk.Appointment
	for _, a := range as {
		d := dayDiff(anchor, a.Start, zone)
		k := d / step
		if d%step == 0 && clock(a.Start) == clock(anchor) && free(k) {
			at[k] = a
			continue
		}
		moved = append(moved, a)
	}
	for _, a := range moved {
		k0 := int(math.Round(float64(dayDiff(anchor, a.Start, zone)) / float64(step)))
		placed := false
		for i := 0; i <= 2*frontdesk.MaxOccurrences && !placed; i++ {
			if k := k0 + (i+1)/2*(1-2*(i%2)); free(k) { // k0, k0-1, k0+1, k0-2, …
				at[k], placed = a, true
			}
		}
		if !placed {
			alone = append(alone, a)
		}
	}
	kmin, kmax := 0, 0
	first := true
	for k := range at {
		if first || k < kmin {
			kmin = k
		}
		if first || k > kmax {
			kmax = k
		}
		first = false
	}
	p := seriesPlan{Weeks: weeks, Start: instance(kmin), Count: kmax - kmin + 1, Master: as[0], Minutes: as[0].Minutes, Cancelled: true}
	// The master's text and length: the first appointment not cancelled,
	// the most common length among those on the grid.
	lengths := map[int]int{}
	for k := kmin; k <= kmax; k++ {
		a, ok := at[k]
		if !ok || a.Status == frontdesk.StatusCancelled {
			continue
		}
		if p.Cancelled {
			p.Master, p.Cancelled = a, false
		}
		if a.Start.Equal(instance(k)) {
			lengths[a.Minutes]++
		}
	}
	for m, n := range lengths {
		if n > lengths[p.Minutes] || (n == lengths[p.Minutes] && m < p.Minutes) {
			p.Minutes = m
		}
	}
	p.Last = instance(kmax).Add(time.Duration(p.Minutes) * time.Minute)
	switch {
	case p.Cancelled && !allCancelled:
		// Those the rule holds are all cancelled, and they would be
		// EXDATEs: only the appointments alone show.
		return keepAlone(seriesPlan{Master: all[0], Weeks: weeks})
	case p.Cancelled:
		return keepAlone(p) // the whole series is cancelled: STATUS:CANCELLED says it
	}
	master := text(p.Master)
	for k := kmin; k <= kmax; k++ {
		a, ok := at[k]
		switch {
		case !ok || a.Status == frontdesk.StatusCancelled:
			p.Exdates = append(p.Exdates, instance(k))
		case !a.Start.Equal(instance(k)) || a.Minutes != p.Minutes || text(a) != master:
			p.Overrides = append(p.Overrides, seriesOverride{Instance: instance(k), Appointment: a})
		}
	}
	return keepAlone(p)
}

// dayDiff is the number of the clinic's calendar days from a to b (a day
// of a daylight-saving change lasts 23 or 25 hours).
func dayDiff(a, b time.Time, zone *time.Location) int {
	a, b = a.In(zone), b.In(zone)
	noon := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, time.UTC) }
	return int(math.Round(noon(b).Sub(noon(a)).Hours() / 24))
}
