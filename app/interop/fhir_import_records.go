package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing/drugs"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/sync/replica"
)

// The import of the plain clinical records: encounters, conditions,
// allergies and medications (MedicationRequest and MedicationStatement).

func (x *fhirImporter) encounter(e *bundleEntry) error {
	var en fhir.Encounter
	m, err := x.decode(e, &en)
	if err != nil {
		return err
	}
	if _, ok := m["status"]; !ok {
		return e.errf("status missing")
	}
	if en.Status == fhir.EncounterStatusEnteredInError || en.Status == fhir.EncounterStatusCancelled {
		e.entity = ""
		x.skip(e, "it was "+en.Status.Code())
		return nil
	}
	pe, err := x.subject(e, "subject", en.Subject)
	if err != nil {
		return err
	}
	if en.Period == nil || en.Period.Start == nil {
		return e.errf("period.start missing")
	}
	start, err := when(e, "period.start", *en.Period.Start)
	if err != nil {
		return err
	}
	var end time.Time
	if en.Period.End != nil {
		if end, err = when(e, "period.end", *en.Period.End); err != nil {
			return err
		}
		if end.Before(start) {
			return e.errf("period.end %q is before period.start %q: the visit must end after it starts", *en.Period.End, *en.Period.Start)
		}
	}
	var appt *bundleEntry
	for i := range en.Appointment {
		if appt, err = x.resolve(e, fmt.Sprintf("appointment[%d]", i), &en.Appointment[i], "Appointment"); err != nil {
			return err
		}
	}
	var who []*fhir.Reference
	for _, p := range en.Participant {
		who = append(who, p.Individual)
	}
	attribution, err := x.attribution(e, "participant.individual", who...)
	if err != nil {
		return err
	}
	reason := ""
	if len(en.ReasonCode) > 0 {
		reason = conceptText(&en.ReasonCode[0])
	}
	extra := map[string]any{}
	if types := toConcepts(en.Type); len(types) > 0 {
		extra[records.EncounterTypes] = types
	}
	if c := en.Class; strOr(c.Code) != "" {
		extra[records.EncounterClass] = records.Coding{System: strOr(c.System), Code: strOr(c.Code), Display: strOr(c.Display)}
	}
	x.record(e, pe, records.KindEncounter, func(patient string) records.Record {
		return coded{rec: chart.Encounter{Patient: patient, Appointment: entity(appt), Start: start, End: end, Reason: reason,
			Origin: x.origin(attribution)}, extra: extra}
	})
	return nil
}

// encounterOf is the encounter a record belongs to ("" when none).
func (x *fhirImporter) encounterOf(e *bundleEntry, ref *fhir.Reference) (*bundleEntry, error) {
	return x.resolve(e, "encounter", ref, "Encounter")
}

func entity(e *bundleEntry) string {
	if e == nil {
		return ""
	}
	return e.entity
}

func (x *fhirImporter) condition(e *bundleEntry) error {
	var c fhir.Condition
	if _, err := x.decode(e, &c); err != nil {
		return err
	}
	if v := firstCode(c.VerificationStatus, sysCondVer); v == "entered-in-error" || v == "refuted" {
		e.entity = ""
		x.skip(e, "its verification status is "+v)
		return nil
	}
	pe, err := x.subject(e, "subject", &c.Subject)
	if err != nil {
		return err
	}
	name := conceptText(c.Code)
	if name == "" {
		return e.errf("code missing: name the problem in code.text or a coding's display")
	}
	var p chart.Problem
	if p.Onset, err = x.date(e, "onsetDateTime", c.OnsetDateTime); err != nil {
		return err
	}
	if p.Resolved, err = x.date(e, "abatementDateTime", c.AbatementDateTime); err != nil {
		return err
	}
	p.Status = chart.ProblemActive
	switch firstCode(c.ClinicalStatus, sysCondClin) {
	case "inactive", "remission", "resolved":
		p.Status = chart.ProblemResolved
	case "":
		if p.Resolved != "" {
			p.Status = chart.ProblemResolved
		}
	}
	noted, err := x.recorded(e, c.RecordedDate)
	if err != nil {
		return err
	}
	attribution, err := x.attribution(e, "recorder", c.Recorder, c.Asserter)
	if err != nil {
		return err
	}
	p.Name, p.Noted, p.Origin = strings.Join(strings.Fields(name), " "), noted, x.origin(attribution)
	x.record(e, pe, records.KindProblem, func(patient string) records.Record {
		p.Patient = patient
		return withCodes(p, c.Code, nil)
	})
	return nil
}

// date reads an optional FHIR date or dateTime as a chart date, not in the
// future.
func (x *fhirImporter) date(e *bundleEntry, field string, s *string) (string, error) {
	if s == nil {
		return "", nil
	}
	d, err := datePart(e, field, *s)
	if err != nil {
		return "", err
	}
	if err := app.CheckDate(field, d, x.now); err != nil {
		return "", e.errf("%s", strings.TrimPrefix(err.Error(), app.ErrInvalidInput.Error()+": "))
	}
	return d, nil
}

