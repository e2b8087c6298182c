package interop

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
)

// The import of what other systems measured and did, kept as it came:
// Observations (vital signs and laboratory results) become results with
// their codes, decimal values, units, reference ranges and flags;
// Procedures, Immunizations and DiagnosticReports (a grouping of results,
// or a report's text) are kept likewise. Observations of other categories
// (surveys, social history, exams) are left out and counted.

// keptCategories are the Observation categories kept as results; an
// Observation with no category is kept too.
var keptCategories = map[string]bool{"vital-signs": true, "laboratory": true}

// maxFormText is the longest report text kept (a presentedForm).
const maxFormText = 64 << 10

func toConcept(c *fhir.CodeableConcept) records.Concept {
	if c == nil {
		return records.Concept{}
	}
	out := records.Concept{Text: strOr(c.Text)}
	for _, cd := range c.Coding {
		out.Codings = append(out.Codings, records.Coding{System: strOr(cd.System), Code: strOr(cd.Code), Display: strOr(cd.Display)})
	}
	return out
}

func toConcepts(cs []fhir.CodeableConcept) []records.Concept {
	var out []records.Concept
	for i := range cs {
		out = append(out, toConcept(&cs[i]))
	}
	return out
}

func toQuantity(q *fhir.Quantity) *records.Quantity {
	if q == nil {
		return nil
	}
	out := &records.Quantity{Unit: strOr(q.Unit), System: strOr(q.System), Code: strOr(q.Code)}
	if q.Value != nil {
		out.Value = *q.Value
	}
	if q.Comparator != nil {
		out.Comparator = q.Comparator.Code()
	}
	return out
}

// observationValue reads the value elements Medihaven keeps; why says
// which other value the Observation has when it has one.
func observationValue(q *fhir.Quantity, c *fhir.CodeableConcept, s *string, other map[string]bool) (v records.Value, why string) {
	switch {
	case q != nil:
		v.Quantity = toQuantity(q)
	case c != nil:
		cc := toConcept(c)
		v.Concept = &cc
	case s != nil:
		v.Text = *s
	}
	for name, set := range other {
		if set {
			return v, name
		}
	}
	return v, ""
}

func otherValues(b *bool, i *int, r *fhir.Range, ra *fhir.Ratio, sd *fhir.SampledData, t, dt *string, p *fhir.Period) map[string]bool {
	return map[string]bool{"valueBoolean": b != nil, "valueInteger": i != nil, "valueRange": r != nil, "valueRatio": ra != nil,
		"valueSampledData": sd != nil, "valueTime": t != nil, "valueDateTime": dt != nil, "valuePeriod": p != nil}
}

func toRanges(rs []fhir.ObservationReferenceRange) []records.Range {
	var out []records.Range
	for _, r := range rs {
		out = append(out, records.Range{Low: toQuantity(r.Low), High: toQuantity(r.High), Text: strOr(r.Text)})
	}
	return out
}

