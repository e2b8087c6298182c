package frontdesk_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestAttackS27bAppointmentMovedToAnotherPatient: Attack (LOW–MEDIUM,
// session 27, h-secb27): an appointment's patient and physician were
// last-writer fields any front-desk member could rewrite. Honest software
// writes them once, at booking (the desk cancels and books again; neither
// Reschedule nor a series' move writes them), but a receptionist's
// workstation wrote a later event moving Dr A's appointment with Bea
// Booker onto Cal Other, or onto Dr B's calendar, and every workstation
// applied it: the physician's calendar and the chart's link named the
// wrong patient. Now a booking's id is bound to its patient and physician
// (records.NewBookingID): her workstation refuses to write another before
// signing, and every workstation refuses it on apply (sync/replica's
// TestAttackS27b… judge modified software's events).
func TestAttackS27bAppointmentMovedToAnotherPatient(t *testing.T) {
	ctx := context.Background()
	c, p, loc := frontDesk(t)
	other, err := desk(c.Recep).Register(ctx, frontdesk.Patient{Family: "Other", Given: "Cal", Birth: "1980-01-01"}, false)
	if err != nil {
		t.Fatal(err)
	}
	fp, fp2 := c.Phys.Fingerprint(), c.Phys2.Fingerprint()
	one, err := desk(c.Recep).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp,
		Start: time.Date(2026, 11, 2, 10, 0, 0, 0, loc), Minutes: 15, Reason: "Blood pressure review"})
	if err != nil {
		t.Fatal(err)
	}
	series, err := desk(c.Recep).BookSeries(ctx, frontdesk.Appointment{Patient: p.ID, Physician: fp,
		Start: time.Date(2026, 11, 3, 9, 0, 0, 0, loc), Minutes: 15, Reason: "Physiotherapy"}, frontdesk.Recurrence{EveryWeeks: 1, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	for _, tc := range []struct {
		name string
		id   string
		f    replica.Fields
	}{
		{"a booking onto another patient", one.ID, replica.Fields{records.AppointmentPatient: str(other.ID)}},
		{"a booking onto another physician", one.ID, replica.Fields{records.AppointmentPhysician: str(fp2)}},
		{"a booking's patient erased", one.ID, replica.Fields{records.AppointmentPatient: json.RawMessage("null")}},
		{"a series' appointment onto another patient and physician", series[1].ID,
			replica.Fields{records.AppointmentPatient: str(other.ID), records.AppointmentPhysician: str(fp2)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Append(ctx, replica.Change{Entity: tc.id, Kind: records.KindAppointment, Scope: roles.FrontDesk, Fields: tc.f})
			if !errors.Is(err, replica.ErrForbidden) {
				t.Errorf("the receptionist's workstation writes it: %v; want %v", err, replica.ErrForbidden)
			}
			if err := app.SyncLocal(ctx, c.Recep, c.Phys, c.Phys2); err != nil {
				t.Fatal(err)
			}
			for _, s := range []*app.Session{c.Phys, c.Phys2, c.Recep} {
				got, err := desk(s).Appointment(ctx, tc.id)
				if err != nil {
					t.Fatal(err)
				}
				if got.Patient != p.ID || got.Physician != fp {
					t.Errorf("%s reads the appointment with patient %s (%s) and physician %.8s; want %s (%s) and %.8s",
						s.Fingerprint()[:8], got.PatientName, got.Patient, got.Physician, p.Name(), p.ID, fp)
				}
			}
		})
	}
	// What the desk does to a booking still works: moved, checked in.
	if _, err := desk(c.Recep).Reschedule(ctx, one.ID, time.Date(2026, 11, 2, 11, 0, 0, 0, loc), 20, false); err != nil {
		t.Fatalf("reschedule: %v", err)
	}
	if _, err := desk(c.Recep).RescheduleSeries(ctx, series[0].ID, time.Date(2026, 11, 3, 10, 0, 0, 0, loc), 15, false); err != nil {
		t.Fatalf("reschedule the series: %v", err)
	}
	if _, err := desk(c.Recep).CheckIn(ctx, one.ID); err != nil {
		t.Fatalf("check in: %v", err)
	}
}
