package frontdesk

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
)

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// week is a physician's week for the rule tests: Monday to Friday
// 08:00-12:00 and 13:00-17:00, 15-minute slots, off on 2026-11-04.
func testWeek(fp string) Availability {
	av := Availability{Physician: fp, SlotMinutes: 15, Set: true, DaysOff: []string{"2026-11-04"}}
	for d := time.Monday; d <= time.Friday; d++ {
		av.Week[d] = []Hours{{From: 8 * 60, To: 12 * 60}, {From: 13 * 60, To: 17 * 60}}
	}
	return av
}

func TestCheckBooking(t *testing.T) {
	loc := berlin(t)
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, loc) } // 2 Nov 2026 is a Monday
	taken := []Appointment{
		{ID: "a", Physician: "p1", Start: at(2, 10, 0), Minutes: 30, Status: StatusBooked, PatientName: "Smith, Olivia"},
		{ID: "b", Physician: "p1", Start: at(2, 11, 0), Minutes: 15, Status: StatusCancelled},
		{ID: "c", Physician: "p1", Start: at(2, 11, 15), Minutes: 15, Status: StatusNoShow},
		{ID: "d", Physician: "p2", Start: at(2, 9, 0), Minutes: 15, Status: StatusBooked},
		{ID: "e", Physician: "p1", Start: at(2, 14, 0), Minutes: 15, Status: StatusArrived},
		{ID: "f", Physician: "p1", Start: at(2, 14, 30), Minutes: 15, Status: records.StatusInVisit},
		{ID: "g", Physician: "p1", Start: at(2, 15, 0), Minutes: 15, Status: records.StatusSeen},
	}
	tests := []struct {
		name  string
		av    Availability
		start time.Time
		min   int
		want  error
	}{
		{"free slot", testWeek("p1"), at(2, 9, 0), 15, nil},
		{"first slot of the day", testWeek("p1"), at(2, 8, 0), 15, nil},
		{"last slot before lunch", testWeek("p1"), at(2, 11, 45), 15, nil},
		{"ends right when the next starts", testWeek("p1"), at(2, 9, 45), 15, nil},
		{"starts right when the last ends", testWeek("p1"), at(2, 10, 30), 15, nil},
		{"same start as another", testWeek("p1"), at(2, 10, 0), 15, ErrSlotTaken},
		{"overlaps the end of another", testWeek("p1"), at(2, 10, 15), 30, ErrSlotTaken},
		{"surrounds another", testWeek("p1"), at(2, 9, 45), 60, ErrSlotTaken},
		{"overlaps an arrived patient", testWeek("p1"), at(2, 14, 0), 15, ErrSlotTaken},
		{"the patient is with the physician", testWeek("p1"), at(2, 14, 30), 15, ErrSlotTaken},
		{"the patient was seen", testWeek("p1"), at(2, 15, 0), 15, ErrSlotTaken},
		{"a cancelled slot is free", testWeek("p1"), at(2, 11, 0), 15, nil},
		{"a no-show slot is free", testWeek("p1"), at(2, 11, 15), 15, nil},
		{"another physician's booking is no obstacle", testWeek("p1"), at(2, 9, 0), 15, nil},
		{"before working hours", testWeek("p1"), at(2, 7, 45), 15, ErrOutsideHours},
		{"runs into lunch", testWeek("p1"), at(2, 11, 45), 30, ErrOutsideHours},
		{"during lunch", testWeek("p1"), at(2, 12, 15), 15, ErrOutsideHours},
		{"after hours", testWeek("p1"), at(2, 17, 0), 15, ErrOutsideHours},
		{"weekend", testWeek("p1"), at(7, 9, 0), 15, ErrOutsideHours},
		{"day off", testWeek("p1"), at(4, 9, 0), 15, ErrOutsideHours},
		{"hours not set: any time", Availability{Physician: "p1"}, at(7, 22, 0), 15, nil},
		{"hours not set: still no overlap", Availability{Physician: "p1"}, at(2, 10, 0), 15, ErrSlotTaken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Appointment{ID: "new", Physician: "p1", Start: tt.start, Minutes: tt.min}
			err := checkBooking(tt.av, loc, a, append([]Appointment(nil), taken...))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if strings.Contains(tt.name, "day off") && !err.DayOff {
				t.Errorf("a day off is not named: %v", err)
			}
			if errors.Is(err, ErrSlotTaken) && !strings.Contains(err.Error(), "overbook") {
				t.Errorf("message does not say what to do: %v", err)
			}
		})
	}
}

