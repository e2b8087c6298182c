package ical

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/frontdesk"
)

// TestAttackS27cSeriesMemberFarAway (h-secb27's first LOW, h-low27): an
// appointment's start is a last-writer field, and a desk member's modified
// software may write any date a start parses to: one appointment of a
// weekly series moved to 9999 made the export write the rule over every
// weekly instance between (an EXDATE each) and a VTIMEZONE with every
// daylight-saving change until then: 2.3 MB and 4.5 s per export touching
// the series. Whatever a series' starts, the export stays about as large as
// its appointments (bounded here in bytes, not time: the time went with the
// bytes) and still shows each appointment where it is.
func TestAttackS27cSeriesMemberFarAway(t *testing.T) {
	loc := apptest.Zone(t, "Europe/Berlin")
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, loc)
	appt := func(i int, start time.Time) frontdesk.Appointment {
		return frontdesk.Appointment{ID: fmt.Sprint("a", i), Series: "S1", Patient: "p1", Physician: "f", Start: start, Minutes: 15,
			Status: frontdesk.StatusBooked}
	}
	weekly := func(n int, from time.Time) []frontdesk.Appointment {
		var out []frontdesk.Appointment
		for i := 0; i < n; i++ {
			out = append(out, appt(i, from.AddDate(0, 0, 7*i)))
		}
		return out
	}
	far := func(y int) time.Time { return time.Date(y, 12, 27, 9, 0, 0, 0, loc) }
	tests := []struct {
		name string
		as   func() []frontdesk.Appointment
	}{
		{"one moved to 9999", func() []frontdesk.Appointment {
			as := weekly(10, now)
			as[9].Start = far(9999)
			return as
		}},
		{"one moved to year 1", func() []frontdesk.Appointment {
			as := weekly(10, now)
			as[0].Start = far(1)
			return as
		}},
		{"most of them in 9999", func() []frontdesk.Appointment {
			as := weekly(2, now)
			for i := 0; i < 3; i++ {
				as = append(as, appt(2+i, far(9999).AddDate(0, 0, -7*i)))
			}
			return as
		}},
		{"one in 9999, one cancelled there", func() []frontdesk.Appointment {
			as := weekly(4, now)
			as[2].Start, as[3].Start, as[3].Status = far(9999), far(9998), frontdesk.StatusCancelled
			return as
		}},
		{"two twenty years apart", func() []frontdesk.Appointment {
			return []frontdesk.Appointment{appt(0, now.AddDate(-10, 0, 0)), appt(1, now.AddDate(10, 0, -7))}
		}},
		{"a hundred weeks apart each", func() []frontdesk.Appointment {
			var as []frontdesk.Appointment
			for i := 0; i < 9; i++ {
				as = append(as, appt(i, now.AddDate(0, 0, 7*100*(i-4))))
			}
			return as
		}},
	}
	// What an honest weekly series of ten costs, per appointment.
	honest := len(writeICS(t, Calendar{Zone: loc, Now: now, Series: [][]frontdesk.Appointment{weekly(10, now)}, Weeks: map[string]int{"S1": 1}}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := tt.as()
			sorted := append([]frontdesk.Appointment(nil), as...)
			frontdesk.SortAppointments(sorted)
			c := Calendar{ClinicID: "c0ffee", Physician: "Dr P", Zone: loc, Now: now, Series: [][]frontdesk.Appointment{sorted},
				Weeks: map[string]int{"S1": 1}}
			out := writeICS(t, c)
			// An EXDATE line is under 64 bytes; a rule spans at most
			// 2*MaxOccurrences+1 instances; the VTIMEZONE of twenty years
			// (records.MaxStartYears either way) is about 4.5 kB.
			exdates := strings.Count(out, "EXDATE")
			t.Logf("%d appointments: %d bytes, %d EXDATEs", len(as), len(out), exdates)
			if exdates > 2*frontdesk.MaxOccurrences {
				t.Errorf("%d EXDATEs", exdates)
			}
			if limit := 8192 + honest/10*len(as)*2 + 64*exdates; len(out) > limit {
				t.Errorf("the export of %d appointments is %d bytes (limit %d; an honest series of ten: %d)", len(as), len(out), limit, honest)
			}
			SameEvents(t, ExpandICS(t, out), WantEvents(nil, [][]frontdesk.Appointment{sorted}, func(frontdesk.Appointment) string { return "Appointment" }))
		})
	}
}

