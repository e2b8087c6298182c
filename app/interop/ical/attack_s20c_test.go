package ical

import (
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/medihaven/medihaven/app/frontdesk"
)

// TestAttackS20cICSBareCarriageReturn (h-sec20c finding 3): a patient's
// name and MRN and a visit's reason are whatever the member who wrote the
// record wrote: honest software normalises them, but every workstation
// applies a record's values as written (the rules judge field names, not
// values). A hostile receptionist writes a reason holding bare carriage
// returns; the library escapes backslash, newline, comma and semicolon
// in TEXT, not CR, so the physician's export carried them into the
// DESCRIPTION line (RFC 5545 allows no control character but HTAB in
// TEXT), and a calendar program that ends lines at a bare CR read the
// events she wrote after it: here an extra appointment.
func TestAttackS20cICSBareCarriageReturn(t *testing.T) {
	loc := time.UTC
	evil := "pain\rEND:VEVENT\rBEGIN:VEVENT\rUID:planted@x\rDTSTAMP:20261102T100000Z\rDTSTART:20261103T090000Z\r" +
		"DTEND:20261103T100000Z\rSUMMARY:Planted\x0b\x1b[2J\u0085"
	a := frontdesk.Appointment{ID: "a1", Start: time.Date(2026, 11, 2, 10, 0, 0, 0, loc), Minutes: 15, Status: frontdesk.StatusBooked,
		PatientName: "Doe\r, Jane\rX-A:1", PatientMRN: "M1\rX-B:1", Reason: evil}
	for _, d := range []Detail{Initials, Full} {
		c := Calendar{Zone: loc, Now: a.Start, Detail: d, Singles: []frontdesk.Appointment{a},
			Physician: "Dr\rX-C:1", Clinic: "Clinic\rX-D:1"}
		out := writeICS(t, c)
		for i, r := range strings.ReplaceAll(out, "\r\n", "") {
			if r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
				t.Errorf("%v: a control character %U at %d in the export", d, r, i)
				break
			}
		}
		// A reader that ends lines at a bare CR as well.
		cal, err := ics.ParseCalendar(strings.NewReader(strings.ReplaceAll(strings.ReplaceAll(out, "\r\n", "\n"), "\r", "\n")))
		if err != nil {
			t.Fatalf("%v: parse: %v", d, err)
		}
		if n := len(cal.Events()); n != 1 {
			t.Errorf("%v: a reader ending lines at CR sees %d events, want 1", d, n)
		}
	}
}
