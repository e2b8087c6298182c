package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
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
				if err == nil || !errors.Is(err, ErrInvalidInput) {
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

func TestRegisterFindEditAndHistory(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.Register(ctx, Patient{Family: "Lindqvist", Given: "Märta Sofia", Birth: "1984-03-27", Sex: "female",
		Phone: "+46 8 555 0199", Email: "marta@example.se", Address: "Storgatan 1, Uppsala", Insurance: "SE-4411",
		EmergencyName: "Nils Lindqvist", EmergencyPhone: "+46 8 555 0100", Consent: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !reMRN.MatchString(p.MRN) || p.ConsentDate != "2026-11-02" || p.Registered.IsZero() {
		t.Errorf("registered %+v: want an MRN, today's consent date and a registration time", p)
	}
	t.Run("search", func(t *testing.T) {
		for _, q := range []string{"lin", "Lindq ma", "marta", "1984-03-27", "555 0199", "+46 8 555 0199", "46855 50199", strings.ToLower(p.MRN), "sofia lind"} {
			got, err := c.recep.SearchPatients(ctx, q, 10)
			if err != nil || len(got) != 1 || got[0].ID != p.ID {
				t.Errorf("search %q = %v, %v; want the patient", q, got, err)
			}
		}
		for _, q := range []string{"lindx", "1984-03-28", "555 0198"} {
			if got, err := c.recep.SearchPatients(ctx, q, 10); err != nil || len(got) != 0 {
				t.Errorf("search %q = %v, %v; want nobody", q, got, err)
			}
		}
	})
	t.Run("duplicates", func(t *testing.T) {
		tests := []struct {
			name string
			p    Patient
			dup  bool
		}{
			{"same name and birth date", Patient{Family: "LINDQVIST", Given: "marta sofia", Birth: "1984-03-27"}, true},
			{"same phone", Patient{Family: "Other", Given: "Person", Birth: "1990-01-01", Phone: "+46 (8) 555-0199"}, true},
			{"same name, other birth date", Patient{Family: "Lindqvist", Given: "Märta Sofia", Birth: "1985-03-27"}, false},
			{"name is only a prefix", Patient{Family: "Lindq", Given: "Märta Sofia", Birth: "1984-03-27"}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.recep.Register(ctx, tt.p, false)
				var de *DuplicateError
				if got := errors.As(err, &de); got != tt.dup {
					t.Fatalf("Register: %v, duplicate = %v, want %v", err, got, tt.dup)
				}
				if tt.dup && (len(de.Candidates) != 1 || de.Candidates[0].ID != p.ID || !errors.Is(err, ErrLikelyDuplicate)) {
					t.Fatalf("candidates %v, want the registered patient", de.Candidates)
				}
			})
		}
		twin, err := c.recep.Register(ctx, Patient{Family: "Lindqvist", Given: "Märta Sofia", Birth: "1984-03-27"}, true)
		if err != nil || twin.ID == p.ID || twin.MRN == p.MRN {
			t.Fatalf("register anyway: %+v, %v", twin, err)
		}
	})
	t.Run("invalid input changes nothing", func(t *testing.T) {
		before, _ := c.recep.SearchPatients(ctx, "nobody", 10)
		if _, err := c.recep.Register(ctx, Patient{Family: "Nobody", Given: "N", Birth: "2030-01-01"}, true); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("future birth: %v", err)
		}
		after, _ := c.recep.SearchPatients(ctx, "nobody", 10)
		if len(after) != len(before) {
			t.Fatal("an invalid registration was saved")
		}
	})
	t.Run("edit keeps history", func(t *testing.T) {
		c.clock.Add(time.Hour)
		e := p
		e.Phone, e.Address = "+46 8 555 0200", "Kungsgatan 2, Uppsala"
		if _, err := c.recep.UpdatePatient(ctx, e); err != nil {
			t.Fatal(err)
		}
		if err := SyncLocal(ctx, c.recep, c.phys); err != nil {
			t.Fatal(err)
		}
		e2, _ := c.phys.Patient(ctx, p.ID)
		e2.Family = "Lindqvist-Berg"
		if _, err := c.phys.UpdatePatient(ctx, e2); err != nil {
			t.Fatal(err)
		}
		if err := SyncLocal(ctx, c.recep, c.phys); err != nil {
			t.Fatal(err)
		}
		got, _ := c.recep.Patient(ctx, p.ID)
		if got.Family != "Lindqvist-Berg" || got.Phone != "+46 8 555 0200" || got.MRN != p.MRN || got.ConsentDate != "2026-11-02" {
			t.Errorf("after edits: %+v", got)
		}
		h, err := c.recep.PatientHistory(ctx, p.ID)
		if err != nil || len(h) != 3 {
			t.Fatalf("history %v, %v; want registration and two edits", h, err)
		}
		if h[0].Fields["family"] != "Lindqvist" || h[0].By != "Rita Reception" {
			t.Errorf("registration event %+v", h[0])
		}
		if len(h[1].Fields) != 2 || h[1].Fields["phone"] != "+46 8 555 0200" || h[2].Fields["family"] != "Lindqvist-Berg" || h[2].By != "Dr Paul Physician" {
			t.Errorf("edit events %+v / %+v", h[1], h[2])
		}
		if r, _ := c.recep.SearchPatients(ctx, "berg", 5); len(r) != 1 {
			t.Errorf("the new name is not searchable: %v", r)
		}
		if r, _ := c.recep.SearchPatients(ctx, "555 0199", 5); len(r) != 0 {
			t.Errorf("the old phone still finds the edited patient: %v", r)
		}
		if _, err := c.recep.UpdatePatient(ctx, Patient{ID: p.ID, Family: "", Given: "x", Birth: "1984-03-27"}); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("an edit emptying the name: %v", err)
		}
	})
}