// TestStateAt: a patient with the physician, or seen, counts as arrived at
// the desk (never late, never to check in again).
func TestStateAt(t *testing.T) {
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	later := start.Add(time.Hour)
	for _, tc := range []struct {
		status string
		now    time.Time
		want   DeskState
	}{
		{StatusBooked, start, Expected},
		{StatusBooked, later, Late},
		{StatusArrived, later, Arrived},
		{records.StatusInVisit, later, Arrived},
		{records.StatusSeen, later, Arrived},
		{StatusNoShow, later, NoShow},
		{StatusCancelled, later, Cancelled},
	} {
		if got := stateAt(Appointment{Start: start, Minutes: 15, Status: tc.status}, tc.now); got != tc.want {
			t.Errorf("%s at %s: %s, want %s", tc.status, tc.now.Format("15:04"), got, tc.want)
		}
	}
}

func TestRecurrenceStarts(t *testing.T) {
	loc := berlin(t)
	day := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, loc) }
	tests := []struct {
		name    string
		first   time.Time
		rc      Recurrence
		want    []string // local start times
		offsets []int    // UTC offsets in hours, when checked
		wantErr bool
	}{
		{name: "weekly across the spring change", first: day(2026, 3, 17, 9), rc: Recurrence{EveryWeeks: 1, Count: 4},
			want:    []string{"2026-03-17 09:00", "2026-03-24 09:00", "2026-03-31 09:00", "2026-04-07 09:00"},
			offsets: []int{1, 1, 2, 2}},
		{name: "every two weeks across the autumn change until a day", first: day(2026, 10, 14, 16), rc: Recurrence{EveryWeeks: 2, Until: day(2026, 11, 25, 0)},
			want:    []string{"2026-10-14 16:00", "2026-10-28 16:00", "2026-11-11 16:00", "2026-11-25 16:00"},
			offsets: []int{2, 1, 1, 1}},
		{name: "count and until: the first reached wins", first: day(2026, 1, 5, 8), rc: Recurrence{EveryWeeks: 1, Count: 10, Until: day(2026, 1, 19, 0)},
			want: []string{"2026-01-05 08:00", "2026-01-12 08:00", "2026-01-19 08:00"}},
		{name: "once", first: day(2026, 1, 5, 8), rc: Recurrence{EveryWeeks: 3, Count: 1}, want: []string{"2026-01-05 08:00"}},
		{name: "no end", first: day(2026, 1, 5, 8), rc: Recurrence{EveryWeeks: 1}, wantErr: true},
		{name: "zero weeks", first: day(2026, 1, 5, 8), rc: Recurrence{Count: 3}, wantErr: true},
		{name: "ends before it starts", first: day(2026, 1, 5, 8), rc: Recurrence{EveryWeeks: 1, Until: day(2026, 1, 1, 0)}, wantErr: true},
		{name: "too many", first: day(2026, 1, 5, 8), rc: Recurrence{EveryWeeks: 1, Until: day(2030, 1, 1, 0)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rc.Starts(tt.first, loc)
			if tt.wantErr {
				if err == nil || !errors.Is(err, app.ErrInvalidInput) {
					t.Fatalf("got %v, %v; want an invalid-input error", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var local []string
			for _, s := range got {
				local = append(local, s.In(loc).Format("2006-01-02 15:04"))
			}
			if strings.Join(local, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("starts %v, want %v", local, tt.want)
			}
			for i, h := range tt.offsets {
				if _, off := got[i].Zone(); off != h*3600 {
					t.Errorf("start %d has offset %ds, want %dh", i, off, h)
				}
			}
		})
	}
}

func TestDaySlotsOnDaylightSavingDays(t *testing.T) {
	loc := berlin(t)
	av := Availability{Set: true, SlotMinutes: 30}
	av.Week[time.Sunday] = []Hours{{From: 0, To: 4 * 60}}
	tests := []struct {
		name  string
		day   time.Time
		slots int // a 4-hour stretch of the clock, in 30-minute slots
		hours time.Duration
	}{
		{"ordinary Sunday", time.Date(2026, 3, 22, 12, 0, 0, 0, loc), 8, 4 * time.Hour},
		{"clocks go forward at 02:00", time.Date(2026, 3, 29, 12, 0, 0, 0, loc), 6, 3 * time.Hour},
		{"clocks go back at 03:00", time.Date(2026, 10, 25, 12, 0, 0, 0, loc), 8, 5 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slots := daySlots(av, loc, tt.day, nil)
			if len(slots) == 0 {
				t.Fatal("no slots")
			}
			if got := slots[len(slots)-1].End.Sub(slots[0].Start); got != tt.hours {
				t.Errorf("the day's hours last %v, want %v", got, tt.hours)
			}
			if slots[0].Start.In(loc).Format("15:04") != "00:00" || slots[len(slots)-1].End.In(loc).Format("15:04") != "04:00" {
				t.Errorf("slots from %v to %v, want 00:00 to 04:00", slots[0].Start.In(loc), slots[len(slots)-1].End.In(loc))
			}
			for i := 1; i < len(slots); i++ {
				if !slots[i].Start.After(slots[i-1].Start) {
					t.Errorf("slot %d starts at %v, not after %v", i, slots[i].Start, slots[i-1].Start)
				}
			}
			if len(slots) != tt.slots {
				t.Errorf("%d slots, want %d", len(slots), tt.slots)
			}
		})
	}
}

func TestMarkConflicts(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		as   []Appointment
		want []bool
	}{
		{"two bookings of one slot", []Appointment{{Physician: "p", Start: t0, Minutes: 15, Status: StatusBooked}, {Physician: "p", Start: t0, Minutes: 15, Status: StatusBooked}}, []bool{true, true}},
		{"one was overbooked on purpose", []Appointment{{Physician: "p", Start: t0, Minutes: 15, Status: StatusBooked}, {Physician: "p", Start: t0, Minutes: 15, Status: StatusBooked, Overbooked: true}}, []bool{false, false}},
		{"back to back", []Appointment{{Physician: "p", Start: t0, Minutes: 15, Status: StatusBooked}, {Physician: "p", Start: t0.Add(15 * time.Minute), Minutes: 15, Status: StatusBooked}}, []bool{false, false}},
		{"one cancelled", []Appointment{{Physician: "p", Start: t0, Minutes: 15, Status: StatusCancelled}, {Physician: "p", Start: t0, Minutes: 15, Status: StatusBooked}}, []bool{false, false}},
		{"two physicians", []Appointment{{Physician: "p", Start: t0, Minutes: 15, Status: StatusBooked}, {Physician: "q", Start: t0, Minutes: 15, Status: StatusBooked}}, []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			markConflicts(tt.as)
			for i, a := range tt.as {
				if a.Conflict != tt.want[i] {
					t.Errorf("appointment %d conflict = %v, want %v", i, a.Conflict, tt.want[i])
				}
			}
		})
	}
}

