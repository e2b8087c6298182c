package ical

import (
	"fmt"
	"time"

	ics "github.com/arran4/golang-ical"
)

// isUTC reports whether a clinic's zone is UTC, whose times are written
// with a Z and need no VTIMEZONE.
func isUTC(zone *time.Location) bool {
	switch zone.String() {
	case "UTC", "Etc/UTC":
		return true
	case "Local", "":
		// This computer's zone, unnamed: UTC when it never leaves it.
		for _, t := range []time.Time{time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC)} {
			if name, off := t.In(zone).Zone(); off != 0 || name != "UTC" {
				return false
			}
		}
		return true
	}
	return false
}

// zoneID is the TZID the calendar names the clinic's zone by: its IANA
// name, or a name of our own for this computer's unnamed zone (the
// VTIMEZONE defines it either way).
func zoneID(zone *time.Location) string {
	if n := zone.String(); n != "" && n != "Local" {
		return n
	}
	return "Medihaven-Clinic-Zone"
}

// vtimezone describes zone from the observance in effect at first to the
// last change before last, as explicit onsets from Go's zone data (no
// RRULE guessed): what a calendar program needs to place every event.
func vtimezone(tzid string, zone *time.Location, first, last time.Time) *ics.VTimezone {
	tz := ics.NewTimezone(tzid)
	// Find the change that started the observance at first, up to two
	// years back; a zone without changes gets one observance since 1970.
	changes := zoneChanges(zone, first.AddDate(-2, 0, 0), last)
	start := -1
	for i, t := range changes {
		if !t.After(first) {
			start = i
		}
	}
	if start < 0 {
		_, off := first.In(zone).Zone()
		tz.Components = append(tz.Components, observance(first.In(zone), off,
			time.Date(1970, 1, 1, 0, 0, 0, 0, time.FixedZone("", off))))
	}
	for _, t := range changes[max(start, 0):] {
		_, before := t.Add(-time.Second).In(zone).Zone()
		tz.Components = append(tz.Components, observance(t.In(zone), before, t))
	}
	return tz
}

// observance is a STANDARD or DAYLIGHT part: from offset from, the zone
// is as at (its name and offset) from onset on.
func observance(at time.Time, from int, onset time.Time) ics.Component {
	name, to := at.Zone()
	c := ics.ComponentBase{}
	// The onset is written in the local time before the change.
	c.SetProperty(ics.ComponentPropertyDtStart, onset.In(time.FixedZone("", from)).Format("20060102T150405"))
	c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(from))
	c.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(to))
	if name != "" {
		c.SetProperty(ics.ComponentProperty(ics.PropertyTzname), name)
	}
	if at.IsDST() {
		return &ics.Daylight{ComponentBase: c}
	}
	return &ics.Standard{ComponentBase: c}
}

// utcOffset writes seconds east of UTC as RFC 5545 does: +0100, -0330.
func utcOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec/60%60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}

// zoneChanges returns the instants in [from, to] at which zone's offset
// or name changes, to the second.
func zoneChanges(zone *time.Location, from, to time.Time) []time.Time {
	differ := func(a, b time.Time) bool {
		na, oa := a.In(zone).Zone()
		nb, ob := b.In(zone).Zone()
		return na != nb || oa != ob
	}
	var out []time.Time
	for t := from; t.Before(to); t = t.Add(24 * time.Hour) {
		next := t.Add(24 * time.Hour)
		if !differ(t, next) {
			continue
		}
		lo, hi := t, next // the change is in (lo, hi]
		for hi.Sub(lo) > time.Second {
			mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
			if mid.Equal(lo) {
				mid = lo.Add(time.Second)
			}
			if differ(lo, mid) {
				hi = mid
			} else {
				lo = mid
			}
		}
		out = append(out, hi)
	}
	return out
}
