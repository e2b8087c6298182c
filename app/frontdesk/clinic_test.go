package frontdesk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
)

// desk is the front desk of a session.
func desk(s *app.Session) *frontdesk.Service { return frontdesk.New(s.Core()) }

func TestRegisterFindEditAndHistory(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, err := desk(c.Recep).Register(ctx, frontdesk.Patient{Family: "Lindqvist", Given: "Märta Sofia", Birth: "1984-03-27", Sex: "female",
		Phone: "+46 8 555 0199", Email: "marta@example.se", Address: "Storgatan 1, Uppsala", Insurance: "SE-4411",
		EmergencyName: "Nils Lindqvist", EmergencyPhone: "+46 8 555 0100", Consent: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !records.MRNPattern.MatchString(p.MRN) || p.ConsentDate != "2026-11-02" || p.Registered.IsZero() {
		t.Errorf("registered %+v: want an MRN, today's consent date and a registration time", p)
	}
	t.Run("search", func(t *testing.T) {
		for _, q := range []string{"lin", "Lindq ma", "marta", "1984-03-27", "555 0199", "+46 8 555 0199", "46855 50199", strings.ToLower(p.MRN), "sofia lind"} {
			got, err := c.Recep.SearchPatients(ctx, q, 10)
			if err != nil || len(got) != 1 || got[0].ID != p.ID {
				t.Errorf("search %q = %v, %v; want the patient", q, got, err)
			}
		}
		for _, q := range []string{"lindx", "1984-03-28", "555 0198"} {
			if got, err := c.Recep.SearchPatients(ctx, q, 10); err != nil || len(got) != 0 {
				t.Errorf("search %q = %v, %v; want nobody", q, got, err)
			}
		}
	})
	t.Run("duplicates", func(t *testing.T) {
		tests := []struct {
			name string
			p    frontdesk.Patient
			dup  bool
		}{
			{"same name and birth date", frontdesk.Patient{Family: "LINDQVIST", Given: "marta sofia", Birth: "1984-03-27"}, true},
			{"same phone", frontdesk.Patient{Family: "Other", Given: "Person", Birth: "1990-01-01", Phone: "+46 (8) 555-0199"}, true},
			{"same name, other birth date", frontdesk.Patient{Family: "Lindqvist", Given: "Märta Sofia", Birth: "1985-03-27"}, false},
			{"name is only a prefix", frontdesk.Patient{Family: "Lindq", Given: "Märta Sofia", Birth: "1984-03-27"}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := desk(c.Recep).Register(ctx, tt.p, false)
				var de *frontdesk.DuplicateError
				if got := errors.As(err, &de); got != tt.dup {
					t.Fatalf("Register: %v, duplicate = %v, want %v", err, got, tt.dup)
				}
				if tt.dup && (len(de.Candidates) != 1 || de.Candidates[0].ID != p.ID || !errors.Is(err, frontdesk.ErrLikelyDuplicate)) {
					t.Fatalf("candidates %v, want the registered patient", de.Candidates)
				}
			})
		}
		twin, err := desk(c.Recep).Register(ctx, frontdesk.Patient{Family: "Lindqvist", Given: "Märta Sofia", Birth: "1984-03-27"}, true)
		if err != nil || twin.ID == p.ID || twin.MRN == p.MRN {
			t.Fatalf("register anyway: %+v, %v", twin, err)
		}
	})
	t.Run("invalid input changes nothing", func(t *testing.T) {
		before, _ := c.Recep.SearchPatients(ctx, "nobody", 10)
		if _, err := desk(c.Recep).Register(ctx, frontdesk.Patient{Family: "Nobody", Given: "N", Birth: "2030-01-01"}, true); !errors.Is(err, app.ErrInvalidInput) {
			t.Fatalf("future birth: %v", err)
		}
		after, _ := c.Recep.SearchPatients(ctx, "nobody", 10)
		if len(after) != len(before) {
			t.Fatal("an invalid registration was saved")
		}
	})
	t.Run("edit keeps history", func(t *testing.T) {
		c.Clock.Add(time.Hour)
		e := p
		e.Phone, e.Address = "+46 8 555 0200", "Kungsgatan 2, Uppsala"
		if _, err := desk(c.Recep).UpdatePatient(ctx, e); err != nil {
			t.Fatal(err)
		}
		if err := app.SyncLocal(ctx, c.Recep, c.Phys); err != nil {
			t.Fatal(err)
		}
		e2, _ := c.Phys.Patient(ctx, p.ID)
		e2.Family = "Lindqvist-Berg"
		if _, err := desk(c.Phys).UpdatePatient(ctx, e2); err != nil {
			t.Fatal(err)
		}
		if err := app.SyncLocal(ctx, c.Recep, c.Phys); err != nil {
			t.Fatal(err)
		}
		got, _ := c.Recep.Patient(ctx, p.ID)
		if got.Family != "Lindqvist-Berg" || got.Phone != "+46 8 555 0200" || got.MRN != p.MRN || got.ConsentDate != "2026-11-02" {
			t.Errorf("after edits: %+v", got)
		}
		h, err := desk(c.Recep).PatientHistory(ctx, p.ID)
		if err != nil || len(h) != 3 {
			t.Fatalf("history %v, %v; want registration and two edits", h, err)
		}
		if h[0].Fields["family"] != "Lindqvist" || h[0].By != "Rita Reception" {
			t.Errorf("registration event %+v", h[0])
		}
		if len(h[1].Fields) != 2 || h[1].Fields["phone"] != "+46 8 555 0200" || h[2].Fields["family"] != "Lindqvist-Berg" || h[2].By != "Dr Paul Physician" {
			t.Errorf("edit events %+v / %+v", h[1], h[2])
		}
		if r, _ := c.Recep.SearchPatients(ctx, "berg", 5); len(r) != 1 {
			t.Errorf("the new name is not searchable: %v", r)
		}
		if r, _ := c.Recep.SearchPatients(ctx, "555 0199", 5); len(r) != 0 {
			t.Errorf("the old phone still finds the edited patient: %v", r)
		}
		if _, err := desk(c.Recep).UpdatePatient(ctx, frontdesk.Patient{ID: p.ID, Family: "", Given: "x", Birth: "1984-03-27"}); !errors.Is(err, app.ErrInvalidInput) {
			t.Errorf("an edit emptying the name: %v", err)
		}
	})
}

// frontDesk sets up a clinic in Europe/Berlin whose first physician works
// apptest.Week (Wednesday 4 November off), with one patient.
func frontDesk(t *testing.T) (*apptest.Clinic, frontdesk.Patient, *time.Location) {
	t.Helper()
	ctx := context.Background()
	c := apptest.NewClinic(t)
	if err := desk(c.Recep).SetClinicZone(ctx, "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	if err := desk(c.Recep).SetClinicZone(ctx, "Mars/Olympus"); !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("an unknown zone: %v", err)
	}
	if err := desk(c.Recep).SetAvailability(ctx, apptest.Week(c.Phys.Fingerprint())); err != nil {
		t.Fatal(err)
	}
	if err := desk(c.Recep).SetDayOff(ctx, c.Phys.Fingerprint(), "2026-11-04", true); err != nil {
		t.Fatal(err)
	}
	p, err := desk(c.Recep).Register(ctx, frontdesk.Patient{Family: "Booker", Given: "Bea", Birth: "1970-07-07", Phone: "030 5550 7777"}, false)
	if err != nil {
		t.Fatal(err)
	}
	return c, p, apptest.Zone(t, "Europe/Berlin")
}

func TestBookingLifecycle(t *testing.T) {
	ctx := context.Background()
	c, p, loc := frontDesk(t)
	fp := c.Phys.Fingerprint()
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, loc) }
	a, err := desk(c.Recep).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(2, 10, 0), Minutes: 15, Reason: "Blood pressure review"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		a     frontdesk.Appointment
		want  error
		field string
	}{
		{"double booking", frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(2, 10, 0), Minutes: 15}, frontdesk.ErrSlotTaken, "Booker, Bea"},
		{"outside hours", frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(2, 18, 0), Minutes: 15}, frontdesk.ErrOutsideHours, "does not work"},
		{"day off", frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(4, 9, 0), Minutes: 15}, frontdesk.ErrOutsideHours, "is off"},
		{"no patient", frontdesk.Appointment{Patient: "nobody", Physician: fp, Start: at(2, 11, 0), Minutes: 15}, app.ErrInvalidInput, "registered patient"},
		{"no physician", frontdesk.Appointment{Patient: p.ID, Physician: c.Recep.Fingerprint(), Start: at(2, 11, 0), Minutes: 15}, app.ErrInvalidInput, "physician"},
		{"no length", frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(2, 11, 0)}, app.ErrInvalidInput, "lasts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := desk(c.Recep).Book(ctx, tt.a)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Book: %v; want %v naming %q", err, tt.want, tt.field)
			}
		})
	}
	over, err := desk(c.Recep).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(2, 10, 0), Minutes: 15, Reason: "Urgent", Overbooked: true})
	if err != nil {
		t.Fatalf("overbook: %v", err)
	}
	day, err := desk(c.Recep).DaySchedule(ctx, []string{fp, c.Phys2.Fingerprint()}, at(2, 12, 0))
	if err != nil || len(day) != 2 {
		t.Fatal(day, err)
	}
	if n := len(day[0].Slots); n != 32 {
		t.Errorf("%d slots, want 32 (two 4-hour stretches of 15 minutes)", n)
	}
	var ten frontdesk.Slot
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
	if _, err := desk(c.Recep).Reschedule(ctx, over.ID, at(2, 10, 0), 15, false); !errors.Is(err, frontdesk.ErrSlotTaken) {
		t.Errorf("reschedule onto a taken slot: %v", err)
	}
	moved, err := desk(c.Recep).Reschedule(ctx, over.ID, at(3, 9, 30), 30, false)
	if err != nil || !moved.Start.Equal(at(3, 9, 30)) || moved.Minutes != 30 || moved.Overbooked {
		t.Fatalf("reschedule: %+v, %v", moved, err)
	}
	if _, err := desk(c.Recep).Reschedule(ctx, a.ID, at(2, 10, 15), 15, false); err != nil {
		t.Errorf("moving within its own time: %v", err)
	}
	// Check in, no-show, cancel.
	if _, err := desk(c.Recep).Cancel(ctx, a.ID, " "); !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("cancel without a reason: %v", err)
	}
	if got, err := desk(c.Recep).CheckIn(ctx, a.ID); err != nil || got.Status != frontdesk.StatusArrived || got.Arrived.IsZero() {
		t.Errorf("check in: %+v, %v", got, err)
	}
	if _, err := desk(c.Recep).Cancel(ctx, a.ID, "changed mind"); !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("cancel an arrived patient: %v", err)
	}
	if got, err := desk(c.Recep).Cancel(ctx, moved.ID, "frontdesk.Patient called: feeling better"); err != nil || got.Status != frontdesk.StatusCancelled || got.CancelReason != "frontdesk.Patient called: feeling better" {
		t.Errorf("cancel: %+v, %v", got, err)
	}
	if _, err := desk(c.Recep).Reschedule(ctx, moved.ID, at(3, 11, 0), 15, false); !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("moving a cancelled appointment: %v", err)
	}
	late, err := desk(c.Recep).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(2, 9, 0), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	soon, err := desk(c.Recep).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(2, 11, 0), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := desk(c.Recep).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: at(2, 8, 0), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk(c.Recep).MarkNoShow(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	// The clock reads 2026-11-02 10:00 in Berlin (+ an hour or so of test).
	today, err := desk(c.Recep).FrontDeskDay(ctx, c.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := map[frontdesk.DeskState]int{frontdesk.Arrived: 1, frontdesk.Late: 1, frontdesk.Expected: 1, frontdesk.NoShow: 1}
	for _, st := range frontdesk.DeskStates {
		if today.Counts[st] != want[st] {
			t.Errorf("%s: %d, want %d (%+v)", st, today.Counts[st], want[st], today.Rows)
		}
	}
	states := map[string]frontdesk.DeskState{}
	for _, r := range today.Rows {
		states[r.ID] = r.State
		if r.PhysicianName != "Dr Paul Physician" || r.PatientName != "Booker, Bea" {
			t.Errorf("row %+v lacks names", r)
		}
	}
	if states[late.ID] != frontdesk.Late || states[soon.ID] != frontdesk.Expected || states[a.ID] != frontdesk.Arrived || states[gone.ID] != frontdesk.NoShow {
		t.Errorf("states %v", states)
	}
	// The physician's calendar sees the same day.
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	cal, err := desk(c.Phys).Calendar(ctx, fp, at(2, 0, 0))
	if err != nil || len(cal) != 4 {
		t.Errorf("physician's calendar: %d appointments, %v", len(cal), err)
	}
}

// TestUndoCheckIn: a check-in made by mistake is taken back (booked
// again, no arrival time), the appointment's history keeps the check-in and
// its undo by the receptionist, and only a checked-in appointment can be
// set back.
func TestUndoCheckIn(t *testing.T) {
	ctx := context.Background()
	c, p, loc := frontDesk(t)
	a, err := desk(c.Recep).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: c.Phys.Fingerprint(),
		Start: time.Date(2026, 11, 2, 10, 0, 0, 0, loc), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk(c.Recep).UndoCheckIn(ctx, a.ID); !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("undo of a booked appointment: %v", err)
	}
	if _, err := desk(c.Recep).CheckIn(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	got, err := desk(c.Recep).UndoCheckIn(ctx, a.ID)
	if err != nil || got.Status != frontdesk.StatusBooked || !got.Arrived.IsZero() {
		t.Fatalf("undo: %+v, %v", got, err)
	}
	day, err := desk(c.Recep).FrontDeskDay(ctx, c.Clock.Now())
	if err != nil || day.Counts[frontdesk.Arrived] != 0 || day.Counts[frontdesk.Expected]+day.Counts[frontdesk.Late] != 1 {
		t.Errorf("the desk's day after the undo: %+v, %v", day.Counts, err)
	}
	r, err := c.Recep.Core().ReplicaFor(roles.SearchPatients)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := r.History(ctx, roles.FrontDesk, records.KindAppointment, a.ID)
	if err != nil || len(hist) != 3 {
		t.Fatalf("history: %d events, %v", len(hist), err)
	}
	undo := hist[2]
	if undo.Author != c.Recep.Fingerprint() || string(undo.Fields[records.AppointmentStatus]) != `"booked"` ||
		string(undo.Fields[records.AppointmentArrivedAt]) != "null" {
		t.Errorf("the undo as written: by %s, %s", undo.Author, undo.Fields)
	}
	if got, err := desk(c.Recep).CheckIn(ctx, a.ID); err != nil || got.Status != frontdesk.StatusArrived {
		t.Errorf("checking in again: %+v, %v", got, err)
	}
}

func TestRecurringSeries(t *testing.T) {
	ctx := context.Background()
	c, p, loc := frontDesk(t)
	fp := c.Phys.Fingerprint()
	// Tuesdays at 09:00 for six weeks from 13 October: the clocks go back
	// on 25 October, and every appointment stays at 09:00 in Berlin.
	first := time.Date(2026, 10, 13, 9, 0, 0, 0, loc)
	as, err := desk(c.Recep).BookSeries(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: first, Minutes: 15, Reason: "Physiotherapy"}, frontdesk.Recurrence{EveryWeeks: 1, Count: 6})
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
	if _, err := desk(c.Recep).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: time.Date(2026, 11, 9, 14, 0, 0, 0, loc), Minutes: 15}); err != nil {
		t.Fatal(err)
	}
	_, err = desk(c.Recep).BookSeries(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: time.Date(2026, 10, 26, 14, 0, 0, 0, loc), Minutes: 15}, frontdesk.Recurrence{EveryWeeks: 1, Count: 4})
	var se *frontdesk.SeriesError
	if !errors.As(err, &se) || len(se.Refused) != 1 || !errors.Is(err, frontdesk.ErrSlotTaken) {
		t.Fatalf("a series over a booking: %v", err)
	}
	if got, _ := desk(c.Recep).Calendar(ctx, fp, time.Date(2026, 10, 26, 0, 0, 0, 0, loc)); len(got) != 0 {
		t.Errorf("a refused series left %d appointments", len(got))
	}
	// Change one occurrence: only it moves.
	if _, err := desk(c.Recep).Reschedule(ctx, as[1].ID, time.Date(2026, 10, 20, 11, 0, 0, 0, loc), 15, false); err != nil {
		t.Fatal(err)
	}
	// Move the rest from the fourth on to Thursdays 10:00.
	moved, err := desk(c.Recep).RescheduleSeries(ctx, as[3].ID, time.Date(2026, 11, 5, 10, 0, 0, 0, loc), 30, false)
	if err != nil || len(moved) != 3 {
		t.Fatalf("reschedule the rest: %d, %v", len(moved), err)
	}
	all, err := desk(c.Recep).SeriesAppointments(ctx, as[0].Series)
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
	n, err := desk(c.Recep).CancelSeries(ctx, all[4].ID, "Treatment finished early")
	if err != nil || n != 2 {
		t.Fatalf("cancel the rest: %d, %v", n, err)
	}
	all, _ = desk(c.Recep).SeriesAppointments(ctx, as[0].Series)
	for i, a := range all {
		if cancelled := a.Status == frontdesk.StatusCancelled; cancelled != (i >= 4) || cancelled && a.CancelReason != "Treatment finished early" {
			t.Errorf("occurrence %d: %s %q", i, a.Status, a.CancelReason)
		}
	}
}

