package apptest

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
)

// The scenes tests start from, beyond the clinic itself.

// Visit registers a patient, Cora Chartwell, and books her with the first
// physician an hour from now.
func (c *Clinic) Visit(t testing.TB) (app.Patient, frontdesk.Appointment) {
	t.Helper()
	ctx := context.Background()
	p, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Chartwell", Given: "Cora", Birth: "1961-03-14", Sex: "female"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := frontdesk.New(c.Recep.Core()).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: c.Phys.Fingerprint(), Start: c.Clock.Now().Add(time.Hour),
		Minutes: 20, Reason: "Sore throat"})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	return p, a
}

// Week is a physician's working week: Monday to Friday, 8 to 12 and 13 to
// 17, in 15-minute slots, with Wednesday 4 November 2026 off.
func Week(fp string) frontdesk.Availability {
	av := frontdesk.Availability{Physician: fp, SlotMinutes: 15, Set: true, DaysOff: []string{"2026-11-04"}}
	for d := time.Monday; d <= time.Friday; d++ {
		av.Week[d] = []frontdesk.Hours{{From: 8 * 60, To: 12 * 60}, {From: 13 * 60, To: 17 * 60}}
	}
	return av
}

// FrontDesk puts the clinic in Europe/Berlin, gives the first physician
// Week and registers a patient, Bea Booker.
func (c *Clinic) FrontDesk(t testing.TB) (frontdesk.Patient, *time.Location) {
	t.Helper()
	ctx := context.Background()
	desk := frontdesk.New(c.Recep.Core())
	if err := desk.SetClinicZone(ctx, "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	if err := desk.SetAvailability(ctx, Week(c.Phys.Fingerprint())); err != nil {
		t.Fatal(err)
	}
	p, err := desk.Register(ctx, app.Patient{Family: "Booker", Given: "Bea", Birth: "1970-07-07", Phone: "030 5550 7777"}, false)
	if err != nil {
		t.Fatal(err)
	}
	return p, Zone(t, "Europe/Berlin")
}
