package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
)

// nkaBundle is a patient with the FHIR R4 specification's own example of
// "no known allergy" (AllergyIntolerance/nka: SNOMED CT 716186003, text
// "NKA", active, confirmed, recorded 2015-08-06), its recorder left out
// (the example's Practitioner is not in the bundle).
var nkaBundle = bundleOf(goodPatient, `{"resourceType":"AllergyIntolerance","id":"nka",`+
	`"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active","display":"Active"}]},`+
	`"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"confirmed","display":"Confirmed"}]},`+
	`"code":{"coding":[{"system":"http://snomed.info/sct","code":"716186003","display":"No Known Allergy (situation)"}],"text":"NKA"},`+
	`"patient":{"reference":"Patient/p1"},"recordedDate":"2015-08-06T15:37:31-06:00"}`)

// askedAnn is a clinic with one patient, Asked, Ann, on every workstation.
func askedAnn(t *testing.T) (*clinic, []app.Patient) {
	t.Helper()
	ctx := context.Background()
	c := newClinic(t)
	ps, err := c.recep.RegisterPatients(ctx, []app.Patient{{Family: "Asked", Given: "Ann", Birth: "1980-02-03", Sex: "female"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	return c, ps
}

// A physician's "asked: no known allergies" is exported as FHIR writes
// it (AllergyIntolerance, SNOMED CT 716186003, confirmed, its recorder
// the physician), and an import of it, or of the specification's own
// example, reads it as no known allergies, never as an allergy.
func TestNoKnownAllergiesExportedAndImported(t *testing.T) {
	ctx := context.Background()
	c, ps := askedAnn(t)
	if _, err := c.phys.RecordNoKnownAllergies(ctx, ps[0].ID); err != nil {
		t.Fatal(err)
	}
	raw, _ := exportOf(t, c.phys, ps[0].ID)
	var bundle struct {
		Entry []struct{ Resource json.RawMessage }
	}
	if err := json.Unmarshal(raw, &bundle); err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range bundle.Entry {
		var a struct {
			ResourceType                             string
			Code, ClinicalStatus, VerificationStatus struct {
				Coding []struct{ System, Code string }
			}
			Recorder struct{ Reference, Display string }
			Reaction []any
		}
		json.Unmarshal(e.Resource, &a) //nolint:errcheck
		if a.ResourceType != "AllergyIntolerance" {
			continue
		}
		found = append(found, string(e.Resource))
		if len(a.Code.Coding) != 1 || a.Code.Coding[0].System != records.SNOMED || a.Code.Coding[0].Code != "716186003" ||
			a.VerificationStatus.Coding[0].Code != "confirmed" || a.ClinicalStatus.Coding[0].Code != "active" ||
			len(a.Reaction) != 0 || !strings.HasPrefix(a.Recorder.Reference, "urn:uuid:") || a.Recorder.Display != "Dr Paul Physician" {
			t.Errorf("exported: %s", e.Resource)
		}
	}
	if len(found) != 1 {
		t.Fatalf("exported %d AllergyIntolerance, want the one \"no known allergy\": %v", len(found), found)
	}

	for name, b := range map[string][]byte{"our export": raw, "the FHIR example": []byte(nkaBundle)} {
		family := map[string]string{"our export": "Asked", "the FHIR example": "Transfer"}[name]
		t.Run(name, func(t *testing.T) {
			c2 := newClinic(t)
			c2.Clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
			if _, err := c2.phys.ImportFHIR(ctx, bytes.NewReader(b)); err != nil {
				t.Fatalf("ImportFHIR: %v", err)
			}
			got, err := c2.phys.SearchPatients(ctx, family, 5)
			if err != nil || len(got) != 1 {
				t.Fatalf("imported patients: %v %v", got, err)
			}
			ch, err := c2.phys.OpenChart(ctx, got[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(ch.Allergies) != 0 || ch.NoneKnown == nil || !ch.NoneKnown.Current || !ch.NoneKnown.IsImported() {
				t.Fatalf("imported chart: allergies %+v, none known %+v; want no allergy and an imported, current statement", ch.Allergies, ch.NoneKnown)
			}
			want := "another clinic"
			if name == "our export" {
				want = "Dr Paul Physician"
			}
			if ch.NoneKnown.ByName != want {
				t.Errorf("recorded by %q, want %q", ch.NoneKnown.ByName, want)
			}
			// A real allergy recorded here supersedes it.
			if _, err := c2.phys.AddAllergy(ctx, chart.Allergy{Patient: got[0].ID, Substance: "latex", Severity: "mild"}); err != nil {
				t.Fatal(err)
			}
			if ch, _ = c2.phys.OpenChart(ctx, got[0].ID); ch.NoneKnown == nil || ch.NoneKnown.Current || len(ch.Allergies) != 1 {
				t.Errorf("after latex: %+v %+v", ch.NoneKnown, ch.Allergies)
			}
		})
	}
}

// The patient's printed summary said "None known." of every chart without
// an allergy: a patient never asked read as one who was. It now says
// "None recorded." until a physician records that she asked.
func TestPatientSummarySaysWhetherAsked(t *testing.T) {
	ctx := context.Background()
	c, ps := askedAnn(t)
	allergies := func() string {
		t.Helper()
		sum, err := c.phys.patientSummary(ctx, ps[0])
		if err != nil {
			t.Fatal(err)
		}
		pdf, err := renderSummary(sum)
		if err != nil {
			t.Fatal(err)
		}
		text := pdfText(t, pdf)
		_, after, _ := strings.Cut(text, "Allergies")
		before, _, _ := strings.Cut(after, "Medications")
		return strings.Join(strings.Fields(before), " ")
	}
	if got := allergies(); got != "None recorded." {
		t.Errorf("never asked: the summary's allergies read %q, want \"None recorded.\"", got)
	}
	if _, err := c.phys.RecordNoKnownAllergies(ctx, ps[0].ID); err != nil {
		t.Fatal(err)
	}
	if got, want := allergies(), "No known allergies (asked "+c.Clock.Now().Format("2 Jan 2006")+")."; got != want {
		t.Errorf("asked: the summary's allergies read %q, want %q", got, want)
	}
}

// "No known drug allergy" (SNOMED CT 409137002, as Epic and Synthea send
// it) and its siblings are imported as "asked: no known … allergies",
// never as an allergy named by their text; a drug allergy check counts
// only those that cover drugs; our export writes the same code back, and
// a real allergy recorded later supersedes it.
func TestNoKnownDrugAllergyImported(t *testing.T) {
	ctx := context.Background()
	nkda, err := os.ReadFile(filepath.Join("testdata", "nkda.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ code, of, words string }{
		{"409137002", "drug", "no known drug allergies"},
		{"429625007", "food", "no known food allergies"},
		{"428607008", "environmental", "no known environmental allergies"},
		{"716186003", "", "no known allergies"},
	} {
		t.Run(tc.of, func(t *testing.T) {
			c := newClinic(t)
			c.Clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
			rep, err := c.phys.ImportFHIR(ctx, bytes.NewReader(bytes.ReplaceAll(nkda, []byte("409137002"), []byte(tc.code))))
			if err != nil {
				t.Fatalf("ImportFHIR: %v", err)
			}
			if said := fmt.Sprint(rep); strings.Contains(said, "without a severity") {
				t.Errorf("the import says the statement has no severity, as of an allergy: %s", said)
			}
			got, err := c.phys.SearchPatients(ctx, "Drugsasked", 5)
			if err != nil || len(got) != 1 {
				t.Fatalf("imported patients: %v %v", got, err)
			}
			ch, err := c.phys.OpenChart(ctx, got[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			n := ch.NoneKnown
			if len(ch.Allergies) != 0 || n == nil || !n.Current || n.Of != tc.of || n.Words() != tc.words ||
				n.CoversDrugs() != (tc.of == "" || tc.of == "drug") {
				t.Fatalf("imported chart: allergies %+v, none known %+v; want no allergy and a current %q", ch.Allergies, n, tc.words)
			}
			raw, _ := exportOf(t, c.phys, got[0].ID)
			if !strings.Contains(string(raw), `"`+tc.code+`"`) {
				t.Errorf("our export does not write %s back", tc.code)
			}
			if _, err := c.phys.AddAllergy(ctx, chart.Allergy{Patient: got[0].ID, Substance: "penicillin", Severity: "severe"}); err != nil {
				t.Fatal(err)
			}
			if ch, _ = c.phys.OpenChart(ctx, got[0].ID); ch.NoneKnown == nil || ch.NoneKnown.Current || len(ch.Allergies) != 1 {
				t.Errorf("after penicillin: %+v %+v; want the statement superseded", ch.NoneKnown, ch.Allergies)
			}
		})
	}
}