// Two desks book the same slot without having seen each other: both
// bookings are kept, and every workstation shows them as a conflict.
func TestConcurrentBookingsAreKeptAsConflict(t *testing.T) {
	ctx := context.Background()
	c, p, loc := frontDesk(t)
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	fp := c.Phys.Fingerprint()
	slot := time.Date(2026, 11, 3, 9, 0, 0, 0, loc)
	a1, err := desk(c.Recep).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: slot, Minutes: 15, Reason: "from the desk"})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := desk(c.Phys2).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp, Start: slot.Add(5 * time.Minute), Minutes: 15, Reason: "from a colleague"})
	if err != nil {
		t.Fatalf("the second workstation has not seen the first booking, so it books: %v", err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*app.Session{c.Recep, c.Phys, c.Phys2} {
		cal, err := desk(s).Calendar(ctx, fp, slot)
		if err != nil || len(cal) != 2 {
			t.Fatalf("%s sees %d appointments, %v", s.StaffName(), len(cal), err)
		}
		for _, a := range cal {
			if !a.Conflict || (a.ID != a1.ID && a.ID != a2.ID) {
				t.Errorf("%s: %+v is not shown as a conflict", s.StaffName(), a)
			}
		}
		day, err := desk(s).FrontDeskDay(ctx, slot)
		if err != nil || len(day.Rows) != 2 || !day.Rows[0].Conflict || !day.Rows[1].Conflict {
			t.Errorf("%s today list: %+v, %v", s.StaffName(), day.Rows, err)
		}
	}
	// Moving one away resolves it for everyone.
	if _, err := desk(c.Recep).Reschedule(ctx, a2.ID, slot.Add(time.Hour), 15, false); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	cal, _ := desk(c.Phys2).Calendar(ctx, fp, slot)
	for _, a := range cal {
		if a.Conflict {
			t.Errorf("still a conflict after moving: %+v", a)
		}
	}
}

// The desk is asked before a patient is booked twice the same day or at
// overlapping times; cancelled appointments and other patients do not
// count.
func TestPatientClashes(t *testing.T) {
	ctx := context.Background()
	c, p, loc := frontDesk(t)
	d := desk(c.Recep)
	other, err := d.Register(ctx, frontdesk.Patient{Family: "Other", Given: "Olga", Birth: "1980-01-01"}, false)
	if err != nil {
		t.Fatal(err)
	}
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, loc) }
	ten, err := d.Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: c.Phys.Fingerprint(), Start: at(3, 10, 0), Minutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := d.Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: c.Phys.Fingerprint(), Start: at(3, 14, 0), Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Cancel(ctx, gone.ID, "Patient called"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Book(ctx, frontdesk.Appointment{Patient: other.ID, Physician: c.Phys.Fingerprint(), Start: at(3, 11, 0), Minutes: 15}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a    frontdesk.Appointment
		want int
	}{
		{"same day, later", frontdesk.Appointment{Patient: p.ID, Physician: c.Phys2.Fingerprint(), Start: at(3, 16, 0), Minutes: 15}, 1},
		{"overlapping, other physician", frontdesk.Appointment{Patient: p.ID, Physician: c.Phys2.Fingerprint(), Start: at(3, 10, 15), Minutes: 15}, 1},
		{"the next day", frontdesk.Appointment{Patient: p.ID, Physician: c.Phys.Fingerprint(), Start: at(4, 10, 0), Minutes: 15}, 0},
		{"another patient", frontdesk.Appointment{Patient: other.ID, Physician: c.Phys2.Fingerprint(), Start: at(3, 10, 0), Minutes: 15}, 1},
		{"itself, moved", frontdesk.Appointment{ID: ten.ID, Patient: p.ID, Physician: c.Phys.Fingerprint(), Start: at(3, 10, 30), Minutes: 15}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.PatientClashes(ctx, tt.a)
			if err != nil || len(got) != tt.want {
				t.Fatalf("%d clashes (%v), %v; want %d", len(got), got, err, tt.want)
			}
		})
	}
}

