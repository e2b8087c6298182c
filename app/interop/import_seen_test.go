package interop

import (
	"context"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
)

// TestReceptionistImportsASeenAppointment: the desk's import of an
// appointment another clinic saw ("fulfilled") writes the status "seen"
// by a receptionist, which every workstation refuses from her but in the
// event that proves an import (its id bound to it: session 26, h-mrn26).
// The import stands on every workstation and reads seen, imported; the
// patient's MRN is bound to her record's id too.
func TestReceptionistImportsASeenAppointment(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	seen := `{"resourceType":"Appointment","status":"fulfilled","start":"2025-01-02T10:00:00Z","end":"2025-01-02T10:20:00Z",` +
		`"participant":[{"actor":{"reference":"Patient/p1"},"status":"accepted"}]}`
	booked := strings.Replace(seen, `"fulfilled"`, `"booked"`, 1)
	if _, err := c.recep.ImportFHIR(ctx, strings.NewReader(bundleOf(goodPatient, seen, booked))); err != nil {
		t.Fatalf("the receptionist's import: %v", err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	for i, s := range []staff{c.recep, c.phys, c.phys2} {
		who := []string{"the receptionist", "the physician", "the second physician"}[i]
		r, err := s.Replica()
		if err != nil {
			t.Fatal(err)
		}
		rows, err := r.Entities(ctx, records.KindAppointment)
		if err != nil {
			t.Fatal(err)
		}
		statuses := map[string]int{}
		for _, row := range rows {
			a := records.AppointmentFromState(row.ID, row.State)
			if !a.IsImported() || !roles.IsPinned(records.KindAppointment, a.ID) {
				t.Errorf("%s: appointment %s reads not imported (%+v) or its id is bound to no import", who, a.ID, a.Origin)
			}
			statuses[a.Status]++
		}
		if statuses[records.StatusSeen] != 1 || statuses[records.StatusBooked] != 1 {
			t.Errorf("%s reads the imported appointments as %v; want one seen, one booked", who, statuses)
		}
		found, err := s.SearchPatients(ctx, "Transfer", 5)
		if err != nil || len(found) != 1 || !roles.IsPinned(records.KindPatient, found[0].ID) {
			t.Errorf("%s: the imported patient %+v (%v); want one, her id bound to her MRN", who, found, err)
		}
	}
}
