package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/roles"
)

// fhirClinic is a demo-like clinic: two patients with full demographics,
// appointments (one cancelled), an encounter, vitals, problems (one
// resolved), allergies (one removed), medications (one stopped), a signed
// note with an addendum, prescriptions (one with an allergy override, one
// cancelled, one with an addendum).
func fhirClinic(t *testing.T) (*clinic, []app.Patient) {
	t.Helper()
	ctx := context.Background()
	c := newClinic(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ps, err := c.recep.RegisterPatients(ctx, []app.Patient{
		{Family: "Chartwell", Given: "Cora Mae", Birth: "1961-03-14", Sex: "female", Phone: "+44 20 7946 0018",
			Email: "cora@example.org", Address: "12 Elm Row, Leith", Insurance: "INS-4471", EmergencyName: "Bram Chartwell",
			EmergencyPhone: "020 7946 0019", Consent: true, ConsentDate: "2020-01-05"},
		{Family: "Okoro", Given: "Tunde", Birth: "1990-07-01", Sex: "male"},
	})
	must(err)
	p := ps[0]
	a, err := frontdesk.New(c.recep.Core()).Book(ctx, frontdesk.Appointment{Patient: p.ID, Physician: c.phys.Fingerprint(), Start: c.Clock.Now().Add(time.Hour),
		Minutes: 20, Reason: "Sore throat", Overbooked: true})
	must(err)
	b, err := frontdesk.New(c.recep.Core()).Book(ctx, frontdesk.Appointment{Patient: ps[1].ID, Physician: c.phys2.Fingerprint(), Start: c.Clock.Now().Add(26 * time.Hour),
		Minutes: 15, Reason: "Check-up", Overbooked: true})
	must(err)
	_, err = frontdesk.New(c.recep.Core()).Cancel(ctx, b.ID, "patient called, unwell")
	must(err)
	must(app.SyncLocal(ctx, c.All()...))
	enc, err := c.phys.StartVisit(ctx, a.ID, true)
	must(err)
	n, err := c.phys.WriteNote(ctx, chart.Note{Patient: p.ID, Encounter: enc.ID, Subjective: "Sore throat 3 days.\nNo cough.",
		Objective: "Tonsillar exudate <2 cm> & fever", Assessment: "Streptococcal pharyngitis", Plan: "Antibiotic"})
	must(err)
	_, err = c.phys.AddAddendum(ctx, n.ID, "Rapid strep test positive.")
	must(err)
	_, err = c.phys.RecordVitals(ctx, chart.Vitals{Patient: p.ID, Encounter: enc.ID, Systolic: 132, Diastolic: 84, Pulse: 88,
		TempC: 38.4, Resp: 16, SpO2: 97, WeightKg: 70.5, HeightCm: 165})
	must(err)
	_, err = c.phys.RecordVitals(ctx, chart.Vitals{Patient: p.ID, Time: c.Clock.Now().Add(-30 * 24 * time.Hour), WeightKg: 71})
	must(err)
	_, err = c.phys.AddProblem(ctx, chart.Problem{Patient: p.ID, Name: "Hypertension", Onset: "2019-04"})
	must(err)
	old, err := c.phys.AddProblem(ctx, chart.Problem{Patient: p.ID, Name: "Ankle sprain", Onset: "2024"})
	must(err)
	must(c.phys.SetProblemStatus(ctx, old.ID, chart.ProblemResolved, "2024-06-01"))
	_, err = c.phys.AddAllergy(ctx, chart.Allergy{Patient: p.ID, Substance: "Penicillin", Reaction: "hives", Severity: "moderate"})
	must(err)
	latex, err := c.phys.AddAllergy(ctx, chart.Allergy{Patient: p.ID, Substance: "latex", Severity: "mild"})
	must(err)
	must(c.phys.RemoveAllergy(ctx, latex.ID))
	_, err = c.phys.AddMedication(ctx, chart.Medication{Patient: p.ID, Name: "amlodipine 5 mg tablet", Dose: "1 tablet once daily", Since: "2019-05"})
	must(err)
	stop, err := c.phys.AddMedication(ctx, chart.Medication{Patient: p.ID, Name: "ibuprofen 400 mg tablet", Dose: "as needed"})
	must(err)
	must(c.phys.StopMedication(ctx, stop.ID))
	rx := chart.Prescription{Patient: p.ID, Encounter: enc.ID, Drug: "amoxicillin 500 mg", Dose: "1 capsule", Frequency: "three times daily",
		Days: 7, Instructions: "Complete the course."}
	_, err = c.phys.Prescribe(ctx, rx)
	var oe *prescribing.OverrideError
	if !errors.As(err, &oe) {
		t.Fatalf("want an allergy warning, got %v", err)
	}
	rx.Overrides = oe.Warnings
	for i := range rx.Overrides {
		rx.Overrides[i].Reason = "Childhood rash only; tolerated amoxicillin in 2021."
	}
	amox, err := c.phys.Prescribe(ctx, rx)
	must(err)
	_, err = c.phys.AddAddendum(ctx, amox.ID, "Pharmacy called: dispensed as capsules.")
	must(err)
	para, err := c.phys.Prescribe(ctx, chart.Prescription{Patient: p.ID, Drug: "paracetamol 500 mg", Dose: "2 tablets",
		Frequency: "up to four times daily", Days: 5})
	must(err)
	must(c.phys.CancelPrescription(ctx, para.ID, "not needed after all"))
	must(app.SyncLocal(ctx, c.All()...))
	return c, ps
}

func exportOf(t *testing.T, s staff, patientID string) ([]byte, FHIRExport) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := s.ExportFHIR(context.Background(), &buf, patientID)
	if err != nil {
		t.Fatalf("ExportFHIR: %v", err)
	}
	return buf.Bytes(), sum
}

