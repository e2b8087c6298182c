package interop

import (
	"context"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
)

// Resources in the Synthea style: urn:uuid full URLs, conditional
// references to practitioners, organizations kept elsewhere.
const (
	refPatient = `{"resourceType":"Patient","id":"p1","identifier":[{"system":"urn:x","value":"42"}],` +
		`"name":[{"family":"Refs","given":["Rhea"]}],"birthDate":"1970-01-02"}`
	refPractitioner = `{"resourceType":"Practitioner","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"999"}],` +
		`"name":[{"family":"Nienow","given":["Alphonso"],"prefix":["Dr."]}]}`
	refEncounter = `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},` +
		`"subject":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000001"},` +
		`"participant":[{"individual":{"reference":"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999","display":"someone"}}],` +
		`"period":{"start":"2020-01-02T10:00:00Z"},` +
		`"serviceProvider":{"reference":"Organization?identifier=https://github.com/synthetichealth/synthea|x","display":"PCP1"}}`
	refLab = `{"resourceType":"Observation","status":"final",` +
		`"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],` +
		`"code":{"coding":[{"system":"http://loinc.org","code":"2345-7","display":"Glucose"}]},` +
		`"subject":{"reference":"Patient?identifier=urn:x|42"},"effectiveDateTime":"2020-01-02T10:00:00Z",` +
		`"valueQuantity":{"value":5.60,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"},` +
		`"referenceRange":[{"low":{"value":3.9,"unit":"mmol/L"},"high":{"value":5.5,"unit":"mmol/L"}}],` +
		`"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"H"}]}]}`
	refImmunization = `{"resourceType":"Immunization","status":"completed",` +
		`"vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"140","display":"Influenza, seasonal"}]},` +
		`"patient":{"reference":"Patient/p1"},"occurrenceDateTime":"2020-10-01T09:00:00+02:00","primarySource":true,"lotNumber":"AB12"}`
	refClaim = `{"resourceType":"Claim","status":"active"}`
)

func TestFHIRImportReferences(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	noSeverity := `{"resourceType":"AllergyIntolerance","code":{"text":"Peanut"},"patient":{"reference":"Patient/p1"}}`
	good := bundleOf(refPatient, refPractitioner, refEncounter, refLab, refImmunization, refClaim, refClaim, noSeverity)
	searchset := strings.Replace(good, `"type":"collection"`, `"type":"searchset"`, 1)
	sum, err := c.phys.ImportFHIR(ctx, strings.NewReader(searchset))
	if err != nil {
		t.Fatalf("ImportFHIR: %v", err)
	}
	if sum.Resources["Observation"] != 1 || sum.Resources["Immunization"] != 1 || sum.Resources["Encounter"] != 1 ||
		sum.LeftOut["Claim"] != 2 || sum.LeftOutTotal != 2 {
		t.Errorf("summary %+v", sum)
	}
	if notes := strings.Join(sum.Notes, " "); !strings.Contains(notes, "Left out, as Medihaven does not keep them: 2 Claim.") ||
		!strings.Contains(notes, "Peanut was recorded without a severity") || sum.Resources["AllergyIntolerance"] != 1 {
		t.Errorf("notes %q", sum.Notes)
	}
	found, err := c.phys.SearchPatients(ctx, "Refs", 1)
	if err != nil || len(found) != 1 {
		t.Fatalf("patient: %v %v", found, err)
	}
	r, _ := c.phys.Replica()
	recs, err := chart.PatientRecords(ctx, r, found[0].ID, records.KindResult, records.KindEncounter, records.KindImmunization)
	if err != nil || len(recs[records.KindResult]) != 1 || len(recs[records.KindEncounter]) != 1 || len(recs[records.KindImmunization]) != 1 {
		t.Fatalf("records %v %v", recs, err)
	}
	res := records.ResultFromState(recs[records.KindResult][0].ID, recs[records.KindResult][0].State)
	if res.Value.String() != "5.60 mmol/L" || res.Ranges[0].String() != "3.9–5.5 mmol/L" || res.Abnormal() != "H" || res.Category != "laboratory" {
		t.Errorf("result %q range %q flag %q", res.Value.String(), res.Ranges[0].String(), res.Abnormal())
	}
	// The conditional reference found the practitioner of the bundle.
	if en := records.EncounterFromState("", recs[records.KindEncounter][0].State); en.Attribution != "Dr. Alphonso Nienow" {
		t.Errorf("encounter attribution %q", en.Attribution)
	}
	im := records.ImmunizationFromState("", recs[records.KindImmunization][0].State)
	if im.Vaccine.Code("http://hl7.org/fhir/sid/cvx") != "140" || im.Date != "2020-10-01T09:00:00+02:00" || im.Lot != "AB12" {
		t.Errorf("immunization %+v", im)
	}

	// A literal reference to nothing is refused wherever it is.
	other := strings.Replace(refPatient, "Refs", "Elsewhere", 1)
	bad := func(from, to string) string {
		return bundleOf(other, refPractitioner, strings.Replace(refEncounter, from, to, 1))
	}
	tests := []struct{ name, bundle, want string }{
		{"serviceProvider", bad(`"Organization?identifier=https://github.com/synthetichealth/synthea|x"`, `"Organization/nowhere"`),
			`entry 3 (Encounter): serviceProvider "Organization/nowhere" points to no resource of this bundle`},
		{"location", bad(`"period":{`, `"location":[{"location":{"reference":"urn:uuid:dead"}}],"period":{`),
			`location[0].location "urn:uuid:dead" points to no resource of this bundle`},
		{"subject by identifier", bad(`"urn:uuid:00000000-0000-4000-8000-000000000001"`, `"Patient?identifier=urn:x|nobody"`),
			`subject "Patient?identifier=urn:x|nobody" points to no resource of this bundle`},
		{"ambiguous", bundleOf(other, refPractitioner, refPractitioner, refEncounter),
			`matches entries 2 and 3`},
		{"search by name", bad(`"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999"`, `"Practitioner?name=Nienow"`),
			`searches by something other than an identifier`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := events(t, c.phys)
			_, err := c.phys.ImportFHIR(ctx, strings.NewReader(tt.bundle))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "nothing was imported") {
				t.Errorf("error %v; want one with %q", err, tt.want)
			}
			if events(t, c.phys) != before {
				t.Error("a refused import wrote events")
			}
		})
	}
}

// The preview writes nothing and says what an import would keep.
func TestFHIRPreview(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	before := events(t, c.phys)
	sum, err := c.phys.PreviewFHIR(ctx, strings.NewReader(bundleOf(refPatient, refPractitioner, refEncounter, refLab, refClaim)))
	if err != nil {
		t.Fatal(err)
	}
	if events(t, c.phys) != before {
		t.Error("the preview wrote events")
	}
	if got, want := sum.Summary(), "This bundle holds 1 patient, 3 records Medihaven keeps and 1 it leaves out: 1 Claim."; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}
