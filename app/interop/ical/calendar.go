package ical

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	ics "github.com/arran4/golang-ical"

	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
)

// A physician's calendar as iCalendar (RFC 5545), written with
// github.com/arran4/golang-ical, which folds lines at 75 octets and escapes
// TEXT values; the time-zone definition (zone.go) and the weekly series
// (series.go) are ours, since the library has neither.
//
// Times carry the TZID of the clinic's zone with a VTIMEZONE built from
// Go's zone data, not UTC: a weekly series keeps its wall-clock time across
// daylight-saving changes (Recurrence.Starts), and an RRULE expands in the
// zone of its DTSTART, so only a zoned DTSTART gives the same occurrences
// as the clinic's. A clinic in UTC gets plain UTC times.

// Detail is how much an exported calendar event says about the visit.
type Detail int

const (
	// Busy says only "Appointment": no patient, no reason.
	Busy Detail = iota
	// Initials adds the patient's initials and MRN.
	Initials
	// Full adds the patient's name and the visit's reason.
	Full
)

func (d Detail) String() string {
	switch d {
	case Busy:
		return "busy"
	case Initials:
		return "initials"
	case Full:
		return "full"
	}
	return fmt.Sprintf("Detail(%d)", int(d))
}

// Calendar is what one export holds, before it is written.
type Calendar struct {
	Clinic, ClinicID, Physician string
	Zone                        *time.Location
	Now                         time.Time // DTSTAMP
	Detail                      Detail
	Singles                     []frontdesk.Appointment
	Series                      [][]frontdesk.Appointment // each by time, one series each
	Weeks                       map[string]int            // series id → repeats every N weeks
}

// Appointments is how many appointments the calendar holds.
func (c Calendar) Appointments() int {
	n := len(c.Singles)
	for _, ss := range c.Series {
		n += len(ss)
	}
	return n
}

// Write writes the calendar as RFC 5545 says: CRLF line ends (the
// library's default is the OS's), lines folded at 75 octets.
func (c Calendar) Write(w io.Writer) error {
	return c.build().SerializeTo(w, ics.WithNewLineWindows, ics.WithLineLength(75))
}