func (x *fhirImporter) observation(e *bundleEntry) error {
	var o fhir.Observation
	m, err := x.decode(e, &o)
	if err != nil {
		return err
	}
	if _, ok := m["status"]; !ok {
		return e.errf("status missing")
	}
	category := ""
	for i := range o.Category {
		if c := firstCode(&o.Category[i], sysObsCategory); c != "" && category == "" {
			category = c
		}
	}
	switch {
	case o.Status == fhir.ObservationStatusEnteredInError || o.Status == fhir.ObservationStatusCancelled:
		x.skip(e, "it was "+o.Status.Code())
		return nil
	case len(o.Category) > 0 && !keptCategories[category]:
		e.entity, e.leftOut = "", true
		x.sum.LeftOut[e.typ+" ("+orWord(category, "other")+")"]++
		return nil
	}
	if _, ok := m["code"]; !ok {
		return e.errf("code missing")
	}
	pe, err := x.subject(e, "subject", o.Subject)
	if err != nil {
		return err
	}
	effective := o.EffectiveDateTime
	if effective == nil {
		effective = o.EffectiveInstant
	}
	if effective == nil && o.EffectivePeriod != nil {
		effective = o.EffectivePeriod.Start
	}
	if effective == nil {
		return e.errf("effectiveDateTime missing: say when it was measured")
	}
	at, err := when(e, "effectiveDateTime", *effective)
	if err != nil {
		return err
	}
	if at.After(x.now.Add(5 * time.Minute)) {
		return e.errf("effectiveDateTime %s is in the future", *effective)
	}
	enc, err := x.encounterOf(e, o.Encounter)
	if err != nil {
		return err
	}
	var who []*fhir.Reference
	for i := range o.Performer {
		who = append(who, &o.Performer[i])
	}
	attribution, err := x.attribution(e, "performer", who...)
	if err != nil {
		return err
	}
	val, why := observationValue(o.ValueQuantity, o.ValueCodeableConcept, o.ValueString,
		otherValues(o.ValueBoolean, o.ValueInteger, o.ValueRange, o.ValueRatio, o.ValueSampledData, o.ValueTime, o.ValueDateTime, o.ValuePeriod))
	if why != "" {
		x.skip(e, "its value is a "+strings.TrimPrefix(why, "value")+", which Medihaven does not keep")
		return nil
	}
	if q := val.Quantity; q != nil && q.Value == "" {
		return e.errf("valueQuantity.value missing")
	}
	if err := plausible(e, &o); err != nil {
		return err
	}
	var comps []records.Component
	for i, c := range o.Component {
		cv, why := observationValue(c.ValueQuantity, c.ValueCodeableConcept, c.ValueString,
			otherValues(c.ValueBoolean, c.ValueInteger, c.ValueRange, c.ValueRatio, c.ValueSampledData, c.ValueTime, c.ValueDateTime, c.ValuePeriod))
		if why != "" {
			x.skip(e, fmt.Sprintf("component[%d] has a %s, which Medihaven does not keep", i, strings.TrimPrefix(why, "value")))
			return nil
		}
		comps = append(comps, records.Component{Code: toConcept(&c.Code), Value: cv, Interpretation: toConcepts(c.Interpretation),
			Ranges: toRanges(c.ReferenceRange)})
	}
	if val.IsZero() && len(comps) == 0 && o.DataAbsentReason == nil && len(o.HasMember) == 0 {
		return e.errf("valueQuantity missing: give the value (valueQuantity, valueCodeableConcept or valueString), its components, or a dataAbsentReason")
	}
	var notes []string
	for _, n := range o.Note {
		notes = append(notes, n.Text)
	}
	if o.DataAbsentReason != nil {
		notes = append(notes, "Not measured: "+conceptText(o.DataAbsentReason))
	}
	res := records.Result{Category: category, Categories: toConcepts(o.Category), Status: o.Status.Code(), Code: toConcept(&o.Code), Effective: *effective,
		Issued: strOr(o.Issued), Value: val, Ranges: toRanges(o.ReferenceRange), Interpretation: toConcepts(o.Interpretation),
		Components: comps, Note: strings.Join(notes, "\n"), Origin: x.origin(attribution)}
	x.record(e, pe, records.KindResult, func(patient string) records.Record {
		res.Patient, res.Encounter = patient, entity(enc)
		return res
	})
	return nil
}