// frontDesk sets up a clinic in Europe/Berlin whose first physician works
// testWeek, with one patient.
func frontDesk(t *testing.T) (*clinic, Patient, *time.Location) {
	t.Helper()
	ctx := context.Background()
	c := newClinic(t)
	if err := c.recep.SetClinicZone(ctx, "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	if err := c.recep.SetClinicZone(ctx, "Mars/Olympus"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("an unknown zone: %v", err)
	}
	if err := c.recep.SetAvailability(ctx, testWeek(c.phys.Fingerprint())); err != nil {
		t.Fatal(err)
	}
	if err := c.recep.SetDayOff(ctx, c.phys.Fingerprint(), "2026-11-04", true); err != nil {
		t.Fatal(err)
	}
	p, err := c.recep.Register(ctx, Patient{Family: "Booker", Given: "Bea", Birth: "1970-07-07", Phone: "030 5550 7777"}, false)
	if err != nil {
		t.Fatal(err)
	}
	return c, p, berlin(t)
}

func TestBookingLifecycle(t *testing.T) {
	ctx := context.Background()
	c, p, loc := frontDesk(t)
	fp := c.phys.Fingerprint()
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, loc) }
	a, err := c.recep.Book(ctx, Appointment{Patient: p.ID, Physician: fp, Start: at(2, 10, 0), Minutes: 15, Reason: "Blood pressure review"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		a     Appointment
		want  error
		field string
	}{
		{"double booking", Appointment{Patient: p.ID, Physician: fp, Start: at(2, 10, 0), Minutes: 15}, ErrSlotTaken, "Booker, Bea"},
		{"outside hours", Appointment{Patient: p.ID, Physician: fp, Start: at(2, 18, 0), Minutes: 15}, ErrOutsideHours, "does not work"},
		{"day off", Appointment{Patient: p.ID, Physician: fp, Start: at(4, 9, 0), Minutes: 15}, ErrOutsideHours, "is off"},
		{"no patient", Appointment{Patient: "nobody", Physician: fp, Start: at(2, 11, 0), Minutes: 15}, ErrInvalidInput, "registered patient"},
		{"no physician", Appointment{Patient: p.ID, Physician: c.recep.Fingerprint(), Start: at(2, 11, 0), Minutes: 15}, ErrInvalidInput, "physician"},
		{"no length", Appointment{Patient: p.ID, Physician: fp, Start: at(2, 11, 0)}, ErrInvalidInput, "lasts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.recep.Book(ctx, tt.a)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Book: %v; want %v naming %q", err, tt.want, tt.field)
			}
		})
	}
	over, err := c.recep.Book(ctx, Appointment{Patient: p.ID, Physician: fp, Start: at(2, 10, 0), Minutes: 15, Reason: "Urgent", Overbooked: true})
	if err != nil {
		t.Fatalf("overbook: %v", err)
	}
	day, err := c.recep.DaySchedule(ctx, []string{fp, c.phys2.Fingerprint()}, at(2, 12, 0))
	if err != nil || len(day) != 2 {
		t.Fatal(day, err)
	}
	if n := len(day[0].Slots); n != 32 {
		t.Errorf("%d slots, want 32 (two 4-hour stretches of 15 minutes)", n)
	}
	var ten Slot
	for _, sl := range day[0].Slots {
		if sl.Start.Equal(at(2, 10, 0)) {
			ten = sl
		}
	}
	if len(ten.Appointments) != 2 || ten.Free() || ten.Appointments[0].Conflict || ten.Appointments[0].Overbooked == ten.Appointments[1].Overbooked {
		t.Errorf("the 10:00 slot: %+v", ten)
	}
	if day[1].Availability.Set || len(day[1].Slots) != 40 || !day[1].Slots[0].Free() {
		t.Errorf("a physician without hours: %d slots, set %v", len(day[1].Slots), day[1].Availability.Set)
	}

	// Reschedule: refused onto a taken slot, then moved to a free one.
	if _, err := c.recep.Reschedule(ctx, over.ID, at(2, 10, 0), 15, false); !errors.Is(err, ErrSlotTaken) {
		t.Errorf("reschedule onto a taken slot: %v", err)
	}
	moved, err := c.recep.Reschedule(ctx, over.ID, at(3, 9, 30), 30, false)
	if err != nil || !moved.Start.Equal(at(3, 9, 30)) || moved.Minutes != 30 || moved.Overbooked {
		t.Fatalf("reschedule: %+v, %v", moved, err)
	}
	if _, err := c.recep.Reschedule(ctx, a.ID, at(2, 10, 15), 15, false); err != nil {
		t.Errorf("moving within its own time: %v", err)
	}
	// Check in, no-show, cancel.
	if _, err := c.recep.Cancel(ctx, a.ID, " "); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("cancel without a reason: %v", err)
	}
	if got, err := c.recep.CheckIn(ctx, a.ID); err != nil || got.Status != StatusArrived || got.Arrived.IsZero() {
		t.Errorf("check in: %+v, %v", got, err)
	}
	if _, err := c.recep.Cancel(ctx, a.ID, "changed mind"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("cancel an arrived patient: %v", err)
	}
	if got, err := c.recep.Cancel(ctx, moved.ID, "Patient called: feeling better"); err != nil || got.Status != StatusCancelled || got.CancelReason != "Patient called: feeling better" {
		t.Errorf("cancel: %+v, %v", got, err)
	}
	if _, err := c.recep.Reschedule(ctx, moved.ID, at(3, 11, 0), 15, false); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("moving a cancelled appointment: %v", err)
	}
	late, err := c.recep.Book(ctx, Appointment{Patient: p.ID, Physician: fp, Start: at(2, 9, 0), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	soon, err := c.recep.Book(ctx, Appointment{Patient: p.ID, Physician: fp, Start: at(2, 11, 0), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := c.recep.Book(ctx, Appointment{Patient: p.ID, Physician: fp, Start: at(2, 8, 0), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.recep.MarkNoShow(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	// The clock reads 2026-11-02 10:00 in Berlin (+ an hour or so of test).
	today, err := c.recep.FrontDeskDay(ctx, c.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := map[DeskState]int{Arrived: 1, Late: 1, Expected: 1, NoShow: 1}
	for _, st := range DeskStates {
		if today.Counts[st] != want[st] {
			t.Errorf("%s: %d, want %d (%+v)", st, today.Counts[st], want[st], today.Rows)
		}
	}
	states := map[string]DeskState{}
	for _, r := range today.Rows {
		states[r.ID] = r.State
		if r.PhysicianName != "Dr Paul Physician" || r.PatientName != "Booker, Bea" {
			t.Errorf("row %+v lacks names", r)
		}
	}
	if states[late.ID] != Late || states[soon.ID] != Expected || states[a.ID] != Arrived || states[gone.ID] != NoShow {
		t.Errorf("states %v", states)
	}
	// The physician's calendar sees the same day.
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	cal, err := c.phys.Calendar(ctx, fp, at(2, 0, 0))
	if err != nil || len(cal) != 4 {
		t.Errorf("physician's calendar: %d appointments, %v", len(cal), err)
	}
}

func TestRecurringSeries(t *testing.T) {
	ctx := context.Background()
	c, p, loc := frontDesk(t)
	fp := c.phys.Fingerprint()
	// Tuesdays at 09:00 for six weeks from 13 October: the clocks go back
	// on 25 October, and every appointment stays at 09:00 in Berlin.
	first := time.Date(2026, 10, 13, 9, 0, 0, 0, loc)
	as, err := c.recep.BookSeries(ctx, Appointment{Patient: p.ID, Physician: fp, Start: first, Minutes: 15, Reason: "Physiotherapy"}, Recurrence{EveryWeeks: 1, Count: 6})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 6 {
		t.Fatalf("%d appointments, want 6", len(as))
	}
	for _, a := range as {
		if a.Start.In(loc).Format("Mon 15:04") != "Tue 09:00" || a.Series == "" || a.Series != as[0].Series {
			t.Errorf("occurrence %v (series %q)", a.Start.In(loc), a.Series)
		}
	}
	// A series that runs into an existing booking is refused whole.
	if _, err := c.recep.Book(ctx, Appointment{Patient: p.ID, Physician: fp, Start: time.Date(2026, 11, 9, 14, 0, 0, 0, loc), Minutes: 15}); err != nil {
		t.Fatal(err)
	}
	_, err = c.recep.BookSeries(ctx, Appointment{Patient: p.ID, Physician: fp, Start: time.Date(2026, 10, 26, 14, 0, 0, 0, loc), Minutes: 15}, Recurrence{EveryWeeks: 1, Count: 4})
	var se *SeriesError
	if !errors.As(err, &se) || len(se.Refused) != 1 || !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("a series over a booking: %v", err)
	}
	if got, _ := c.recep.Calendar(ctx, fp, time.Date(2026, 10, 26, 0, 0, 0, 0, loc)); len(got) != 0 {
		t.Errorf("a refused series left %d appointments", len(got))
	}
	// Change one occurrence: only it moves.
	if _, err := c.recep.Reschedule(ctx, as[1].ID, time.Date(2026, 10, 20, 11, 0, 0, 0, loc), 15, false); err != nil {
		t.Fatal(err)
	}
	// Move the rest from the fourth on to Thursdays 10:00.
	moved, err := c.recep.RescheduleSeries(ctx, as[3].ID, time.Date(2026, 11, 5, 10, 0, 0, 0, loc), 30, false)
	if err != nil || len(moved) != 3 {
		t.Fatalf("reschedule the rest: %d, %v", len(moved), err)
	}
	all, err := c.recep.SeriesAppointments(ctx, as[0].Series)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range all {
		got = append(got, a.Start.In(loc).Format("Mon 02 Jan 15:04"))
	}
	want := "Tue 13 Oct 09:00,Tue 20 Oct 11:00,Tue 27 Oct 09:00,Thu 05 Nov 10:00,Thu 12 Nov 10:00,Thu 19 Nov 10:00"
	if strings.Join(got, ",") != want {
		t.Errorf("series after changes:\n got %s\nwant %s", strings.Join(got, ","), want)
	}
	// Cancel the rest from the fifth on.
	n, err := c.recep.CancelSeries(ctx, all[4].ID, "Treatment finished early")
	if err != nil || n != 2 {
		t.Fatalf("cancel the rest: %d, %v", n, err)
	}
	all, _ = c.recep.SeriesAppointments(ctx, as[0].Series)
	for i, a := range all {
		if cancelled := a.Status == StatusCancelled; cancelled != (i >= 4) || cancelled && a.CancelReason != "Treatment finished early" {
			t.Errorf("occurrence %d: %s %q", i, a.Status, a.CancelReason)
		}
	}
}

// Two desks book the same slot without having seen each other: both
// bookings are kept, and every workstation shows them as a conflict.
func TestConcurrentBookingsAreKeptAsConflict(t *testing.T) {
	ctx := context.Background()
	c, p, loc := frontDesk(t)
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	fp := c.phys.Fingerprint()
	slot := time.Date(2026, 11, 3, 9, 0, 0, 0, loc)
	a1, err := c.recep.Book(ctx, Appointment{Patient: p.ID, Physician: fp, Start: slot, Minutes: 15, Reason: "from the desk"})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := c.phys2.Book(ctx, Appointment{Patient: p.ID, Physician: fp, Start: slot.Add(5 * time.Minute), Minutes: 15, Reason: "from a colleague"})
	if err != nil {
		t.Fatalf("the second workstation has not seen the first booking, so it books: %v", err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Session{c.recep, c.phys, c.phys2} {
		cal, err := s.Calendar(ctx, fp, slot)
		if err != nil || len(cal) != 2 {
			t.Fatalf("%s sees %d appointments, %v", s.StaffName(), len(cal), err)
		}
		for _, a := range cal {
			if !a.Conflict || (a.ID != a1.ID && a.ID != a2.ID) {
				t.Errorf("%s: %+v is not shown as a conflict", s.StaffName(), a)
			}
		}
		day, err := s.FrontDeskDay(ctx, slot)
		if err != nil || len(day.Rows) != 2 || !day.Rows[0].Conflict || !day.Rows[1].Conflict {
			t.Errorf("%s today list: %+v, %v", s.StaffName(), day.Rows, err)
		}
	}
	// Moving one away resolves it for everyone.
	if _, err := c.recep.Reschedule(ctx, a2.ID, slot.Add(time.Hour), 15, false); err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	cal, _ := c.phys2.Calendar(ctx, fp, slot)
	for _, a := range cal {
		if a.Conflict {
			t.Errorf("still a conflict after moving: %+v", a)
		}
	}
}
