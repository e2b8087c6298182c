package interop

import (
	"context"
	"encoding/base64"
	"strconv"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/sync/replica"
)

// The export of the records kept as they came from other systems:
// results as Observations, procedures, immunizations and diagnostic
// reports, each with the codes and decimal values it was imported with.

func fromConcept(c records.Concept) *fhir.CodeableConcept {
	if c.IsZero() {
		return nil
	}
	out := &fhir.CodeableConcept{}
	if c.Text != "" {
		out.Text = str(c.Text)
	}
	for _, cd := range c.Codings {
		fc := fhir.Coding{}
		if cd.System != "" {
			fc.System = str(cd.System)
		}
		if cd.Code != "" {
			fc.Code = str(cd.Code)
		}
		if cd.Display != "" {
			fc.Display = str(cd.Display)
		}
		out.Coding = append(out.Coding, fc)
	}
	return out
}

func fromConcepts(cs []records.Concept) []fhir.CodeableConcept {
	var out []fhir.CodeableConcept
	for _, c := range cs {
		if fc := fromConcept(c); fc != nil {
			out = append(out, *fc)
		}
	}
	return out
}

func fromQuantity(q *records.Quantity) *fhir.Quantity {
	if q == nil {
		return nil
	}
	out := &fhir.Quantity{}
	if q.Value != "" {
		v := q.Value
		out.Value = &v
	}
	if q.Comparator != "" {
		var c fhir.QuantityComparator
		if c.UnmarshalJSON([]byte(strconv.Quote(q.Comparator))) == nil {
			out.Comparator = &c
		}
	}
	for _, f := range []struct {
		to **string
		v  string
	}{{&out.Unit, q.Unit}, {&out.System, q.System}, {&out.Code, q.Code}} {
		if f.v != "" {
			*f.to = str(f.v)
		}
	}
	return out
}

func fromRanges(rs []records.Range) []fhir.ObservationReferenceRange {
	var out []fhir.ObservationReferenceRange
	for _, r := range rs {
		o := fhir.ObservationReferenceRange{Low: fromQuantity(r.Low), High: fromQuantity(r.High)}
		if r.Text != "" {
			o.Text = str(r.Text)
		}
		out = append(out, o)
	}
	return out
}