// normalized is a bundle's clinical content: each resource as canonical
// JSON without what legitimately differs between two clinics (ids, record
// numbers, references' targets, who signed the copy, booking times), and
// without the staff and audit resources, sorted.
func normalized(t *testing.T, raw []byte) []string {
	t.Helper()
	var b struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	var drop func(v any) any
	drop = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range []string{"id", "meta", "identifier", "groupIdentifier", "reference", "attester"} {
				delete(x, k)
			}
			for k, e := range x {
				x[k] = drop(e)
			}
		case []any:
			for i, e := range x {
				x[i] = drop(e)
			}
		}
		return v
	}
	var out []string
	for _, e := range b.Entry {
		if rt := e.Resource["resourceType"]; rt == "Practitioner" || rt == "AuditEvent" {
			continue
		}
		j, _ := json.Marshal(drop(e.Resource))
		out = append(out, string(j))
	}
	sort.Strings(out)
	return out
}

func TestFHIRRoundTrip(t *testing.T) {
	ctx := context.Background()
	c, ps := fhirClinic(t)
	first, sum := exportOf(t, c.phys, "")
	want := map[string]int{"Patient": 2, "Practitioner": 4, "Appointment": 2, "Encounter": 1, "Condition": 2,
		"AllergyIntolerance": 1, "MedicationStatement": 2, "MedicationRequest": 2, "Observation": 9, "Composition": 2}
	for typ, n := range want {
		if sum.Resources[typ] != n {
			t.Errorf("export has %d %s, want %d (%v)", sum.Resources[typ], typ, n, sum.Resources)
		}
	}
	again, _ := exportOf(t, c.phys, "")
	if ids(t, first) != ids(t, again) {
		t.Error("two exports of the same data name their resources differently")
	}

	// A new clinic, a physician imports, and exports again.
	c2 := newClinic(t)
	c2.Clock.Set(c.Clock.Now())
	imp, err := c2.phys.ImportFHIR(ctx, bytes.NewReader(first))
	if err != nil {
		t.Fatalf("ImportFHIR: %v", err)
	}
	if imp.Resources["Patient"] != 2 || imp.Resources["Composition"] != 2 || imp.Resources["Practitioner"] != 4 {
		t.Errorf("import summary: %+v", imp)
	}
	if err := app.SyncLocal(ctx, c2.All()...); err != nil {
		t.Fatal(err)
	}
	second, _ := exportOf(t, c2.phys, "")
	a, b := normalized(t, first), normalized(t, second)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		for i := 0; i < len(a) || i < len(b); i++ {
			var x, y string
			if i < len(a) {
				x = a[i]
			}
			if i < len(b) {
				y = b[i]
			}
			if x != y {
				t.Errorf("resource %d differs:\n first: %s\nsecond: %s", i, x, y)
			}
		}
	}

	// The imported chart reads like the original, on the other physician's
	// workstation too, with the original author kept as attribution.
	found, err := c2.phys2.SearchPatients(ctx, "Chartwell", 5)
	if err != nil || len(found) != 1 || found[0].MRN == "" {
		t.Fatalf("imported patient: %v %v", found, err)
	}
	ch, err := c2.phys2.OpenChart(ctx, found[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Notes) != 1 || !ch.Notes[0].Verified || len(ch.Notes[0].Addenda) != 1 || len(importedResults(t, c2.phys2, ch.Patient.ID)) != 9 ||
		len(ch.Problems) != 2 || len(ch.Allergies) != 1 || ch.Patient.Phone != ps[0].Phone {
		t.Errorf("imported chart: %+v", ch)
	}
	r2, _ := c2.phys2.Replica()
	_, st, _ := r2.Entity(ctx, ch.Notes[0].ID)
	if st.String("attribution") != "Dr Paul Physician" {
		t.Errorf("note attribution %q", st.String("attribution"))
	}
	// The import is audited, per patient.
	log, err := c2.admin.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	imports := 0
	for _, e := range log {
		if e.Record.Action == "fhir.import" {
			imports++
		}
	}
	if imports != 2 {
		t.Errorf("%d fhir.import audit records, want 2", imports)
	}
}

