package interop

import (
	"context"
	"fmt"
	"strings"
	"testing"
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