// build lays the calendar out with the library.
func (c Calendar) build() *ics.Calendar {
	cal := ics.NewCalendarFor("Medihaven")
	cal.SetProductId("-//Medihaven//Medihaven calendar export//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetCalscale("GREGORIAN")
	name := "Appointments of " + plainText(c.Physician)
	if c.Clinic != "" {
		name += ", " + plainText(c.Clinic)
	}
	cal.SetXWRCalName(name)
	var plans []seriesPlan
	first, last := time.Time{}, time.Time{}
	span := func(a, b time.Time) {
		if first.IsZero() || a.Before(first) {
			first = a
		}
		if b.After(last) {
			last = b
		}
	}
	// An appointment whose start is more than records.MaxStartYears from
	// now (only modified software writes one) is written in UTC and left
	// out of the zone's span: the VTIMEZONE lists every change between
	// the first and the last time written in the zone.
	zoned := func(a frontdesk.Appointment) bool { return records.StartInRange(a.Start, c.Now) }
	for _, a := range c.Singles {
		if zoned(a) {
			span(a.Start, a.End())
		}
	}
	for _, ss := range c.Series {
		p := planSeries(ss, c.Weeks[ss[0].Series], c.Zone, c.Now, c.text)
		plans = append(plans, p)
		if p.Count > 0 {
			span(p.Start, p.Last)
		}
		for _, a := range ss {
			if zoned(a) {
				span(a.Start, a.End())
			}
		}
	}
	tzid := ""
	if !isUTC(c.Zone) && !first.IsZero() {
		tzid = zoneID(c.Zone)
		cal.AddVTimezone(vtimezone(tzid, c.Zone, first, last))
	}
	in := func(utc bool) func(t time.Time) (string, []ics.PropertyParameter) {
		return func(t time.Time) (string, []ics.PropertyParameter) {
			if tzid == "" || utc {
				return t.UTC().Format("20060102T150405Z"), nil
			}
			return t.In(c.Zone).Format("20060102T150405"), []ics.PropertyParameter{ics.WithTZID(tzid)}
		}
	}
	at := in(false) // a rule's instances are all within the span
	event := func(uid string, a frontdesk.Appointment, status ics.ObjectStatus) *ics.VEvent {
		e := cal.AddEvent(uid)
		e.SetDtStampTime(c.Now)
		at := in(!zoned(a))
		v, p := at(a.Start)
		e.SetProperty(ics.ComponentPropertyDtStart, v, p...)
		v, p = at(a.End())
		e.SetProperty(ics.ComponentPropertyDtEnd, v, p...)
		t := c.text(a)
		e.SetSummary(t.Summary)
		if t.Description != "" {
			e.SetDescription(t.Description)
		}
		e.SetStatus(status)
		e.SetTimeTransparency(ics.TransparencyOpaque)
		if c.Detail > Busy {
			e.SetClass(ics.ClassificationConfidential)
		}
		return e
	}
	single := func(a frontdesk.Appointment) {
		status := ics.ObjectStatusConfirmed
		if a.Status == frontdesk.StatusCancelled {
			status = ics.ObjectStatusCancelled
		}
		event(c.uid(a.ID), a, status)
	}
	for _, a := range c.Singles {
		single(a)
	}
	for _, p := range plans {
		for _, a := range p.Alone {
			single(a)
		}
		if p.Count == 0 {
			continue
		}
		uid := c.uid(p.Master.Series)
		status := ics.ObjectStatusConfirmed
		if p.Cancelled {
			status = ics.ObjectStatusCancelled
		}
		master := p.Master
		master.Start = p.Start
		master.Minutes = p.Minutes
		e := event(uid, master, status)
		e.AddRrule(fmt.Sprintf("FREQ=WEEKLY;INTERVAL=%d;COUNT=%d", p.Weeks, p.Count))
		for _, x := range p.Exdates {
			v, params := at(x)
			e.AddExdate(v, params...)
		}
		for _, ov := range p.Overrides {
			e := event(uid, ov.Appointment, ics.ObjectStatusConfirmed)
			v, params := at(ov.Instance)
			e.SetProperty(ics.ComponentPropertyRecurrenceId, v, params...)
		}
	}
	return cal
}

// uid names an appointment or a series for good: re-exporting updates the
// same event in the physician's calendar program.
func (c Calendar) uid(id string) string {
	if c.ClinicID == "" {
		return id + "@medihaven"
	}
	return id + "@" + c.ClinicID + ".medihaven"
}

// Text is an event's text at the chosen detail: never clinical.
type Text struct{ Summary, Description string }

func (c Calendar) text(a frontdesk.Appointment) Text {
	given, family := splitName(plainText(a.PatientName))
	a.PatientMRN, a.Reason = plainText(a.PatientMRN), plainText(a.Reason)
	switch c.Detail {
	case Initials:
		t := "Appointment: " + initials(given, family)
		if a.PatientMRN != "" {
			t += " (" + a.PatientMRN + ")"
		}
		return Text{Summary: strings.TrimSpace(t)}
	case Full:
		t := Text{Summary: strings.TrimSpace("Appointment: " + strings.TrimSpace(given+" "+family))}
		if a.Reason != "" {
			t.Description = "Reason for the visit: " + a.Reason
		}
		return t
	}
	return Text{Summary: "Appointment"}
}

// plainText is s with each control character but newline and tab (which
// the library escapes or TEXT allows) turned into a space. A record's
// values are what its writer wrote (honest software normalises names and
// reasons, but every workstation applies values as written), and the
// library escapes no CR: a bare one in a reason ended the line for some
// calendar programs, which then read what followed as properties and
// events of its writer's choosing (h-sec20c,
// TestAttackS20cICSBareCarriageReturn).
func plainText(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// splitName reads "Family, Given" (app.Patient.Name) back into its parts.
func splitName(name string) (given, family string) {
	family, given, ok := strings.Cut(name, ", ")
	if !ok {
		return "", strings.TrimSpace(name)
	}
	return strings.TrimSpace(given), strings.TrimSpace(family)
}

// initials gives "J.M.D." for given "Jane Mary" and family "Doe".
func initials(given, family string) string {
	var b strings.Builder
	for _, w := range strings.Fields(given + " " + family) {
		for _, r := range w {
			b.WriteString(strings.ToUpper(string(r)) + ".")
			break
		}
	}
	return b.String()
}
