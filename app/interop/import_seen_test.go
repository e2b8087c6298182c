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
// patient's MRN is bound to her record's id too, and since session 27 the
// appointment's id to its patient (records.NewImportedAppointmentID).
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
		found, err := s.SearchPatients(ctx, "Transfer", 5)
		if err != nil || len(found) != 1 || !roles.IsPinned(records.KindPatient, found[0].ID) {
			t.Fatalf("%s: the imported patient %+v (%v); want one, her id bound to her MRN", who, found, err)
		}
		patient := found[0]
		rows, err := r.Entities(ctx, records.KindAppointment)
		if err != nil {
			t.Fatal(err)
		}
		statuses := map[string]int{}
		for _, row := range rows {
			a := records.AppointmentFromState(row.ID, row.State)
			if !a.IsImported() || !roles.IsBound(records.KindAppointment, a.ID) {
				t.Errorf("%s: appointment %s reads not imported (%+v) or its id is bound to no import", who, a.ID, a.Origin)
			}
			// Since session 27 bound to its patient too (NewBookingID).
			if a.Patient != patient.ID {
				t.Errorf("%s: appointment %s names patient %q; want the imported patient %s", who, a.ID, a.Patient, patient.ID)
			}
			statuses[a.Status]++
		}
		if statuses[records.StatusSeen] != 1 || statuses[records.StatusBooked] != 1 {
			t.Errorf("%s reads the imported appointments as %v; want one seen, one booked", who, statuses)
		}
	}
}

// TestImportedVisitNamesItsAppointment: an imported appointment's id is
// made when it is written, once its patient's is known (session 27:
// bound to its patient); the encounter imported with it, written after
// it, names that id, and the appointment names the patient's.
func TestImportedVisitNamesItsAppointment(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	appt := `{"resourceType":"Appointment","id":"a1","status":"fulfilled","start":"2025-01-02T10:00:00Z","end":"2025-01-02T10:20:00Z",` +
		`"participant":[{"actor":{"reference":"Patient/p1"},"status":"accepted"}]}`
	// The encounter first in the bundle: the import still writes the
	// appointment before it.
	enc := `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},` + subjectP1 +
		`,"appointment":[{"reference":"Appointment/a1"}],"period":{"start":"2025-01-02T10:00:00Z","end":"2025-01-02T10:20:00Z"}}`
	if _, err := c.phys.ImportFHIR(ctx, strings.NewReader(bundleOf(goodPatient, enc, appt))); err != nil {
		t.Fatalf("the import: %v", err)
	}
	r, err := c.phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	appts, err := r.Entities(ctx, records.KindAppointment)
	if err != nil || len(appts) != 1 {
		t.Fatalf("%d appointments (%v); want 1", len(appts), err)
	}
	encs, err := r.Entities(ctx, records.KindEncounter)
	if err != nil || len(encs) != 1 {
		t.Fatalf("%d encounters (%v); want 1", len(encs), err)
	}
	a := records.AppointmentFromState(appts[0].ID, appts[0].State)
	if en := records.EncounterFromState(encs[0].ID, encs[0].State); en.Appointment != a.ID || en.Patient != a.Patient || a.Patient == "" {
		t.Errorf("the encounter names appointment %s and patient %s; the appointment is %s, of patient %s", en.Appointment, en.Patient, a.ID, a.Patient)
	}
	if !roles.IsBound(records.KindAppointment, a.ID) {
		t.Errorf("the imported appointment's id %s is not bound to what its import wrote", a.ID)
	}
}