// ids lists the bundle's fullUrls and resource ids.
func ids(t *testing.T, raw []byte) string {
	var b fhir.Bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range b.Entry {
		var head struct{ ID string }
		json.Unmarshal(e.Resource, &head) //nolint:errcheck
		out = append(out, strOr(e.FullUrl)+" "+head.ID)
	}
	return strings.Join(out, "\n")
}

// TestFHIRExportIsValid checks an export independently of the import:
// there is no FHIR validator on this machine, so every resource is decoded
// strictly with the model library and its required elements (R4
// cardinality 1..1 and the invariants used here) are checked by hand.
func TestFHIRExportIsValid(t *testing.T) {
	ctx := context.Background()
	c, ps := fhirClinic(t)
	raw, _ := exportOf(t, c.phys, ps[0].ID)
	var b fhir.Bundle
	if _, err := decodeStrict(raw, &b); err != nil || b.Type != fhir.BundleTypeCollection || b.Total != nil {
		t.Fatalf("bundle: %v %v", err, b.Type)
	}
	urls := map[string]bool{}
	for _, e := range b.Entry {
		urls[strOr(e.FullUrl)] = true
	}
	if bytes.Contains(raw, []byte("{}")) || bytes.Contains(raw, []byte("[]")) || bytes.Contains(raw, []byte("null")) {
		t.Error("the export holds an empty element")
	}
	for i, e := range b.Entry {
		var head struct {
			ResourceType, ID string
		}
		json.Unmarshal(e.Resource, &head) //nolint:errcheck
		if !strings.HasPrefix(strOr(e.FullUrl), "urn:uuid:") || len(head.ID) == 0 || len(head.ID) > 64 {
			t.Errorf("entry %d: fullUrl %q id %q", i, strOr(e.FullUrl), head.ID)
		}
		// Every reference resolves inside the bundle.
		var refs func(v any)
		refs = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if r, ok := x["reference"].(string); ok && !urls[r] {
					t.Errorf("entry %d (%s): dangling reference %s", i, head.ResourceType, r)
				}
				for _, y := range x {
					refs(y)
				}
			case []any:
				for _, y := range x {
					refs(y)
				}
			}
		}
		var tree any
		json.Unmarshal(e.Resource, &tree) //nolint:errcheck
		refs(tree)
		required := map[string][]string{
			"Patient": {"name", "birthDate"}, "Appointment": {"status", "participant", "start", "end"},
			"Encounter": {"status", "class", "subject"}, "Observation": {"status", "code", "subject", "effectiveDateTime"},
			"Condition": {"subject", "code", "clinicalStatus"}, "AllergyIntolerance": {"patient", "code"},
			"MedicationRequest":   {"status", "intent", "subject", "medicationCodeableConcept"},
			"MedicationStatement": {"status", "subject", "medicationCodeableConcept"},
			"Composition":         {"status", "type", "date", "author", "title"}, "Practitioner": {"name"},
		}[head.ResourceType]
		var m map[string]json.RawMessage
		json.Unmarshal(e.Resource, &m) //nolint:errcheck
		for _, r := range required {
			if _, ok := m[r]; !ok {
				t.Errorf("entry %d (%s): %s missing", i, head.ResourceType, r)
			}
		}
		switch head.ResourceType {
		case "Observation":
			var o fhir.Observation
			if _, err := decodeStrict(e.Resource, &o); err != nil {
				t.Fatal(err)
			}
			q := o.ValueQuantity
			if q == nil && len(o.Component) == 2 {
				q = o.Component[0].ValueQuantity
			}
			if q == nil || strOr(q.System) != sysUCUM || strOr(o.Code.Coding[0].System) != sysLOINC || !hasCode(&o.Category[0], sysObsCategory, "vital-signs") {
				t.Errorf("entry %d: observation without LOINC code and UCUM quantity: %s", i, e.Resource)
			}
		case "MedicationRequest":
			var mr fhir.MedicationRequest
			if _, err := decodeStrict(e.Resource, &mr); err != nil {
				t.Fatal(err)
			}
			if len(mr.DosageInstruction) != 1 || mr.DosageInstruction[0].Timing == nil || mr.DosageInstruction[0].Route == nil || mr.DispenseRequest == nil {
				t.Errorf("entry %d: dosage: %s", i, e.Resource)
			}
		default:
			var v map[string]any
			if _, err := decodeStrict(e.Resource, &v); err != nil {
				t.Errorf("entry %d: %v", i, err)
			}
		}
	}
	// Each role exports what its keys read, and nothing else.
	for _, tt := range []struct {
		s     staff
		id    string
		types string
	}{
		{c.recep, "", "Appointment Patient Practitioner"},
		{c.admin, "", "AuditEvent Practitioner"},
		{c.phys2, ps[1].ID, "Appointment Patient Practitioner"},
	} {
		_, sum := exportOf(t, tt.s, tt.id)
		var got []string
		for typ := range sum.Resources {
			got = append(got, typ)
		}
		sort.Strings(got)
		if strings.Join(got, " ") != tt.types {
			t.Errorf("%s exports %v, want %s", tt.s.Role(), got, tt.types)
		}
	}
	if _, err := c.admin.ExportFHIR(ctx, &bytes.Buffer{}, ps[0].ID); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("admin export of a patient: %v", err)
	}
	// Exports of patient data are audited.
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	log, err := c.admin.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range log {
		if e.Record.Action == "fhir.export" && e.Record.Patient == ps[0].MRN {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d audited exports of %s, want 1", n, ps[0].MRN)
	}
}

