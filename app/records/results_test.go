package records

import (
	"encoding/json"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// The records imported from other systems read back as written, decimal
// text and codes included, and are clinical records in the roles table.
func TestImportedKindsRoundTrip(t *testing.T) {
	origin := Origin{Attribution: "Dr. Alphonso102 Nienow652", Imported: time.UnixMilli(1_700_000_000_000)}
	loinc := func(code, display string) Concept {
		return Concept{Codings: []Coding{{System: "http://loinc.org", Code: code, Display: display}}, Text: display}
	}
	q := func(v, unit string) *Quantity {
		return &Quantity{Value: json.Number(v), Unit: unit, System: "http://unitsofmeasure.org", Code: unit}
	}
	tests := []struct {
		kind string
		rec  Record
		read func(replica.State) Record
	}{
		{KindResult, Result{ID: "r1", Patient: "p1", Encounter: "e1", Category: "vital-signs", Status: "final",
			Categories: []Concept{{Codings: []Coding{{System: "http://terminology.hl7.org/CodeSystem/observation-category", Code: "vital-signs"}}}},
			Code:       loinc("9279-1", "Respiratory rate"), Effective: "2009-10-26T06:44:52-04:00", Issued: "2009-10-26T06:44:52.558-04:00",
			Value: Value{Quantity: q("30.654", "/min")}, Ranges: []Range{{Low: q("12", "/min"), High: q("20", "/min")}},
			Interpretation: []Concept{{Codings: []Coding{{System: "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", Code: "H"}}}},
			Components:     []Component{{Code: loinc("8480-6", "Systolic"), Value: Value{Quantity: q("136", "mm[Hg]")}}}, Note: "repeat",
			Origin: origin}, func(st replica.State) Record { return ResultFromState("r1", st) }},
		{KindProcedure, Procedure{ID: "r1", Patient: "p1", Status: "completed", Code: Concept{Codings: []Coding{{System: "http://snomed.info/sct", Code: "73761001"}}},
			Start: "2012-01-26T13:13:18-05:00", End: "2012-01-26T13:52:24-05:00", Reasons: []Concept{{Text: "screening"}}, Origin: origin},
			func(st replica.State) Record { return ProcedureFromState("r1", st) }},
		{KindImmunization, Immunization{ID: "r1", Patient: "p1", Status: "completed", Vaccine: Concept{Codings: []Coding{{System: "http://hl7.org/fhir/sid/cvx", Code: "140"}}},
			Date: "2020-10-01", Lot: "AB12", Primary: "true", Origin: origin},
			func(st replica.State) Record { return ImmunizationFromState("r1", st) }},
		{KindReport, Report{ID: "r1", Patient: "p1", Status: "final", Category: []Concept{loinc("34117-2", "History and physical note")},
			Code: loinc("51990-0", "Basic Metabolic Panel"), Effective: "2020-01-02", Results: []string{"a", "b"},
			Forms: []Form{{ContentType: "text/plain; charset=utf-8", Text: "# Chief Complaint\nNone."}}, Origin: origin},
			func(st replica.State) Record { return ReportFromState("r1", st) }},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			k, ok := roles.KindOf(tt.kind)
			if !ok || k.Scope != roles.Clinical || !k.MayCreate(roles.Physician) || k.MayCreate(roles.Receptionist) || k.MayCreate(roles.Administrator) {
				t.Fatalf("kind %s in the roles table: %+v %v", tt.kind, k, ok)
			}
			f, err := tt.rec.Fields()
			if err != nil {
				t.Fatal(err)
			}
			if err := k.CheckFields(maps.Keys(f)); err != nil {
				t.Errorf("every workstation would refuse it: %v", err)
			}
			if got := tt.read(StateOf(f)); !reflect.DeepEqual(got, tt.rec) {
				t.Errorf("read back\n%#v\nwant\n%#v", got, tt.rec)
			}
		})
	}
}

func TestResultText(t *testing.T) {
	r := Result{Value: Value{Quantity: &Quantity{Value: "82.31", Comparator: "<", Unit: "%"}},
		Ranges: []Range{{High: &Quantity{Value: "100", Unit: "%"}}, {Text: "negative"}}}
	if got := r.Value.String(); got != "<82.31 %" {
		t.Errorf("value %q", got)
	}
	if got := r.Ranges[0].String(); got != "≤ 100 %" {
		t.Errorf("range %q", got)
	}
	if r.Abnormal() != "" || (Result{Interpretation: []Concept{{Codings: []Coding{{Code: "N"}}}}}).Abnormal() != "" {
		t.Error("a normal result is flagged")
	}
}

func TestFHIRTime(t *testing.T) {
	for s, want := range map[string]string{
		"2009-10-26T06:44:52-04:00": "2009-10-26T10:44:52Z", "2009-10-26T06:44:52.558-04:00": "2009-10-26T10:44:52Z",
		"2009-10-26": "2009-10-26T00:00:00Z", "2009-10": "2009-10-01T00:00:00Z", "2009": "2009-01-01T00:00:00Z",
	} {
		got, ok := FHIRTime(s)
		if !ok || got.UTC().Truncate(time.Second).Format(time.RFC3339) != want {
			t.Errorf("FHIRTime(%q) = %v, %v; want %s", s, got, ok, want)
		}
	}
	if _, ok := FHIRTime("yesterday"); ok {
		t.Error("yesterday is a time")
	}
}

func TestEncounterDetailsRoundTrip(t *testing.T) {
	d := EncounterDetails{Types: []Concept{{Codings: []Coding{{System: "http://snomed.info/sct", Code: "162673000"}}, Text: "General examination"}},
		Class: Coding{System: "http://terminology.hl7.org/CodeSystem/v3-ActCode", Code: "AMB"}}
	f, err := replica.F(map[string]any{EncounterTypes: d.Types, EncounterClass: d.Class})
	if err != nil {
		t.Fatal(err)
	}
	if got := EncounterDetailsFromState(StateOf(f)); !reflect.DeepEqual(got, d) {
		t.Errorf("read back %+v, want %+v", got, d)
	}
}
