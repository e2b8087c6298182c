package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
)

// syntheaBundles are the Synthea project's own published sample bundles,
// unedited (testdata/synthea/SOURCE says where from).
func syntheaBundles(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "synthea", "*.json"))
	if err != nil || len(files) < 2 {
		t.Fatalf("Synthea bundles: %v %v", files, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// syntheaKept is what Medihaven keeps of each sample (1 patient, 37
// encounters, 21 conditions, 56 vital-sign and laboratory observations, 3
// procedures, 41 diagnostic reports, 12 medication requests with the 4
// Medications they name), and leftOut what it leaves out.
var (
	syntheaKept = map[string]int{"Patient": 1, "Encounter": 37, "Condition": 21, "Observation": 56, "Procedure": 3,
		"DiagnosticReport": 41, "MedicationRequest": 12, "Medication": 4}
	syntheaLeftOut = map[string]int{"Claim": 49, "ExplanationOfBenefit": 37, "DocumentReference": 37, "CareTeam": 4, "CarePlan": 4,
		"MedicationAdministration": 4, "SupplyDelivery": 1, "Provenance": 1, "Observation (exam)": 1, "Observation (survey)": 1}
)

// TestImportSyntheaBundles imports real Synthea R4 output as it was
// published: transaction bundles with conditional references to
// practitioners, organizations and locations kept in other files, claims,
// notes as base64 reports and medications by reference. Everything
// Medihaven keeps is kept, the rest is counted, and what is kept keeps
// its codes and decimal values.
func TestImportSyntheaBundles(t *testing.T) {
	ctx := context.Background()
	for name, raw := range syntheaBundles(t) {
		t.Run(name, func(t *testing.T) {
			c := newClinic(t)
			c.Clock.Set(c.Clock.Now().AddDate(0, 0, 1))
			preview, err := c.phys.PreviewFHIR(ctx, bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("PreviewFHIR: %v", err)
			}
			before := events(t, c.phys)
			var steps, total int
			sum, err := c.phys.ImportFHIRProgress(ctx, bytes.NewReader(raw), func(done, n int) { steps, total = done, n })
			if err != nil {
				t.Fatalf("ImportFHIR: %v", err)
			}
			if steps != total || total == 0 {
				t.Errorf("progress ended at %d of %d", steps, total)
			}
			if events(t, c.phys) == before {
				t.Fatal("the import wrote nothing")
			}
			for typ, n := range syntheaKept {
				if sum.Resources[typ] != n {
					t.Errorf("kept %d %s, want %d", sum.Resources[typ], typ, n)
				}
			}
			for typ, n := range syntheaLeftOut {
				if sum.LeftOut[typ] != n {
					t.Errorf("left out %d %s, want %d (%v)", sum.LeftOut[typ], typ, n, sum.LeftOut)
				}
			}
			if preview.Total != sum.Total || preview.LeftOutTotal != sum.LeftOutTotal || preview.Summary() != sum.Summary() {
				t.Errorf("the preview said %q, the import %q", preview.Summary(), sum.Summary())
			}
			if want := "This bundle holds 1 patient, 174 records Medihaven keeps and 139 it leaves out: 49 Claim, 37 DocumentReference, 37 ExplanationOfBenefit"; !strings.HasPrefix(sum.Summary(), want) {
				t.Errorf("summary %q, want it to start %q", sum.Summary(), want)
			}
			t.Log(sum.Summary())

			found, err := c.phys.SearchPatients(ctx, "Gerlach374", 5)
			if err != nil || len(found) != 1 {
				t.Fatalf("imported patient: %v %v", found, err)
			}
			r, err := c.phys.Replica()
			if err != nil {
				t.Fatal(err)
			}
			recs, err := chart.PatientRecords(ctx, r, found[0].ID, records.KindResult, records.KindReport, records.KindProblem,
				records.KindMedication, records.KindProcedure, records.KindEncounter)
			if err != nil {
				t.Fatal(err)
			}
			// Every kind written is a clinical kind of the roles table, and
			// the other physician's workstation, which judges each event
			// again when it applies it, keeps them all.
			for kind, all := range recs {
				for _, e := range all {
					if k, ok := roles.KindOf(kind); !ok || k.Scope != roles.Clinical || e.Scope != string(roles.Clinical) {
						t.Fatalf("the import wrote a %s in scope %s; the roles table says %+v, %v", kind, e.Scope, k, ok)
					}
					// Its id is bound to its kind: no event of another
					// kind may take it (roles.NewRecordID, h-sec18b F2).
					other := records.KindAllergy
					if kind == other {
						other = records.KindNote
					}
					if k, _ := roles.KindOf(other); k.CheckID(e.ID) == nil {
						t.Errorf("the imported %s %s may be taken by a %s: its id is not bound to its kind", kind, e.ID, other)
					}
				}
			}
			if err := app.SyncLocal(ctx, c.All()...); err != nil {
				t.Fatal(err)
			}
			if got, want := len(importedResults(t, c.phys2, found[0].ID)), len(recs[records.KindResult]); got != want || want != 56 {
				t.Errorf("the other physician's workstation holds %d results, the importer's %d", got, want)
			}
			// Decimals keep their text, codes their system and code.
			want := map[string]string{"8310-5": "37.665", "33914-3": "158.5"}
			for _, e := range recs[records.KindResult] {
				res := records.ResultFromState(e.ID, e.State)
				if res.Effective == "" || res.Code.Code("http://loinc.org") == "" || res.Origin.Imported.IsZero() {
					t.Errorf("result %+v", res)
				}
				for code, v := range want {
					if res.Code.Code("http://loinc.org") == code && res.Value.Quantity != nil && string(res.Value.Quantity.Value) == v {
						delete(want, code)
					}
				}
			}
			if len(want) > 0 {
				t.Errorf("values not kept as written: %v", want)
			}
			grouped := 0
			for _, e := range recs[records.KindReport] {
				rep := records.ReportFromState(e.ID, e.State)
				grouped += len(rep.Results)
				if len(rep.Results) == 0 && len(rep.Forms) == 0 {
					t.Errorf("report %s groups nothing and has no text", rep.Code.Name())
				}
			}
			if grouped == 0 {
				t.Error("no report groups its results")
			}
			matched := map[string]bool{}
			for kind, system := range map[string]string{records.KindProblem: "http://snomed.info/sct",
				records.KindMedication: "http://www.nlm.nih.gov/research/umls/rxnorm"} {
				for _, e := range recs[kind] {
					cs := records.CodesFromState(e.State)
					if len(cs) == 0 || cs[0].System != system || cs[0].Code == "" {
						t.Errorf("%s %s kept codes %+v, want %s", kind, e.ID, cs, system)
					}
					if kind == records.KindMedication {
						var unchecked bool
						if ok, err := e.State.Get(records.MedicationUnchecked, &unchecked); !ok || err != nil {
							t.Errorf("medication %s says nothing of the prescribing checks", e.ID)
						}
						if f := e.State.String(records.MedicationFormulary); unchecked == (f != "") {
							t.Errorf("medication %s: not checked %v, formulary %q", e.ID, unchecked, f)
						} else if f != "" {
							matched[f] = true
						}
					}
				}
			}
			if !matched["hydrochlorothiazide"] {
				t.Errorf("Hydrochlorothiazide 25 MG Oral Tablet was not matched to the formulary: %v", matched)
			}
			t.Logf("matched to the formulary: %v", matched)
			// What the chart's Results tab reads: newest first, coded records
			// with their checks.
			o, err := c.phys.OutsideRecords(ctx, found[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(o.Results) != 56 || len(o.Procedures) != 3 || len(o.Reports) != 41 || o.Results[0].Effective < o.Results[55].Effective {
				t.Errorf("outside records: %d results (first %s, last %s), %d procedures, %d reports", len(o.Results),
					o.Results[0].Effective, o.Results[len(o.Results)-1].Effective, len(o.Procedures), len(o.Reports))
			}
			kinds := map[string]int{}
			for _, cd := range o.Coded {
				kinds[cd.Kind]++
			}
			if kinds[records.KindProblem] != 21 || kinds[records.KindMedication] != 12 {
				t.Errorf("coded records by kind: %v", kinds)
			}
			for _, e := range recs[records.KindEncounter] {
				if en := records.EncounterFromState(e.ID, e.State); en.Attribution == "" {
					t.Errorf("encounter %s lost its practitioner's name", e.ID)
				}
			}
		})
	}
}

// TestSyntheaExportReimport checks fidelity on real data: a Synthea
// bundle imported, exported, imported at another clinic and exported
// again gives the same clinical content, and the export gives back every
// kept Observation's codes and value exactly as Synthea wrote them.
func TestSyntheaExportReimport(t *testing.T) {
	ctx := context.Background()
	raw := syntheaBundles(t)["gerlach374-uscore7.json"]
	c := newClinic(t)
	if _, err := c.phys.ImportFHIR(ctx, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	first, _ := exportOf(t, c.phys, "")

	c2 := newClinic(t)
	c2.Clock.Set(c.Clock.Now())
	if _, err := c2.phys.ImportFHIR(ctx, bytes.NewReader(first)); err != nil {
		t.Fatalf("re-import: %v", err)
	}
	second, _ := exportOf(t, c2.phys, "")
	a, b := normalized(t, first), normalized(t, second)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		for i := 0; i < len(a) && i < len(b); i++ {
			if a[i] != b[i] {
				t.Errorf("resource %d differs:\n first: %s\nsecond: %s", i, a[i], b[i])
				break
			}
		}
		t.Errorf("%d resources, then %d", len(a), len(b))
	}

	// Every encounter keeps the time it ended, as Synthea wrote it.
	ends := func(bundle []byte) []string {
		var bd struct {
			Entry []struct {
				Resource struct {
					ResourceType string
					Period       struct{ Start, End string }
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(bundle, &bd); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range bd.Entry {
			if e.Resource.ResourceType != "Encounter" {
				continue
			}
			start, err1 := time.Parse(time.RFC3339, e.Resource.Period.Start)
			end, err2 := time.Parse(time.RFC3339, e.Resource.Period.End)
			if err1 != nil || err2 != nil {
				t.Fatalf("encounter period %+v: %v %v", e.Resource.Period, err1, err2)
			}
			out = append(out, start.UTC().Format(time.RFC3339)+" "+end.UTC().Format(time.RFC3339))
		}
		sort.Strings(out)
		return out
	}
	if in, out := ends(raw), ends(first); len(in) != 37 || strings.Join(in, "\n") != strings.Join(out, "\n") {
		t.Errorf("encounter periods changed on export: %d in, %d out\nin:  %.200q\nout: %.200q", len(in), len(out), in, out)
	}

	// Every vital sign and laboratory value, as Synthea wrote it.
	obs := func(bundle []byte) []string {
		var bd struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(bundle, &bd); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range bd.Entry {
			var o struct {
				ResourceType string
				Category     []struct{ Coding []struct{ Code string } }
				Code         struct {
					Coding []struct{ System, Code string }
				}
				ValueQuantity *struct {
					Value json.RawMessage
					Unit  string
					Code  string
				}
				Component []struct {
					Code struct {
						Coding []struct{ System, Code string }
					}
					ValueQuantity *struct {
						Value json.RawMessage
						Code  string
					}
				}
			}
			if json.Unmarshal(e.Resource, &o) != nil || o.ResourceType != "Observation" {
				continue
			}
			if len(o.Category) > 0 && (o.Category[0].Coding[0].Code == "survey" || o.Category[0].Coding[0].Code == "exam") {
				continue
			}
			s, _ := json.Marshal([]any{o.Code, o.ValueQuantity, o.Component})
			out = append(out, string(s))
		}
		sort.Strings(out)
		return out
	}
	in, out := obs(raw), obs(first)
	if len(in) != 56 || strings.Join(in, "\n") != strings.Join(out, "\n") {
		t.Errorf("observations changed on export: %d in, %d out", len(in), len(out))
		for i := range in {
			if i < len(out) && in[i] != out[i] {
				t.Errorf("in:  %s\nout: %s", in[i], out[i])
				break
			}
		}
	}
}

// importedResults are the results kept for a patient.
func importedResults(t *testing.T, s staff, patient string) []records.Result {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	recs, err := chart.PatientRecords(context.Background(), r, patient, records.KindResult)
	if err != nil {
		t.Fatal(err)
	}
	var out []records.Result
	for _, e := range recs[records.KindResult] {
		out = append(out, records.ResultFromState(e.ID, e.State))
	}
	return out
}

// BenchmarkPreviewSynthea reads and checks a real Synthea bundle (314
// entries, 824 KB) as an import does before it writes: the part of an
// import that grows with the bundle.
func BenchmarkPreviewSynthea(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "synthea", "gerlach374-uscore7.json"))
	if err != nil {
		b.Fatal(err)
	}
	c := newClinic(b)
	ctx := context.Background()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.phys.PreviewFHIR(ctx, bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
}
