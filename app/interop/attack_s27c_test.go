package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestAttackS27cImportedFormerIDsBounded (LOW, h-secb27's finding,
// h-low27): a FHIR import wrote every identifier of a bundle's patient as
// her former record numbers, with no bound on their count or length (a
// patient record's 1 MiB payload bounded them; a bundle may be 50 MiB),
// shown in every FHIR export of the patient afterwards. A Synthea patient
// carries about five (medical record, SSN, driver's licence, passport,
// Synthea's id): an import now takes at most 20 of at most 256 characters
// each ("system|value"), and says which entry holds too many or too long.
func TestAttackS27cImportedFormerIDsBounded(t *testing.T) {
	ctx := context.Background()
	c, _ := fhirClinic(t)
	patient := func(n, length int) string {
		var ids []string
		for i := 0; i < n; i++ {
			v := fmt.Sprintf("%0*d", length, i)
			ids = append(ids, fmt.Sprintf(`{"system":"https://github.com/synthetichealth/synthea","value":%q}`, v))
		}
		return strings.Replace(goodPatient, `"id":"p1",`, `"id":"p1","identifier":[`+strings.Join(ids, ",")+`],`, 1)
	}
	for _, tc := range []struct {
		name   string
		bundle string
		want   string
	}{
		{"21 identifiers", bundleOf(patient(21, 8)), "entry 1 (Patient): the patient has more than 20 identifiers"},
		{"10,000 identifiers", bundleOf(patient(10000, 8)), "entry 1 (Patient): the patient has more than 20 identifiers"},
		{"an identifier of 300 characters", bundleOf(patient(1, 300)), "entry 1 (Patient): identifier[0] is longer than 256 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) { importRefused(t, c.recep, tc.bundle, tc.want) })
	}
	// Twenty of 200 characters (with the system) are taken.
	sum, err := c.recep.ImportFHIR(ctx, strings.NewReader(bundleOf(patient(20, 150))))
	if err != nil || sum.Resources["Patient"] != 1 {
		t.Fatalf("twenty identifiers: %+v %v", sum, err)
	}
	found, err := c.recep.SearchPatients(ctx, "Transfer", 5)
	if err != nil || len(found) != 1 || len(found[0].FormerIDs) != 20 {
		t.Fatalf("the imported patient: %+v %v", found, err)
	}
}

// TestAttackS27cUnreadableStartNotExported: an appointment whose start
// does not parse (records.StartUnreadable, only modified software writes
// one) was exported to FHIR as starting on 1 January of year 1; FHIR needs
// a start for a booked appointment, so the export leaves it out, and keeps
// the patient's other appointments.
func TestAttackS27cUnreadableStartNotExported(t *testing.T) {
	ctx := context.Background()
	c, ps := fhirClinic(t)
	before, _ := exportOf(t, c.recep, ps[0].ID)
	n := strings.Count(string(before), `"resourceType": "Appointment"`)
	if n == 0 {
		t.Fatal("the patient has no appointment to spoil")
	}
	list, err := c.recep.desk().PatientAppointments(ctx, ps[0].ID)
	if err != nil || len(list) == 0 {
		t.Fatal(list, err)
	}
	r, err := c.recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := json.Marshal("tomorrow, 9 or so")
	if _, err := r.Append(ctx, replica.Change{Entity: list[0].ID, Kind: records.KindAppointment, Scope: roles.FrontDesk,
		Fields: replica.Fields{records.AppointmentStart: v}}); err != nil {
		t.Fatal(err)
	}
	after, _ := exportOf(t, c.recep, ps[0].ID)
	if strings.Contains(string(after), `"0001-`) || strings.Count(string(after), `"resourceType": "Appointment"`) != n-1 {
		t.Errorf("the export of %d appointments, one of them unreadable:\n%s", n, after)
	}
}
