package ical_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/interop"
	"github.com/medihaven/medihaven/app/interop/ical"
)

// TestExportCalendarICS exports a physician's real calendar: single
// appointments, a series changed as TestRecurringSeries changes it, another
// physician's appointment left out; names are audited, busy is not.
func TestExportCalendarICS(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, loc := c.FrontDesk(t)
	fp := c.Phys.Fingerprint()
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, loc) }
	single, err := frontdesk.New(c.Recep.Core()).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(11, 2, 10, 0), Minutes: 15, Reason: "Blood pressure, review"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := frontdesk.New(c.Recep.Core()).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(11, 3, 11, 0), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := frontdesk.New(c.Recep.Core()).Cancel(ctx, gone.ID, "patient called"); err != nil {
		t.Fatal(err)
	}
	if _, err := frontdesk.New(c.Recep.Core()).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: c.Phys2.Fingerprint(), Start: at(11, 2, 10, 0), Minutes: 15, Overbooked: true}); err != nil {
		t.Fatal(err)
	}
	as, err := frontdesk.New(c.Recep.Core()).BookSeries(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(10, 13, 9, 0), Minutes: 15, Reason: "Physiotherapy"},
		frontdesk.Recurrence{EveryWeeks: 1, Count: 6})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := frontdesk.New(c.Recep.Core()).Reschedule(ctx, as[1].ID, at(10, 20, 11, 0), 15, false); err != nil {
		t.Fatal(err)
	}
	if _, err := frontdesk.New(c.Recep.Core()).RescheduleSeries(ctx, as[3].ID, at(11, 5, 10, 0), 30, false); err != nil {
		t.Fatal(err)
	}
	if _, err := frontdesk.New(c.Recep.Core()).CancelSeries(ctx, as[4].ID, "Treatment finished early"); err != nil {
		t.Fatal(err)
	}
	series, err := frontdesk.New(c.Recep.Core()).SeriesAppointments(ctx, as[0].Series)
	if err != nil {
		t.Fatal(err)
	}
	audits := func() int {
		log, err := c.Admin.AuditLog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range log {
			if e.Record.Action == "calendar.export" {
				n++
			}
		}
		return n
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	before := audits()
	// Only the week of the first single touches the series (its 5 November appointment).
	for _, tt := range []struct {
		detail  ical.Detail
		summary string
		audited int
	}{{ical.Busy, "Appointment", 0}, {ical.Full, "Appointment: Bea Booker", 1}} {
		var b bytes.Buffer
		n, err := interop.New(c.Recep.Core()).ExportCalendarICS(ctx, &b, interop.ICSOptions{Physician: fp, From: at(11, 2, 0, 0), To: at(11, 9, 0, 0), Detail: tt.detail})
		if err != nil {
			t.Fatal(err)
		}
		if n != 2+len(series) {
			t.Errorf("%d appointments exported, want %d", n, 2+len(series))
		}
		ical.CheckFolding(t, b.String())
		wantSingles := []frontdesk.Appointment{single, gone}
		wantSingles[1].Status = frontdesk.StatusCancelled
		ical.SameEvents(t, ical.ExpandICS(t, b.String()), ical.WantEvents(wantSingles, [][]frontdesk.Appointment{series}, func(frontdesk.Appointment) string { return tt.summary }))
		if strings.Contains(b.String(), "Physiotherapy") != (tt.detail == ical.Full) {
			t.Errorf("the reason at detail %s:\n%s", tt.detail, b.String())
		}
		if err := app.SyncLocal(ctx, c.All()...); err != nil {
			t.Fatal(err)
		}
		if got := audits() - before; got != tt.audited {
			t.Errorf("detail %s: %d audit records, want %d", tt.detail, got, tt.audited)
		}
	}
	// The physician exports their own; an administrator cannot; bad input.
	if _, err := interop.New(c.Phys.Core()).ExportCalendarICS(ctx, &bytes.Buffer{}, interop.ICSOptions{Physician: fp}); err != nil {
		t.Errorf("the physician's own export: %v", err)
	}
	var b bytes.Buffer
	if _, err := interop.New(c.Admin.Core()).ExportCalendarICS(ctx, &b, interop.ICSOptions{Physician: fp}); err == nil || b.Len() > 0 {
		t.Errorf("an administrator exported a calendar: %v", err)
	}
	for _, o := range []interop.ICSOptions{{Physician: "nobody"}, {Physician: c.Recep.Fingerprint()}, {Physician: fp, Detail: 7},
		{Physician: fp, From: at(11, 9, 0, 0), To: at(11, 2, 0, 0)}} {
		if _, err := interop.New(c.Recep.Core()).ExportCalendarICS(ctx, &b, o); err == nil || b.Len() > 0 {
			t.Errorf("ExportCalendarICS(%+v) = %v, wrote %d bytes", o, err, b.Len())
		}
	}
}