// Once the clinic's country is set, phone numbers are kept in E.164, a
// number that cannot be dialled is refused on its field, and a number
// typed before (in the national form) is still found as a duplicate.
func TestPhonesInE164OnceTheCountryIsSet(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	d := desk(c.Recep)
	before, err := d.Register(ctx, frontdesk.Patient{Family: "Early", Given: "Erik", Birth: "1960-01-01", Phone: "030 5550 7777"}, false)
	if err != nil || before.Phone != "030 5550 7777" {
		t.Fatalf("before the country: %q, %v", before.Phone, err)
	}
	if _, ok, err := d.ClinicCountry(ctx); ok || err != nil {
		t.Fatalf("a country before one is set (%v)", err)
	}
	if err := d.SetClinicCountry(ctx, "Atlantis"); !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("an unknown country: %v", err)
	}
	if err := d.SetClinicCountry(ctx, "de"); err != nil {
		t.Fatal(err)
	}
	if err := d.SetClinicZone(ctx, "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := d.ClinicCountry(ctx); !ok || err != nil || got.Code != "DE" {
		t.Fatalf("country %+v, %v, %v; setting the zone must keep it", got, ok, err)
	}
	p, err := d.Register(ctx, frontdesk.Patient{Family: "Later", Given: "Lena", Birth: "1970-01-01", Phone: "030 1234 5678",
		EmergencyPhone: "+44 20 7946 0958"}, false)
	if err != nil || p.Phone != "+493012345678" || p.EmergencyPhone != "+442079460958" {
		t.Fatalf("registered %q / %q, %v", p.Phone, p.EmergencyPhone, err)
	}
	_, err = d.Register(ctx, frontdesk.Patient{Family: "Other", Given: "Otto", Birth: "1980-01-01", Phone: "+49 0 12"}, false)
	var fe *frontdesk.FieldError
	if !errors.As(err, &fe) || fe.Field != "phone" {
		t.Errorf("an undiallable phone: %v", err)
	}
	_, err = d.Register(ctx, frontdesk.Patient{Family: "Someone", Given: "Else", Birth: "1990-01-01", Phone: "+49 30 5550 7777"}, false)
	var de *frontdesk.DuplicateError
	if !errors.As(err, &de) || len(de.Candidates) != 1 || de.Candidates[0].ID != before.ID {
		t.Errorf("the same phone typed before the country was set: %v", err)
	}
	found, err := c.Recep.SearchPatients(ctx, "3012345678", 5)
	if err != nil || len(found) != 1 || found[0].ID != p.ID {
		t.Errorf("search by the national number: %v, %v", found, err)
	}
}