func orWord(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

func (x *fhirImporter) procedure(e *bundleEntry) error {
	var p fhir.Procedure
	m, err := x.decode(e, &p)
	if err != nil {
		return err
	}
	if _, ok := m["status"]; !ok {
		return e.errf("status missing")
	}
	if p.Status == fhir.EventStatusEnteredInError {
		x.skip(e, "it was entered in error")
		return nil
	}
	if p.Code == nil || conceptText(p.Code) == "" {
		return e.errf("code missing: name the procedure in code.text or a coding")
	}
	pe, err := x.subject(e, "subject", &p.Subject)
	if err != nil {
		return err
	}
	enc, err := x.encounterOf(e, p.Encounter)
	if err != nil {
		return err
	}
	start, end := strOr(p.PerformedDateTime), ""
	if p.PerformedPeriod != nil {
		start, end = strOr(p.PerformedPeriod.Start), strOr(p.PerformedPeriod.End)
	}
	for _, d := range []struct{ field, v string }{{"performed start", start}, {"performedPeriod.end", end}} {
		if d.v != "" {
			if _, err := when(e, d.field, d.v); err != nil {
				return err
			}
		}
	}
	refs := []*fhir.Reference{p.Recorder, p.Asserter}
	for i := range p.Performer {
		refs = append(refs, &p.Performer[i].Actor)
	}
	attribution, err := x.attribution(e, "performer.actor", refs...)
	if err != nil {
		return err
	}
	pr := records.Procedure{Status: p.Status.Code(), Code: toConcept(p.Code), Start: start, End: end,
		Reasons: toConcepts(p.ReasonCode), Origin: x.origin(attribution)}
	x.record(e, pe, records.KindProcedure, func(patient string) records.Record {
		pr.Patient, pr.Encounter = patient, entity(enc)
		return pr
	})
	return nil
}

func (x *fhirImporter) immunization(e *bundleEntry) error {
	var im fhir.Immunization
	m, err := x.decode(e, &im)
	if err != nil {
		return err
	}
	if _, ok := m["status"]; !ok {
		return e.errf("status missing")
	}
	if im.Status == fhir.ImmunizationStatusCodesEnteredInError {
		x.skip(e, "it was entered in error")
		return nil
	}
	if conceptText(&im.VaccineCode) == "" {
		return e.errf("vaccineCode missing: name the vaccine in vaccineCode.text or a coding")
	}
	pe, err := x.subject(e, "patient", &im.Patient)
	if err != nil {
		return err
	}
	date := im.OccurrenceDateTime
	if date == "" {
		date = im.OccurrenceString
	}
	if date == "" {
		return e.errf("occurrenceDateTime missing: say when the vaccine was given")
	}
	if im.OccurrenceDateTime != "" {
		if _, err := datePart(e, "occurrenceDateTime", im.OccurrenceDateTime); err != nil {
			return err
		}
	}
	enc, err := x.encounterOf(e, im.Encounter)
	if err != nil {
		return err
	}
	var who []*fhir.Reference
	for i := range im.Performer {
		who = append(who, &im.Performer[i].Actor)
	}
	attribution, err := x.attribution(e, "performer.actor", who...)
	if err != nil {
		return err
	}
	primary := ""
	if im.PrimarySource != nil {
		primary = fmt.Sprint(*im.PrimarySource)
	}
	rec := records.Immunization{Status: im.Status.Code(), Vaccine: toConcept(&im.VaccineCode), Date: date,
		Lot: strOr(im.LotNumber), Primary: primary, Origin: x.origin(attribution)}
	x.record(e, pe, records.KindImmunization, func(patient string) records.Record {
		rec.Patient, rec.Encounter = patient, entity(enc)
		return rec
	})
	return nil
}

func (x *fhirImporter) report(e *bundleEntry) error {
	var d fhir.DiagnosticReport
	m, err := x.decode(e, &d)
	if err != nil {
		return err
	}
	for _, el := range []string{"status", "code"} {
		if _, ok := m[el]; !ok {
			return e.errf("%s missing", el)
		}
	}
	if d.Status == fhir.DiagnosticReportStatusEnteredInError || d.Status == fhir.DiagnosticReportStatusCancelled {
		x.skip(e, "it was "+d.Status.Code())
		return nil
	}
	pe, err := x.subject(e, "subject", d.Subject)
	if err != nil {
		return err
	}
	enc, err := x.encounterOf(e, d.Encounter)
	if err != nil {
		return err
	}
	effective := strOr(d.EffectiveDateTime)
	if effective == "" && d.EffectivePeriod != nil {
		effective = strOr(d.EffectivePeriod.Start)
	}
	var results []*bundleEntry
	for i := range d.Result {
		t, err := x.target(e, fmt.Sprintf("result[%d]", i), strOr(d.Result[i].Reference))
		if err != nil {
			return err
		}
		switch {
		case t == nil:
			return e.errf("result[%d] %q points to no resource of this bundle", i, strOr(d.Result[i].Reference))
		case t.typ != "Observation":
			return e.errf("result[%d] points to a %s (entry %d), not an Observation", i, t.typ, t.n)
		case t.entity != "":
			results = append(results, t) // a result left out is not grouped
		}
	}
	var forms []records.Form
	for i, f := range d.PresentedForm {
		ct := strOr(f.ContentType)
		if !strings.HasPrefix(ct, "text/plain") || f.Data == nil {
			x.skipped = append(x.skipped, fmt.Sprintf("Entry %d (DiagnosticReport): presentedForm[%d] (%s) was left out: only plain text is kept.", e.n, i, orWord(ct, "no content type")))
			continue
		}
		text, err := base64.StdEncoding.DecodeString(*f.Data)
		if err != nil || !utf8.Valid(text) {
			return e.errf("presentedForm[%d].data is not base64 of UTF-8 text", i)
		}
		if len(text) > maxFormText {
			return e.errf("presentedForm[%d] is longer than %d KiB", i, maxFormText>>10)
		}
		forms = append(forms, records.Form{ContentType: ct, Text: string(text)})
	}
	var who []*fhir.Reference
	for i := range d.Performer {
		who = append(who, &d.Performer[i])
	}
	attribution, err := x.attribution(e, "performer", who...)
	if err != nil {
		return err
	}
	rep := records.Report{Status: d.Status.Code(), Category: toConcepts(d.Category), Code: toConcept(&d.Code),
		Effective: effective, Issued: strOr(d.Issued), Conclusion: strOr(d.Conclusion), Forms: forms, Origin: x.origin(attribution)}
	x.record(e, pe, records.KindReport, func(patient string) records.Record {
		rep.Patient, rep.Encounter, rep.Results = patient, entity(enc), nil
		for _, r := range results {
			rep.Results = append(rep.Results, r.entity)
		}
		return rep
	})
	return nil
}

// medicationResource reads a Medication for the requests and statements
// that name it (medicationReference).
func (x *fhirImporter) medicationResource(e *bundleEntry) error {
	var med fhir.Medication
	if _, err := x.decode(e, &med); err != nil {
		return err
	}
	if med.Code == nil || conceptText(med.Code) == "" {
		return e.errf("code missing: name the drug in code.text or a coding")
	}
	e.med = med.Code
	x.count(e)
	return nil
}

// plausible refuses a vital sign no person can have, as the chart's own
// form does (a weight of 7000 kg is a broken record, not a result). The
// value is only checked, in Medihaven's units; it is kept as written.
func plausible(e *bundleEntry, o *fhir.Observation) error {
	var v chart.Vitals
	in := func(q *fhir.Quantity, units []unitFactor) (float64, bool) {
		if q == nil || q.Value == nil {
			return 0, false
		}
		x, err := q.Value.Float64()
		unit := strOr(q.Code)
		if unit == "" {
			unit = strOr(q.Unit)
		}
		for _, u := range units {
			if err == nil && u.code == unit {
				return x*u.factor + u.offset, true
			}
		}
		return 0, false
	}
	checked := false
	for _, vs := range vitalSigns {
		if hasCode(&o.Code, sysLOINC, vs.code) || (vs.suffix == "spo2" && hasCode(&o.Code, sysLOINC, loincSpO2Alt)) {
			if x, ok := in(o.ValueQuantity, vs.units); ok {
				vs.set(&v, x)
				checked = true
			}
		}
	}
	var sys, dia bool
	for _, c := range o.Component {
		switch {
		case hasCode(&c.Code, sysLOINC, loincSystolic):
			if x, ok := in(c.ValueQuantity, mmHg); ok {
				v.Systolic, sys = roundInt(x), true
			}
		case hasCode(&c.Code, sysLOINC, loincDiastolic):
			if x, ok := in(c.ValueQuantity, mmHg); ok {
				v.Diastolic, dia = roundInt(x), true
			}
		}
	}
	if !checked && !(sys && dia) {
		return nil
	}
	if err := v.Validate(); err != nil {
		return e.errf("%s", strings.TrimPrefix(err.Error(), records.ErrInvalidInput.Error()+": "))
	}
	return nil
}
