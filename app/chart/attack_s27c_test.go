package chart_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestAttackS27cVisitOfAnAppointmentWithoutAPatient (LOW, h-secb27's
// finding, h-low27): StartVisit took an appointment's patient as it was
// written. A desk member's modified software books (under her own bound
// id) an appointment whose patient is another record (an appointment), no
// record at all, or nothing: the physician's Start visit must refuse it
// with a clear message and write nothing, not an encounter of a record
// that is no patient.
func TestAttackS27cVisitOfAnAppointmentWithoutAPatient(t *testing.T) {
	ctx := context.Background()
	c, _, a := visit(t)
	r, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, patient string }{
		{"another appointment", a.ID},
		{"no record", roles.NewRecordID(records.KindPatient)},
		{"nothing", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forged := a
			forged.Patient, forged.BookedBy = tc.patient, r.Fingerprint()
			forged, err := records.NewBookingID(forged)
			if err != nil {
				t.Fatal(err)
			}
			f, err := forged.Fields()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Append(ctx, replica.Change{Entity: forged.ID, Kind: records.KindAppointment, Scope: roles.FrontDesk, Fields: f}); err != nil {
				t.Fatal(err)
			}
			if err := app.SyncLocal(ctx, c.Recep, c.Phys); err != nil {
				t.Fatal(err)
			}
			en, err := cs(c.Phys).StartVisit(ctx, forged.ID, true)
			if !errors.Is(err, app.ErrInvalidInput) || !strings.Contains(err.Error(), "no registered patient") {
				t.Errorf("Start visit: %+v, %v; want %v saying it names no registered patient", en, err, app.ErrInvalidInput)
			}
			if got := appointmentAt(t, c.Phys, forged.ID); got.Status != records.StatusBooked || !got.VisitStarted.IsZero() {
				t.Errorf("the appointment is %s, its visit started at %v", got.Status, got.VisitStarted)
			}
		})
	}
}