// events is how many envelopes the workstation holds: what an import that
// writes nothing leaves unchanged.
func events(t *testing.T, s staff) int {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	all, err := r.Everything(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

// bundleOf wraps resources in a collection Bundle.
func bundleOf(resources ...string) string {
	var entries []string
	for i, r := range resources {
		entries = append(entries, fmt.Sprintf(`{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","resource":%s}`, i+1, r))
	}
	return `{"resourceType":"Bundle","type":"collection","entry":[` + strings.Join(entries, ",") + `]}`
}

const (
	goodPatient = `{"resourceType":"Patient","id":"p1","name":[{"family":"Transfer","given":["Tess"]}],"birthDate":"1975-02-03","gender":"female"}`
	subjectP1   = `"subject":{"reference":"Patient/p1"}`
	weightObs   = `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},` +
		subjectP1 + `,"effectiveDateTime":"2025-01-02T10:00:00Z","valueQuantity":{"value":70,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}`
	problem = `{"resourceType":"Condition","code":{"text":"Asthma"},` + subjectP1 + `}`
)

// importRefused: s's import of bundle is refused with an error mentioning
// want and that nothing was imported, and writes nothing.
func importRefused(t *testing.T, s staff, bundle, want string) {
	t.Helper()
	before := events(t, s)
	_, err := s.ImportFHIR(context.Background(), strings.NewReader(bundle))
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was imported") {
		t.Errorf("error %v; want one mentioning %q and that nothing was imported", err, want)
	}
	if after := events(t, s); after != before {
		t.Errorf("a refused import wrote %d events", after-before)
	}
}

func TestFHIRImportRejectsBrokenBundles(t *testing.T) {
	ctx := context.Background()
	c, _ := fhirClinic(t)
	own, _ := exportOf(t, c.phys, "")
	many := `{"resourceType":"Bundle","type":"collection","entry":[` + strings.Repeat(`{},`, fhirMaxEntries) + `{}]}`
	huge := `{"resourceType":"Bundle","type":"collection","x":"` + strings.Repeat("a", fhirMaxBytes) + `"}`
	obs := func(from, to string) string { return bundleOf(goodPatient, strings.Replace(weightObs, from, to, 1)) }
	tests := []struct {
		name   string
		s      staff
		bundle string
		want   string
	}{
		{"not JSON", c.phys, `{"resourceType": "Bundle",`, "not JSON"},
		{"not a bundle", c.phys, goodPatient, "holds a Patient, not a Bundle"},
		{"no resourceType", c.phys, `{"type":"collection"}`, "resourceType missing"},
		{"bundle type", c.phys, `{"resourceType":"Bundle","type":"history"}`, "Bundle.type history cannot be imported"},
		{"bundle type unknown", c.phys, `{"resourceType":"Bundle","type":"pile"}`, "unknown BundleType code"},
		{"patient without name", c.phys, bundleOf(`{"resourceType":"Patient","birthDate":"1975-02-03"}`), "entry 1 (Patient): name missing"},
		{"patient without birth date", c.phys, bundleOf(`{"resourceType":"Patient","name":[{"family":"A","given":["B"]}]}`), "entry 1 (Patient): birthDate missing"},
		{"bad birth date", c.phys, bundleOf(strings.Replace(goodPatient, "1975-02-03", "1975-13-45", 1)), "entry 1 (Patient): birthDate: birth date 1975-13-45 does not exist on the calendar"},
		{"birth date a number", c.phys, bundleOf(strings.Replace(goodPatient, `"1975-02-03"`, `5`, 1)), "entry 1 (Patient): birthDate is a JSON number where text is expected"},
		{"unknown element", c.phys, bundleOf(strings.Replace(goodPatient, `"birthDate"`, `"birthdate"`, 1)), `unknown element "birthdate"`},
		{"bad gender", c.phys, bundleOf(strings.Replace(goodPatient, `"female"`, `"f"`, 1)), "unknown AdministrativeGender code `f`"},
		{"observation without code", c.phys, obs(`"code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},`, ``), "entry 2 (Observation): code missing"},
		{"observation without value", c.phys, obs(`,"valueQuantity":{"value":70,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}`, ``), "entry 2 (Observation): valueQuantity missing"},
		{"observation implausible", c.phys, obs(`"value":70`, `"value":7000`), "weight 7000 kg is outside"},
		{"observation bad date", c.phys, obs(`2025-01-02T10:00:00Z`, `yesterday`), `effectiveDateTime "yesterday" is not a date and time`},
		{"observation in the future", c.phys, obs(`2025-01-02T10:00:00Z`, `2099-01-02T10:00:00Z`), "is in the future"},
		{"dangling reference", c.phys, bundleOf(goodPatient, strings.Replace(problem, "Patient/p1", "Patient/p9", 1)), `entry 2 (Condition): subject "Patient/p9" points to no resource of this bundle`},
		{"reference to the wrong type", c.phys, bundleOf(goodPatient, problem, `{"resourceType":"Condition","code":{"text":"X"},"subject":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000002"}}`), "subject points to a Condition (entry 2), not a Patient"},
		{"condition without subject", c.phys, bundleOf(`{"resourceType":"Condition","code":{"text":"Asthma"}}`), "entry 1 (Condition): subject missing"},
		{"condition onset in the future", c.phys, bundleOf(goodPatient, problem[:len(problem)-1]+`,"onsetDateTime":"2099-05"}`), "onsetDateTime 2099-05 is in the future"},
		{"encounter ends before it starts", c.phys, bundleOf(goodPatient, `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},`+subjectP1+`,"period":{"start":"2025-01-02T10:00:00Z","end":"2025-01-02T09:00:00Z"}}`), `entry 2 (Encounter): period.end "2025-01-02T09:00:00Z" is before period.start`},
		{"encounter end not a time", c.phys, bundleOf(goodPatient, `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},`+subjectP1+`,"period":{"start":"2025-01-02T10:00:00Z","end":"later"}}`), `period.end "later" is not a date and time`},
		{"appointment without start", c.phys, bundleOf(goodPatient, `{"resourceType":"Appointment","status":"booked","participant":[{"actor":{"reference":"Patient/p1"},"status":"accepted"}]}`), "entry 2 (Appointment): start missing"},
		{"appointment without status", c.phys, bundleOf(goodPatient, `{"resourceType":"Appointment","start":"2025-01-02T10:00:00Z","end":"2025-01-02T10:20:00Z","participant":[{"actor":{"reference":"Patient/p1"},"status":"accepted"}]}`), "entry 2 (Appointment): status missing"},
		{"note outside SOAP", c.phys, bundleOf(goodPatient, `{"resourceType":"Composition","status":"final","type":{"text":"Note"},"date":"2025-01-02T10:00:00Z","title":"Note","author":[{"display":"Dr X"}],`+subjectP1+`,"section":[{"title":"History","text":{"status":"generated","div":"<div>x</div>"}}]}`), `section[0] ("History") is not a SOAP section`},
		{"duplicate fullUrl", c.phys, `{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:1","resource":` + goodPatient + `},{"fullUrl":"urn:uuid:1","resource":` + problem + `}]}`, "is also the name of entry 1"},
		{"too many entries", c.phys, many, "more than the 100000 an import takes"},
		{"oversized", c.phys, huge, "larger than 50 MiB"},
		{"receptionist and a chart", c.recep, bundleOf(goodPatient, problem), "entry 2 (Condition): only a physician can import clinical records"},
		{"administrator and a patient", c.admin, bundleOf(goodPatient), "entry 1 (Patient): only the front desk or a physician"},
		{"a patient registered here", c.phys, string(own), "is already registered here as MH"},
		{"a likely duplicate", c.phys, bundleOf(`{"resourceType":"Patient","name":[{"family":"Chartwell","given":["Cora","Mae"]}],"birthDate":"1961-03-14"}`), "registered here as MH"},
		{"the same patient twice", c.phys, bundleOf(goodPatient, strings.Replace(goodPatient, `"p1"`, `"p2"`, 1)), "the bundle holds this patient twice (entries 1 and 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { importRefused(t, tt.s, tt.bundle, tt.want) })
	}
	// And a good one is taken, by the receptionist too when it holds no chart.
	sum, err := c.recep.ImportFHIR(ctx, strings.NewReader(bundleOf(goodPatient)))
	if err != nil || sum.Resources["Patient"] != 1 {
		t.Fatalf("good bundle: %+v %v", sum, err)
	}
	sum, err = c.phys.ImportFHIR(ctx, strings.NewReader(bundleOf(strings.Replace(goodPatient, "Tess", "Tilda", 1), weightObs, problem)))
	if err != nil || sum.Total != 3 {
		t.Fatalf("good clinical bundle: %+v %v", sum, err)
	}
}

// FuzzImportFHIR feeds the import outside bytes: it never panics, and a
// bundle it accepts leaves a store whose every chain verifies and whose
// imported charts open.
func FuzzImportFHIR(f *testing.F) {
	f.Add([]byte(bundleOf(goodPatient, weightObs, problem)))
	f.Add([]byte(bundleOf(goodPatient, `{"resourceType":"Composition","status":"final","type":{"text":"Note"},"date":"2025-01-02T10:00:00Z","title":"Note","author":[{"display":"Dr X"}],`+subjectP1+`,"section":[{"title":"Plan","text":{"status":"generated","div":"<div>rest<br/>fluids</div>"}}]}`)))
	f.Add([]byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","birthDate":5}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle"}`))
	f.Add([]byte(`[]`))
	c := newClinic(f)
	ctx := context.Background()
	r, err := c.phys.Replica()
	if err != nil {
		f.Fatal(err)
	}
	accepted := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := c.phys.ImportFHIR(ctx, bytes.NewReader(data))
		if err != nil {
			return
		}
		// Verifying every chain checks every signature of a store that
		// grows with each accepted bundle: do it now and then.
		if accepted++; accepted%25 == 1 {
			if problems, err := r.Verify(ctx); err != nil || len(problems) > 0 {
				t.Fatalf("accepted bundle left an inconsistent store: %v %v", problems, err)
			}
		}
		for _, n := range sum.Notes {
			if mrn, ok := strings.CutSuffix(n[strings.LastIndex(n, " ")+1:], "."); ok && strings.HasPrefix(mrn, "MH") {
				found, err := c.phys.SearchPatients(ctx, mrn, 1)
				if err != nil || len(found) != 1 {
					t.Fatalf("imported patient %s not found: %v", mrn, err)
				}
				ch, err := c.phys.OpenChart(ctx, found[0].ID)
				if err != nil {
					t.Fatalf("imported chart of %s: %v", mrn, err)
				}
				for _, n := range ch.Notes {
					if !n.Verified {
						t.Fatalf("imported note of %s does not verify: %s", mrn, n.Problem)
					}
				}
			}
		}
	})
}

// TestFHIRImportShowsAttribution checks that a transferred chart says who
// wrote each record at the other clinic and when it was imported, while
// the importing physician stays the signer, and that the clinic's own
// records carry no such origin.
func TestFHIRImportShowsAttribution(t *testing.T) {
	ctx := context.Background()
	c, _ := fhirClinic(t)
	bundle, _ := exportOf(t, c.phys, "")

	c2 := newClinic(t)
	c2.Clock.Set(c.Clock.Now().Add(48 * time.Hour))
	importedAt := c2.Clock.Now()
	if _, err := c2.phys2.ImportFHIR(ctx, bytes.NewReader(bundle)); err != nil {
		t.Fatalf("ImportFHIR: %v", err)
	}
	if err := app.SyncLocal(ctx, c2.All()...); err != nil {
		t.Fatal(err)
	}
	found, err := c2.phys.SearchPatients(ctx, "Chartwell", 5)
	if err != nil || len(found) != 1 {
		t.Fatalf("imported patient: %v %v", found, err)
	}
	own, err := c2.phys.WriteNote(ctx, chart.Note{Patient: found[0].ID, Subjective: "Seen here after the transfer."})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c2.phys.OpenChart(ctx, found[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var imported chart.Note
	for _, n := range ch.Notes {
		switch {
		case n.ID == own.ID:
			if n.IsImported() || n.Origin != (chart.Origin{}) {
				t.Errorf("the clinic's own note has an origin: %+v", n.Origin)
			}
		default:
			imported = n
		}
	}
	if len(ch.Notes) != 2 || len(imported.Addenda) != 1 || len(importedResults(t, c2.phys, found[0].ID)) == 0 || len(ch.Problems) == 0 ||
		len(ch.Allergies) == 0 || len(ch.Medications) == 0 || len(ch.Encounters) == 0 {
		t.Fatalf("imported chart: %+v", ch)
	}
	if !imported.Verified || imported.AuthorName != "Dr Petra Second" {
		t.Errorf("imported note signed by %q (verified %v), want the importing physician", imported.AuthorName, imported.Verified)
	}
	// The source clinic's own problems, allergies and medication
	// statements name no author, so they carry none; the rest name the
	// physician who wrote them there.
	const author = "Dr Paul Physician"
	type record struct {
		what string
		o    chart.Origin
		by   string
	}
	records := []record{{"note", imported.Origin, author}, {"addendum", imported.Addenda[0].Origin, author}}
	for _, v := range importedResults(t, c2.phys, found[0].ID) {
		records = append(records, record{"result of " + v.Effective, v.Origin, author})
	}
	for _, e := range ch.Encounters {
		records = append(records, record{"encounter " + e.Reason, e.Origin, author})
	}
	for _, p := range ch.Problems {
		records = append(records, record{"problem " + p.Name, p.Origin, ""})
	}
	for _, a := range ch.Allergies {
		records = append(records, record{"allergy " + a.Substance, a.Origin, ""})
	}
	for _, m := range ch.Medications {
		by := ""
		if strings.HasPrefix(m.Name, "amoxicillin") { // a MedicationRequest names its requester
			by = author
		}
		records = append(records, record{"medication " + m.Name, m.Origin, by})
	}
	for _, r := range records {
		if !r.o.IsImported() || !r.o.Imported.Equal(importedAt) || r.o.Attribution != r.by {
			t.Errorf("%s: origin %+v, want attribution %q, imported at %v", r.what, r.o, r.by, importedAt)
		}
	}
}
