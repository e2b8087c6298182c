package interop

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/interop/ical"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// A physician's calendar as iCalendar (RFC 5545): which appointments, who
// may export them, and the audit; package ical writes them.

// ICSMaxDays is the longest span one calendar export covers.
const ICSMaxDays = 400

// icsDefaultDays is the span exported when no end is given.
const icsDefaultDays = 90

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
	cal := ical.Calendar{Clinic: s.c.Clinic(), ClinicID: s.c.Profile().ClinicID, Physician: m.Name, Zone: zone,
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
			to.Format("2006-01-02"), cal.Appointments(), map[ICSDetail]string{ICSInitials: "initials and MRNs", ICSFull: "names and visit reasons"}[o.Detail])}
		if err := s.c.Audit(ctx, rec); err != nil {
			return 0, fmt.Errorf("app: the export could not be audited, so nothing was written: %w", err)
		}
	}
	if err := cal.Write(w); err != nil {
		return 0, fmt.Errorf("app: write the calendar: %w", err)
	}
	return cal.Appointments(), nil
}

// addICSSeries adds the whole series of a (all its appointments with the
// same physician, cancelled ones too) and how many weeks it repeats by.
func (s *Service) addICSSeries(ctx context.Context, r *replica.Replica, cal *ical.Calendar, a frontdesk.Appointment) error {
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