// recorded reads when a record was made (now when the bundle does not say).
func (x *fhirImporter) recorded(e *bundleEntry, s *string) (time.Time, error) {
	if s == nil {
		return x.now, nil
	}
	return when(e, "recordedDate", *s)
}

func (x *fhirImporter) allergy(e *bundleEntry) error {
	var a fhir.AllergyIntolerance
	if _, err := x.decode(e, &a); err != nil {
		return err
	}
	if v := firstCode(a.VerificationStatus, sysAllergyVer); v == "entered-in-error" || v == "refuted" {
		e.entity = ""
		x.skip(e, "its verification status is "+v)
		return nil
	}
	if c := firstCode(a.ClinicalStatus, sysAllergyClin); c == "inactive" || c == "resolved" {
		e.entity = ""
		x.skip(e, "the allergy is "+c)
		return nil
	}
	pe, err := x.subject(e, "patient", &a.Patient)
	if err != nil {
		return err
	}
	substance := conceptText(a.Code)
	if substance == "" {
		return e.errf("code missing: name the substance in code.text or a coding's display")
	}
	severity, reaction := "", ""
	for _, re := range a.Reaction {
		if re.Severity != nil && severity == "" {
			severity = re.Severity.Code()
		}
		if len(re.Manifestation) > 0 && reaction == "" {
			reaction = conceptText(&re.Manifestation[0])
		}
	}
	if severity == "" && a.Criticality != nil {
		severity = map[string]string{"low": "mild", "high": "severe"}[a.Criticality.Code()]
	}
	if severity == "" && !(records.Allergy{Codes: toConcept(a.Code).Codings}).NoneKnown() {
		// FHIR does not require it, and an allergy matters to the
		// prescribing checks whatever its severity: kept, and said
		// (not of a "no known … allergy", which has none).
		x.skipped = append(x.skipped, fmt.Sprintf("Entry %d (AllergyIntolerance): %s was recorded without a severity (the bundle gives none).", e.n, substance))
	}
	noted, err := x.recorded(e, a.RecordedDate)
	if err != nil {
		return err
	}
	attribution, err := x.attribution(e, "recorder", a.Recorder, a.Asserter)
	if err != nil {
		return err
	}
	x.record(e, pe, records.KindAllergy, func(patient string) records.Record {
		return withCodes(chart.Allergy{Patient: patient, Substance: strings.Join(strings.Fields(substance), " "), Reaction: reaction,
			Severity: severity, Status: chart.AllergyActive, Noted: noted, Origin: x.origin(attribution)}, a.Code, nil)
	})
	return nil
}

// medicationName is the drug a medication resource names, in
// medicationCodeableConcept or in the Medication its medicationReference
// points to; c is set to the drug's codes.
func (x *fhirImporter) medicationName(e *bundleEntry, m map[string]json.RawMessage, c *fhir.CodeableConcept, ref *fhir.Reference) (string, error) {
	if _, ok := m["medicationReference"]; ok && len(bytes.TrimSpace(m["medicationReference"])) > 2 && ref != nil {
		t, err := x.resolve(e, "medicationReference", ref, "Medication")
		if err != nil {
			return "", err
		}
		if t == nil || t.med == nil {
			return "", e.errf("medicationReference names no Medication of this bundle")
		}
		*c = *t.med
	}
	name := strings.Join(strings.Fields(conceptText(c)), " ")
	if name == "" {
		return "", e.errf("medicationCodeableConcept missing")
	}
	return name, nil
}

// keptJSON is a FHIR element kept as JSON in a record (nil when absent).
func keptJSON(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil, err
	}
	return b, nil
}

var rxStatuses = map[string]string{"active": chart.MedicationActive, "on-hold": chart.MedicationActive, "draft": chart.MedicationActive,
	"cancelled": chart.MedicationStopped, "completed": chart.MedicationStopped, "stopped": chart.MedicationStopped, "unknown": chart.MedicationStopped}