// Every appointment starts in exactly one row of the day, at its own time:
// on the grid, off it (marked), before the hours or after them.
func TestDaySlotsPlaceEachAppointmentWhereItStarts(t *testing.T) {
	loc := berlin(t)
	at := func(h, m int) time.Time { return time.Date(2026, 11, 2, h, m, 0, 0, loc) } // a Monday
	av := Availability{Set: true, SlotMinutes: 20}
	av.Week[time.Monday] = []Hours{{From: 8 * 60, To: 12 * 60}}
	tests := []struct {
		name    string
		a       Appointment
		row     string // the start of the row it starts in
		working bool
		offGrid bool
		rows    int // rows it is in
	}{
		{"on the grid", Appointment{ID: "a", Start: at(9, 0), Minutes: 20}, "09:00", true, false, 1},
		{"off the grid", Appointment{ID: "a", Start: at(9, 15), Minutes: 15}, "09:00", true, true, 2},
		{"before the hours", Appointment{ID: "a", Start: at(7, 50), Minutes: 20}, "07:50", false, false, 2},
		{"after the hours", Appointment{ID: "a", Start: at(12, 30), Minutes: 15}, "12:30", false, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.a.Status = StatusBooked
			starts, in := 0, 0
			for _, sl := range daySlots(av, loc, at(12, 0), []Appointment{tt.a}) {
				for _, a := range sl.Appointments {
					in++
					if !sl.Starts(a) {
						continue
					}
					starts++
					if sl.Start.Format("15:04") != tt.row || sl.Working != tt.working || sl.OffGrid(a) != tt.offGrid {
						t.Errorf("starts in the %s row (working %v, off-grid %v), want %s (%v, %v)",
							sl.Start.Format("15:04"), sl.Working, sl.OffGrid(a), tt.row, tt.working, tt.offGrid)
					}
				}
			}
			if starts != 1 || in != tt.rows {
				t.Errorf("starts in %d rows and is in %d, want 1 and %d", starts, in, tt.rows)
			}
		})
	}
}
