package interop

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// A physician's calendar as iCalendar (RFC 5545), written with
// github.com/arran4/golang-ical, which folds lines at 75 octets and escapes
// TEXT values; the time-zone definition (ical_zone.go) and the weekly
// series (ical_series.go) are ours, since the library has neither.
//
// Times carry the TZID of the clinic's zone with a VTIMEZONE built from
// Go's zone data, not UTC: a weekly series keeps its wall-clock time across
// daylight-saving changes (Recurrence.Starts), and an RRULE expands in the
// zone of its DTSTART, so only a zoned DTSTART gives the same occurrences
// as the clinic's. A clinic in UTC gets plain UTC times.

// ICSMaxDays is the longest span one calendar export covers.
const ICSMaxDays = 400

// icsDefaultDays is the span exported when no end is given.
const icsDefaultDays = 90

func (d ICSDetail) String() string {
	switch d {
	case ICSBusy:
		return "busy"
	case ICSInitials:
		return "initials"
	case ICSFull:
		return "full"
	}
	return fmt.Sprintf("ICSDetail(%d)", int(d))
}

// ParseICSDetail reads "busy", "initials" or "full".
func ParseICSDetail(s string) (ICSDetail, error) {
	for _, d := range []ICSDetail{ICSBusy, ICSInitials, ICSFull} {
		if strings.EqualFold(strings.TrimSpace(s), d.String()) {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%w: the detail %q is not one of busy, initials or full", app.ErrInvalidInput, s)
}

// ExportCalendarICS writes a physician's calendar as iCalendar (RFC 5545):
// every appointment that starts in [o.From, o.To) (the clinic's days; zero
// From is today, zero To is 90 days later), cancelled ones with STATUS
// CANCELLED, and each weekly series it touches as one event with a
// recurrence rule. The event text never holds clinical detail; with
// patients' names or initials the export is audited. It returns how many
// appointments the calendar holds.
func (s *Service) ExportCalendarICS(ctx context.Context, w io.Writer, o ICSOptions) (int, error) {
	r, err := s.c.ReplicaFor(roles.ExportCalendar)
	if err != nil {
		return 0, err
	}
	m, err := s.c.CheckPhysician(r, o.Physician)
	if err != nil {
		return 0, err
	}
	if o.Detail < ICSBusy || o.Detail > ICSFull {
		return 0, fmt.Errorf("%w: choose busy, initials or full for the event text", app.ErrInvalidInput)
	}
	zone := s.c.Zone(ctx, r)
	from, to, err := icsRange(o.From, o.To, s.c.Now(), zone)
	if err != nil {
		return 0, err
	}
	cal := icsCalendar{Clinic: s.c.Clinic(), ClinicID: s.c.Profile().ClinicID, Physician: m.Name, Zone: zone,
		Now: s.c.Now(), Detail: o.Detail, Weeks: map[string]int{}}
	seen := map[string]bool{}
	for d := from; d.Before(to); d = records.WallClock(d.Year(), d.Month(), d.Day()+1, 0, zone) {
		day, err := frontdesk.AppointmentsOn(ctx, r, o.Physician, d.Format("2006-01-02"))
		if err != nil {
			return 0, err
		}
		for _, a := range day {
			switch {
			case a.Series == "":
				cal.Singles = append(cal.Singles, a)
			case !seen[a.Series]:
				seen[a.Series] = true
				if err := s.addICSSeries(ctx, r, &cal, a); err != nil {
					return 0, err
				}
			}
		}
	}
	frontdesk.SortAppointments(cal.Singles)
	sort.Slice(cal.Series, func(i, j int) bool { return cal.Series[i][0].Start.Before(cal.Series[j][0].Start) })
	if o.Detail > ICSBusy {
		all := append([]frontdesk.Appointment(nil), cal.Singles...)
		for _, ss := range cal.Series {
			all = append(all, ss...)
		}
		if err := frontdesk.WithNames(ctx, r, all); err != nil {
			return 0, err
		}
		named := map[string]frontdesk.Appointment{}
		for _, a := range all {
			named[a.ID] = a
		}
		for i := range cal.Singles {
			cal.Singles[i] = named[cal.Singles[i].ID]
		}
		for _, ss := range cal.Series {
			for i := range ss {
				ss[i] = named[ss[i].ID]
			}
		}
		// Names leave the workstation: say who took them and how many.
		rec := app.AuditRecord{Action: "calendar.export", Entity: o.Physician, Detail: fmt.Sprintf(
			"iCalendar of %s, %s to %s, %d appointments, with patients' %s", m.Name, from.Format("2006-01-02"),
			to.Format("2006-01-02"), cal.appointments(), map[ICSDetail]string{ICSInitials: "initials and MRNs", ICSFull: "names and visit reasons"}[o.Detail])}
		if err := s.c.Audit(ctx, rec); err != nil {
			return 0, fmt.Errorf("app: the export could not be audited, so nothing was written: %w", err)
		}
	}
	if err := cal.write(w); err != nil {
		return 0, fmt.Errorf("app: write the calendar: %w", err)
	}
	return cal.appointments(), nil
}

// addICSSeries adds the whole series of a (all its appointments with the
// same physician, cancelled ones too) and how many weeks it repeats by.
func (s *Service) addICSSeries(ctx context.Context, r *replica.Replica, cal *icsCalendar, a frontdesk.Appointment) error {
	all, err := frontdesk.Series(ctx, r, a.Series)
	if err != nil {
		return err
	}
	var mine []frontdesk.Appointment
	for _, o := range all {
		if o.Physician == a.Physician {
			mine = append(mine, o)
		}
	}
	weeks := 1
	// BookSeries writes "every N week(s), M appointments".
	var n int
	if _, err := fmt.Sscanf(a.Repeat, "every %d week", &n); err == nil && n >= 1 && n <= 52 {
		weeks = n
	}
	cal.Series = append(cal.Series, mine)
	cal.Weeks[a.Series] = weeks
	return nil
}

// icsRange is the export's span as the clinic's midnights: [from, to).
func icsRange(from, to, now time.Time, zone *time.Location) (time.Time, time.Time, error) {
	day := func(t time.Time) time.Time {
		t = t.In(zone)
		return records.WallClock(t.Year(), t.Month(), t.Day(), 0, zone)
	}
	if from.IsZero() {
		from = now
	}
	from = day(from)
	if to.IsZero() {
		to = records.WallClock(from.Year(), from.Month(), from.Day()+icsDefaultDays, 0, zone)
	}
	to = day(to)
	switch {
	case !to.After(from):
		return from, to, fmt.Errorf("%w: the calendar's last day comes before its first", app.ErrInvalidInput)
	case to.Sub(from) > (ICSMaxDays+1)*24*time.Hour:
		return from, to, fmt.Errorf("%w: export at most %d days at once", app.ErrInvalidInput, ICSMaxDays)
	}
	return from, to, nil
}

// icsCalendar is what one export holds, before it is written.
type icsCalendar struct {
	Clinic, ClinicID, Physician string
	Zone                        *time.Location
	Now                         time.Time // DTSTAMP
	Detail                      ICSDetail
	Singles                     []frontdesk.Appointment
	Series                      [][]frontdesk.Appointment // each by time, one series each
	Weeks                       map[string]int            // series id → repeats every N weeks
}

func (c icsCalendar) appointments() int {
	n := len(c.Singles)
	for _, ss := range c.Series {
		n += len(ss)
	}
	return n
}

// write writes the calendar as RFC 5545 says: CRLF line ends (the
// library's default is the OS's), lines folded at 75 octets.
func (c icsCalendar) write(w io.Writer) error {
	return c.build().SerializeTo(w, ics.WithNewLineWindows, ics.WithLineLength(75))
}

// build lays the calendar out with the library.
func (c icsCalendar) build() *ics.Calendar {
	cal := ics.NewCalendarFor("Medihaven")
	cal.SetProductId("-//Medihaven//Medihaven calendar export//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetCalscale("GREGORIAN")
	name := "Appointments of " + c.Physician
	if c.Clinic != "" {
		name += ", " + c.Clinic
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
	for _, a := range c.Singles {
		span(a.Start, a.End())
	}
	for _, ss := range c.Series {
		p := planSeries(ss, c.Weeks[ss[0].Series], c.Zone, c.text)
		plans = append(plans, p)
		span(p.Start, p.Last)
		for _, a := range ss {
			span(a.Start, a.End())
		}
	}
	tzid := ""
	if !isUTC(c.Zone) && !first.IsZero() {
		tzid = zoneID(c.Zone)
		cal.AddVTimezone(vtimezone(tzid, c.Zone, first, last))
	}
	at := func(t time.Time) (string, []ics.PropertyParameter) {
		if tzid == "" {
			return t.UTC().Format("20060102T150405Z"), nil
		}
		return t.In(c.Zone).Format("20060102T150405"), []ics.PropertyParameter{ics.WithTZID(tzid)}
	}
	event := func(uid string, a frontdesk.Appointment, status ics.ObjectStatus) *ics.VEvent {
		e := cal.AddEvent(uid)
		e.SetDtStampTime(c.Now)
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
		if c.Detail > ICSBusy {
			e.SetClass(ics.ClassificationConfidential)
		}
		return e
	}
	for _, a := range c.Singles {
		status := ics.ObjectStatusConfirmed
		if a.Status == frontdesk.StatusCancelled {
			status = ics.ObjectStatusCancelled
		}
		event(c.uid(a.ID), a, status)
	}
	for _, p := range plans {
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
func (c icsCalendar) uid(id string) string {
	if c.ClinicID == "" {
		return id + "@medihaven"
	}
	return id + "@" + c.ClinicID + ".medihaven"
}

// icsText is an event's text at the chosen detail: never clinical.
type icsText struct{ Summary, Description string }

func (c icsCalendar) text(a frontdesk.Appointment) icsText {
	given, family := splitName(a.PatientName)
	switch c.Detail {
	case ICSInitials:
		t := "Appointment: " + initials(given, family)
		if a.PatientMRN != "" {
			t += " (" + a.PatientMRN + ")"
		}
		return icsText{Summary: strings.TrimSpace(t)}
	case ICSFull:
		t := icsText{Summary: strings.TrimSpace("Appointment: " + strings.TrimSpace(given+" "+family))}
		if a.Reason != "" {
			t.Description = "Reason for the visit: " + a.Reason
		}
		return t
	}
	return icsText{Summary: "Appointment"}
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