// TestAttackS27cSeriesMemberUnreadable: an appointment of a series whose
// start does not parse (records.StartUnreadable) reads as the zero time;
// the export wrote it as an event on 1 January of year 1. It is on no
// calendar day, so it is in no export either.
func TestAttackS27cSeriesMemberUnreadable(t *testing.T) {
	loc := apptest.Zone(t, "Europe/Berlin")
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, loc)
	var as []frontdesk.Appointment
	for i := 0; i < 4; i++ {
		as = append(as, frontdesk.Appointment{ID: fmt.Sprint("a", i), Series: "S1", Start: now.AddDate(0, 0, 7*i), Minutes: 15, Status: frontdesk.StatusBooked})
	}
	as[3].Start = time.Time{}
	sorted := append([]frontdesk.Appointment(nil), as...)
	frontdesk.SortAppointments(sorted)
	out := writeICS(t, Calendar{Zone: loc, Now: now, Series: [][]frontdesk.Appointment{sorted}, Weeks: map[string]int{"S1": 1}})
	if strings.Contains(out, "0001") {
		t.Errorf("the export writes year 1:\n%s", out)
	}
	SameEvents(t, ExpandICS(t, out), WantEvents(nil, [][]frontdesk.Appointment{as[:3]}, func(frontdesk.Appointment) string { return "Appointment" }))
}

// FuzzICSSeriesStarts: a series whose appointments start anywhere (as
// modified software may write them, up to two thousand years away) is
// exported with a rule of at most 2*MaxOccurrences+1 instances, in a
// bounded size, and still shows every appointment where it is.
func FuzzICSSeriesStarts(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 14, 1})
	f.Add([]byte{0, 0, 0, 0, 0, 0x0b, 0x27, 0x1f, 0, 0xff, 0xf0, 0, 0, 2})
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Skip(err)
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, loc)
	f.Fuzz(func(t *testing.T, data []byte) {
		var as []frontdesk.Appointment
		for i := 0; i+4 <= len(data) && len(as) < 64; i += 4 {
			v := int32(uint32(data[i])<<24 | uint32(data[i+1])<<16 | uint32(data[i+2])<<8 | uint32(data[i+3]))
			days, minutes := int(v>>8)%730000, int(uint8(v))%4*30
			a := frontdesk.Appointment{ID: fmt.Sprint("a", len(as)), Series: "S1", Start: now.AddDate(0, 0, days).Add(time.Duration(minutes) * time.Minute),
				Minutes: 15, Status: frontdesk.StatusBooked}
			if v&1 == 1 {
				a.Status = frontdesk.StatusCancelled
			}
			as = append(as, a)
		}
		if len(as) == 0 {
			return
		}
		frontdesk.SortAppointments(as)
		weeks := 1
		if len(data)%4 != 0 {
			weeks = 1 + int(data[len(data)-1])%52
		}
		out := writeICS(t, Calendar{Zone: loc, Now: now, Series: [][]frontdesk.Appointment{as}, Weeks: map[string]int{"S1": weeks}})
		exdates := strings.Count(out, "EXDATE")
		if exdates > 2*frontdesk.MaxOccurrences+1 || len(out) > 16384+1024*len(as)+64*exdates {
			t.Fatalf("%d appointments: %d bytes, %d EXDATEs", len(as), len(out), exdates)
		}
		events := ExpandICS(t, out)
		for _, a := range as {
			if a.Status != frontdesk.StatusCancelled {
				// A wholly cancelled series is one cancelled rule (its
				// instances, not each appointment's time, as before).
				SameEvents(t, events, WantEvents(nil, [][]frontdesk.Appointment{as}, func(frontdesk.Appointment) string { return "Appointment" }))
				break
			}
		}
	})
}

// BenchmarkICSSeriesOfManyAppointments: a series of 5,000 appointments
// (modified software's: BookSeries books at most 104), half of them a day
// off the grid. The rule's anchor was chosen in their number squared.
func BenchmarkICSSeriesOfManyAppointments(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Skip(err)
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, loc)
	var as []frontdesk.Appointment
	for i := 0; i < 5000; i++ {
		as = append(as, frontdesk.Appointment{ID: fmt.Sprint("a", i), Series: "S1", Start: now.AddDate(0, 0, i%400+i%2), Minutes: 15,
			Status: frontdesk.StatusBooked})
	}
	frontdesk.SortAppointments(as)
	c := Calendar{Zone: loc, Now: now, Series: [][]frontdesk.Appointment{as}, Weeks: map[string]int{"S1": 1}}
	for b.Loop() {
		var w strings.Builder
		if err := c.Write(&w); err != nil {
			b.Fatal(err)
		}
	}
}