func (x *fhirImporter) medicationRequest(e *bundleEntry) error {
	var mr fhir.MedicationRequest
	m, err := x.decode(e, &mr)
	if err != nil {
		return err
	}
	switch {
	case mr.Status == "":
		return e.errf("status missing")
	case mr.Status == "entered-in-error":
		e.entity = ""
		x.skip(e, "it was entered in error")
		return nil
	case rxStatuses[mr.Status] == "":
		return e.errf("status %q is not a MedicationRequest status", mr.Status)
	case mr.Intent == "":
		return e.errf("intent missing")
	}
	pe, err := x.subject(e, "subject", &mr.Subject)
	if err != nil {
		return err
	}
	name, err := x.medicationName(e, m, &mr.MedicationCodeableConcept, &mr.MedicationReference)
	if err != nil {
		return err
	}
	since, err := x.date(e, "authoredOn", mr.AuthoredOn)
	if err != nil {
		return err
	}
	enc, err := x.encounterOf(e, mr.Encounter)
	if err != nil {
		return err
	}
	attribution, err := x.attribution(e, "requester", mr.Requester, mr.Recorder)
	if err != nil {
		return err
	}
	var dose []string
	for _, d := range mr.DosageInstruction {
		if t := strings.TrimSpace(strOr(d.Text)); t != "" {
			dose = append(dose, t)
		}
	}
	rq := &records.MedicationRequest{Intent: mr.Intent, Status: mr.Status, Authored: strOr(mr.AuthoredOn),
		StatusReason: conceptText(mr.StatusReason)}
	for _, f := range []struct {
		to *json.RawMessage
		v  any
	}{{&rq.Dosage, mr.DosageInstruction}, {&rq.Dispense, mr.DispenseRequest}, {&rq.Notes, mr.Note}} {
		if *f.to, err = keptJSON(f.v); err != nil {
			return err
		}
	}
	x.record(e, pe, records.KindMedication, func(patient string) records.Record {
		return withCodes(chart.Medication{Patient: patient, Name: name, Dose: strings.Join(dose, "; "), Since: since,
			Status: rxStatuses[mr.Status], Encounter: entity(enc), Request: rq, Origin: x.origin(attribution)},
			&mr.MedicationCodeableConcept, unchecked(name))
	})
	return nil
}

var statementStatuses = map[string]string{"active": chart.MedicationActive, "intended": chart.MedicationActive, "on-hold": chart.MedicationActive,
	"completed": chart.MedicationStopped, "stopped": chart.MedicationStopped, "not-taken": chart.MedicationStopped, "unknown": chart.MedicationActive}

func (x *fhirImporter) medicationStatement(e *bundleEntry) error {
	var ms fhir.MedicationStatement
	m, err := x.decode(e, &ms)
	if err != nil {
		return err
	}
	switch {
	case ms.Status == "":
		return e.errf("status missing")
	case ms.Status == "entered-in-error":
		e.entity = ""
		x.skip(e, "it was entered in error")
		return nil
	case statementStatuses[ms.Status] == "":
		return e.errf("status %q is not a MedicationStatement status", ms.Status)
	}
	pe, err := x.subject(e, "subject", &ms.Subject)
	if err != nil {
		return err
	}
	name, err := x.medicationName(e, m, &ms.MedicationCodeableConcept, &ms.MedicationReference)
	if err != nil {
		return err
	}
	start, end := ms.EffectiveDateTime, (*string)(nil)
	if ms.EffectivePeriod != nil {
		start, end = ms.EffectivePeriod.Start, ms.EffectivePeriod.End
	}
	since, err := x.date(e, "effective start", start)
	if err != nil {
		return err
	}
	stopped, err := x.date(e, "effectivePeriod.end", end)
	if err != nil {
		return err
	}
	attribution, err := x.attribution(e, "informationSource", ms.InformationSource)
	if err != nil {
		return err
	}
	dose := ""
	if len(ms.Dosage) > 0 {
		dose = strings.TrimSpace(strOr(ms.Dosage[0].Text))
	}
	x.record(e, pe, records.KindMedication, func(patient string) records.Record {
		return withCodes(chart.Medication{Patient: patient, Name: name, Dose: dose, Since: since, Status: statementStatuses[ms.Status],
			Stopped: stopped, Origin: x.origin(attribution)}, &ms.MedicationCodeableConcept, unchecked(name))
	})
	return nil
}

// coded is a record written with the codes it was imported with (and any
// other extra fields), beside the fields of its own type: later edits
// write only the fields they change, so the codes stay.
type coded struct {
	rec   records.Record
	extra map[string]any
}

func (c coded) Fields() (replica.Fields, error) {
	f, err := c.rec.Fields()
	if err != nil {
		return nil, err
	}
	more, err := replica.F(c.extra)
	if err != nil {
		return nil, err
	}
	for k, v := range more {
		f[k] = v
	}
	return f, nil
}

// withCodes adds the codings of c (SNOMED CT, ICD-10, RxNorm... as they
// came) and extra fields to a record.
func withCodes(rec records.Record, c *fhir.CodeableConcept, extra map[string]any) records.Record {
	if extra == nil {
		extra = map[string]any{}
	}
	if cs := toConcept(c).Codings; len(cs) > 0 {
		extra[records.FieldCodes] = cs
	}
	return coded{rec: rec, extra: extra}
}

// unchecked says whether an imported medication is one the formulary
// knows (the prescribing checks see it by its name) or is kept as free text
// and shown as not checked. The RxNorm code is kept beside it.
func unchecked(name string) map[string]any {
	f, err := drugs.Load()
	if err != nil {
		return map[string]any{records.MedicationUnchecked: true}
	}
	if r := f.Resolve(name); r.Found() {
		return map[string]any{records.MedicationUnchecked: false, records.MedicationFormulary: r.Name()}
	}
	return map[string]any{records.MedicationUnchecked: true}
}
