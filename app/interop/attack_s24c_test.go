package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
)

// TestAttackS24cStoppedImportedMedicationExportsActive (h-rev24, MEDIUM,
// clinical): a medication imported from a FHIR MedicationRequest keeps
// the request's own status (records.RequestStatus, "active") so that an
// export gives the request back; StopMedication writes the record's
// status and stop date only. The export wrote the MedicationRequest with
// the imported status: a drug the physician stopped here (warfarin after
// a bleed) left the clinic as "active" in every transfer bundle and in the
// patient's own copy (PatientBundle), and another clinic importing that
// bundle recorded it as taken (its prescribing checks count it).
func TestAttackS24cStoppedImportedMedicationExportsActive(t *testing.T) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const drug = `{"resourceType":"MedicationRequest","status":"active","intent":"order",` +
		`"medicationCodeableConcept":{"text":"warfarin 5 mg tablet"},` + subjectP1 +
		`,"authoredOn":"2025-01-02","dosageInstruction":[{"text":"1 tablet daily"}]}`
	c := newClinic(t)
	if _, err := c.phys.ImportFHIR(ctx, strings.NewReader(bundleOf(goodPatient, drug))); err != nil {
		t.Fatalf("ImportFHIR: %v", err)
	}
	must(app.SyncLocal(ctx, c.All()...))
	found, err := c.phys.SearchPatients(ctx, "Transfer", 5)
	if err != nil || len(found) != 1 {
		t.Fatalf("imported patient: %v %v", found, err)
	}
	medication := func(s staff, patient string) chart.Medication {
		t.Helper()
		ch, err := s.OpenChart(ctx, patient)
		must(err)
		for _, m := range ch.Medications {
			if strings.HasPrefix(m.Name, "warfarin") {
				return m
			}
		}
		t.Fatalf("no warfarin among the chart's active medications: %+v", ch.Medications)
		return chart.Medication{}
	}
	m := medication(c.phys, found[0].ID)
	if m.Status != chart.MedicationActive || m.Request == nil {
		t.Fatalf("imported %+v, want an active medication kept with its request", m)
	}
	must(c.phys.StopMedication(ctx, m.ID))

	bundle, _ := exportOf(t, c.phys, found[0].ID)
	var b struct {
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				Status       string `json:"status"`
				Medication   struct {
					Text string `json:"text"`
				} `json:"medicationCodeableConcept"`
			} `json:"resource"`
		} `json:"entry"`
	}
	must(json.Unmarshal(bundle, &b))
	seen := false
	for _, e := range b.Entry {
		r := e.Resource
		if !strings.HasPrefix(r.Medication.Text, "warfarin") {
			continue
		}
		seen = true
		if r.Status != "stopped" {
			t.Errorf("the export gives the stopped warfarin as a %s with status %q, want \"stopped\"", r.ResourceType, r.Status)
		}
	}
	if !seen {
		t.Fatal("no warfarin in the export")
	}

	// Another clinic importing the export does not record it as taken.
	c2 := newClinic(t)
	if _, err := c2.phys.ImportFHIR(ctx, bytes.NewReader(bundle)); err != nil {
		t.Fatalf("ImportFHIR in another clinic: %v", err)
	}
	must(app.SyncLocal(ctx, c2.All()...))
	there, err := c2.phys.SearchPatients(ctx, "Transfer", 5)
	if err != nil || len(there) != 1 {
		t.Fatalf("patient in the other clinic: %v %v", there, err)
	}
	ch, err := c2.phys.OpenChart(ctx, there[0].ID)
	must(err)
	for _, m := range ch.Medications {
		if strings.HasPrefix(m.Name, "warfarin") {
			t.Errorf("the other clinic's chart lists the warfarin stopped here as taken: %+v", m)
		}
	}
}