// setValue writes a value into an Observation's or a component's value[x].
func setValue(v records.Value, q **fhir.Quantity, c **fhir.CodeableConcept, s **string) {
	switch {
	case v.Quantity != nil:
		*q = fromQuantity(v.Quantity)
	case v.Concept != nil:
		*c = fromConcept(*v.Concept)
	case v.Text != "":
		*s = str(v.Text)
	}
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// performer is who did or measured it, as the other system named them.
func performer(o records.Origin) []fhir.Reference {
	if o.Attribution == "" {
		return nil
	}
	return []fhir.Reference{{Display: str(o.Attribution)}}
}

func (x *fhirExporter) result(r records.Result, pref *fhir.Reference, encRef func(string) *fhir.Reference) fhir.Observation {
	var status fhir.ObservationStatus
	if status.UnmarshalJSON([]byte(strconv.Quote(r.Status))) != nil {
		status = fhir.ObservationStatusFinal
	}
	out := fhir.Observation{Id: str(r.ID), Status: status, Code: *orConcept(fromConcept(r.Code)), Subject: pref,
		Encounter: encRef(r.Encounter), EffectiveDateTime: optStr(r.Effective), Issued: optStr(r.Issued),
		Performer: performer(r.Origin), ReferenceRange: fromRanges(r.Ranges), Interpretation: fromConcepts(r.Interpretation)}
	if out.Category = fromConcepts(r.Categories); len(out.Category) == 0 && r.Category != "" {
		out.Category = []fhir.CodeableConcept{*concept("", coding(sysObsCategory, r.Category, ""))}
	}
	setValue(r.Value, &out.ValueQuantity, &out.ValueCodeableConcept, &out.ValueString)
	for _, c := range r.Components {
		oc := fhir.ObservationComponent{Code: *orConcept(fromConcept(c.Code)), Interpretation: fromConcepts(c.Interpretation),
			ReferenceRange: fromRanges(c.Ranges)}
		setValue(c.Value, &oc.ValueQuantity, &oc.ValueCodeableConcept, &oc.ValueString)
		out.Component = append(out.Component, oc)
	}
	if r.Note != "" {
		out.Note = []fhir.Annotation{{Text: r.Note}}
	}
	return out
}

func orConcept(c *fhir.CodeableConcept) *fhir.CodeableConcept {
	if c == nil {
		return &fhir.CodeableConcept{Text: str("Unknown")}
	}
	return c
}

func (x *fhirExporter) procedure(p records.Procedure, pref *fhir.Reference, encRef func(string) *fhir.Reference) fhir.Procedure {
	var status fhir.EventStatus
	if status.UnmarshalJSON([]byte(strconv.Quote(p.Status))) != nil {
		status = fhir.EventStatusCompleted
	}
	out := fhir.Procedure{Id: str(p.ID), Status: status, Code: fromConcept(p.Code), Subject: *pref, Encounter: encRef(p.Encounter),
		ReasonCode: fromConcepts(p.Reasons)}
	switch {
	case p.End != "":
		out.PerformedPeriod = &fhir.Period{Start: optStr(p.Start), End: str(p.End)}
	case p.Start != "":
		out.PerformedDateTime = str(p.Start)
	}
	for _, who := range performer(p.Origin) {
		out.Performer = append(out.Performer, fhir.ProcedurePerformer{Actor: who})
	}
	return out
}

// fhirImmunization is an R4 Immunization with the elements Medihaven
// writes (the model library writes both occurrence[x] choices).
type fhirImmunization struct {
	ResourceType       string                       `json:"resourceType"`
	ID                 string                       `json:"id"`
	Status             string                       `json:"status"`
	VaccineCode        *fhir.CodeableConcept        `json:"vaccineCode"`
	Patient            fhir.Reference               `json:"patient"`
	Encounter          *fhir.Reference              `json:"encounter,omitempty"`
	OccurrenceDateTime string                       `json:"occurrenceDateTime,omitempty"`
	OccurrenceString   string                       `json:"occurrenceString,omitempty"`
	PrimarySource      *bool                        `json:"primarySource,omitempty"`
	LotNumber          string                       `json:"lotNumber,omitempty"`
	Performer          []fhir.ImmunizationPerformer `json:"performer,omitempty"`
}

func (x *fhirExporter) immunization(im records.Immunization, pref *fhir.Reference, encRef func(string) *fhir.Reference) fhirImmunization {
	out := fhirImmunization{ResourceType: "Immunization", ID: im.ID, Status: im.Status, VaccineCode: orConcept(fromConcept(im.Vaccine)),
		Patient: *pref, Encounter: encRef(im.Encounter), LotNumber: im.Lot}
	if _, err := strconv.Atoi(im.Date[:min(4, len(im.Date))]); err == nil {
		out.OccurrenceDateTime = im.Date
	} else {
		out.OccurrenceString = im.Date
	}
	if b, err := strconv.ParseBool(im.Primary); err == nil {
		out.PrimarySource = &b
	}
	for _, who := range performer(im.Origin) {
		out.Performer = append(out.Performer, fhir.ImmunizationPerformer{Actor: who})
	}
	return out
}

func (x *fhirExporter) report(r records.Report, pref *fhir.Reference, encRef func(string) *fhir.Reference,
	results map[string]bool) fhir.DiagnosticReport {
	var status fhir.DiagnosticReportStatus
	if status.UnmarshalJSON([]byte(strconv.Quote(r.Status))) != nil {
		status = fhir.DiagnosticReportStatusFinal
	}
	out := fhir.DiagnosticReport{Id: str(r.ID), Status: status, Category: fromConcepts(r.Category), Code: *orConcept(fromConcept(r.Code)),
		Subject: pref, Encounter: encRef(r.Encounter), EffectiveDateTime: optStr(r.Effective), Issued: optStr(r.Issued),
		Performer: performer(r.Origin), Conclusion: optStr(r.Conclusion)}
	for _, id := range r.Results {
		if results[id] {
			out.Result = append(out.Result, *x.ref("Observation", id))
		}
	}
	for _, f := range r.Forms {
		out.PresentedForm = append(out.PresentedForm, fhir.Attachment{ContentType: str(f.ContentType),
			Data: str(base64.StdEncoding.EncodeToString([]byte(f.Text)))})
	}
	return out
}

// outsideRecords adds a patient's results, procedures, immunizations and
// reports.
func (x *fhirExporter) outsideRecords(ctx context.Context, p app.Patient, pref *fhir.Reference, encRef func(string) *fhir.Reference) error {
	recs, err := chart.PatientRecords(ctx, x.r, p.ID, records.KindResult, records.KindProcedure, records.KindImmunization, records.KindReport)
	if err != nil {
		return err
	}
	results := map[string]bool{}
	for _, e := range recs[records.KindResult] {
		results[e.ID] = true
		if err := x.add("Observation", e.ID, x.result(records.ResultFromState(e.ID, e.State), pref, encRef)); err != nil {
			return err
		}
	}
	for _, e := range recs[records.KindProcedure] {
		if err := x.add("Procedure", e.ID, x.procedure(records.ProcedureFromState(e.ID, e.State), pref, encRef)); err != nil {
			return err
		}
	}
	for _, e := range recs[records.KindImmunization] {
		if err := x.add("Immunization", e.ID, x.immunization(records.ImmunizationFromState(e.ID, e.State), pref, encRef)); err != nil {
			return err
		}
	}
	for _, e := range recs[records.KindReport] {
		if err := x.add("DiagnosticReport", e.ID, x.report(records.ReportFromState(e.ID, e.State), pref, encRef, results)); err != nil {
			return err
		}
	}
	return nil
}

// importedCodes are the codings problems and allergies were imported
// with, by record id.
func importedCodes(ctx context.Context, r *replica.Replica, patient string) (map[string][]records.Coding, error) {
	recs, err := chart.PatientRecords(ctx, r, patient, records.KindProblem, records.KindAllergy)
	if err != nil {
		return nil, err
	}
	out := map[string][]records.Coding{}
	for _, all := range recs {
		for _, e := range all {
			if cs := records.CodesFromState(e.State); len(cs) > 0 {
				out[e.ID] = cs
			}
		}
	}
	return out, nil
}

// encounterDetails are the types and class encounters were imported
// with, by record id.
func encounterDetails(ctx context.Context, r *replica.Replica, patient string) (map[string]records.EncounterDetails, error) {
	recs, err := chart.PatientRecords(ctx, r, patient, records.KindEncounter)
	if err != nil {
		return nil, err
	}
	out := map[string]records.EncounterDetails{}
	for _, e := range recs[records.KindEncounter] {
		out[e.ID] = records.EncounterDetailsFromState(e.State)
	}
	return out, nil
}

// withDetails gives an exported encounter what it was imported with.
func withDetails(out fhir.Encounter, d records.EncounterDetails) fhir.Encounter {
	if len(d.Types) > 0 {
		out.Type = fromConcepts(d.Types)
	}
	if d.Class.Code != "" {
		out.Class = fhir.Coding{Code: str(d.Class.Code), System: optStr(d.Class.System), Display: optStr(d.Class.Display)}
	}
	return out
}

// withCodings gives a concept the codings a record was imported with.
func withCodings(c *fhir.CodeableConcept, cs []records.Coding) *fhir.CodeableConcept {
	if len(cs) == 0 || c == nil {
		return c
	}
	c.Coding = fromConcept(records.Concept{Codings: cs}).Coding
	return c
}
