package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
)

// The export of a patient's clinical records, for a workstation that
// holds the clinical key: encounters, conditions, allergies, medications
// and prescriptions, vital signs, and signed notes with their addenda.

// chart adds a patient's clinical records.
func (x *fhirExporter) chart(ctx context.Context, p app.Patient, pref *fhir.Reference) error {
	c, err := chart.New(x.s.c).ReadUnaudited(ctx, x.r, p)
	if err != nil {
		return err
	}
	// Recorded medications, stopped ones too, are not all in the chart:
	// they are read as stored.
	recs, err := chart.PatientRecords(ctx, x.r, p.ID, records.KindMedication)
	if err != nil {
		return err
	}
	encounters := map[string]bool{}
	for _, e := range c.Encounters {
		encounters[e.ID] = true
	}
	encRef := func(id string) *fhir.Reference {
		if !encounters[id] {
			return nil
		}
		return x.ref("Encounter", id)
	}
	details, err := encounterDetails(ctx, x.r, p.ID)
	if err != nil {
		return err
	}
	for _, e := range c.Encounters {
		if err := x.add("Encounter", e.ID, withDetails(x.encounter(e, pref, e.Attribution), details[e.ID])); err != nil {
			return err
		}
	}
	codes, err := importedCodes(ctx, x.r, p.ID)
	if err != nil {
		return err
	}
	for _, pr := range c.Problems {
		cond := x.condition(pr, pref, pr.Attribution)
		cond.Code = withCodings(cond.Code, codes[pr.ID])
		if err := x.add("Condition", pr.ID, cond); err != nil {
			return err
		}
	}
	for _, a := range c.Allergies {
		al := x.allergy(a, pref, a.Attribution)
		al.Code = withCodings(al.Code, codes[a.ID])
		if err := x.add("AllergyIntolerance", a.ID, al); err != nil {
			return err
		}
	}
	if n := c.NoneKnown; n != nil && n.Current {
		if err := x.add("AllergyIntolerance", n.ID, x.noneKnown(*n, pref)); err != nil {
			return err
		}
	}
	if err := x.outsideRecords(ctx, p, pref, encRef); err != nil {
		return err
	}
	for _, e := range recs[records.KindMedication] {
		typ, res, err := x.medication(records.MedicationFromState(e.ID, e.State), pref, encRef)
		if err != nil {
			return err
		}
		res = medicationCodes(res, records.CodesFromState(e.State))
		if err := x.add(typ, e.ID, res); err != nil {
			return err
		}
	}
	for _, rx := range c.Prescriptions {
		if !rx.Verified {
			x.sum.Notes = append(x.sum.Notes, fmt.Sprintf("A prescription of %s (%s) whose signature does not check out was left out.", p.MRN, rx.Time.Format("2 Jan 2006")))
			continue
		}
		for i := range rx.Items {
			if err := x.add("MedicationRequest", fmt.Sprintf("%s-%d", rx.ID, i+1), x.prescription(rx, i, pref, encRef)); err != nil {
				return err
			}
		}
	}
	for _, v := range c.Vitals {
		for _, o := range x.vitals(v, pref, encRef(v.Encounter), x.by(v.RecordedBy, v.Attribution)) {
			if err := x.add("Observation", *o.Id, o); err != nil {
				return err
			}
		}
	}
	for _, n := range c.Notes {
		if !n.Verified {
			x.sum.Notes = append(x.sum.Notes, fmt.Sprintf("A note of %s (%s) whose signature does not check out was left out.", p.MRN, n.Time.Format("2 Jan 2006")))
			continue
		}
		if err := x.add("Composition", n.ID, x.note(n, pref, encRef(n.Encounter), n.Attribution)); err != nil {
			return err
		}
		for _, a := range n.Addenda {
			if !a.Verified {
				continue
			}
			if err := x.add("Composition", a.ID, x.addendum(a, n, pref, a.Attribution)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (x *fhirExporter) encounter(e chart.Encounter, pref *fhir.Reference, attribution string) fhir.Encounter {
	y, m, d := x.now.In(x.zone).Date()
	status := fhir.EncounterStatusFinished
	if e.End.IsZero() && !e.Start.Before(time.Date(y, m, d, 0, 0, 0, 0, x.zone)) {
		status = fhir.EncounterStatusInProgress
	}
	out := fhir.Encounter{Id: str(e.ID), Status: status, Class: coding(sysActCode, "AMB", "ambulatory"), Subject: pref,
		Period: &fhir.Period{Start: str(fhirInstant(e.Start))}}
	if !e.End.IsZero() {
		out.Period.End = str(fhirInstant(e.End))
	}
	if who := x.by(e.Physician, attribution); who != nil {
		out.Participant = []fhir.EncounterParticipant{{Individual: who}}
	}
	if e.Appointment != "" {
		out.Appointment = []fhir.Reference{*x.ref("Appointment", e.Appointment)}
	}
	if e.Reason != "" {
		out.ReasonCode = []fhir.CodeableConcept{*concept(e.Reason)}
	}
	return out
}

func (x *fhirExporter) condition(p chart.Problem, pref *fhir.Reference, attribution string) fhir.Condition {
	out := fhir.Condition{Id: str(p.ID), Subject: *pref, Code: concept(p.Name),
		ClinicalStatus:     concept("", coding(sysCondClin, p.Status, "")),
		VerificationStatus: concept("", coding(sysCondVer, "confirmed", "")),
		Category:           []fhir.CodeableConcept{*concept("", coding(sysCondCat, "problem-list-item", "Problem List Item"))},
		RecordedDate:       str(fhirInstant(p.Noted))}
	if p.Onset != "" {
		out.OnsetDateTime = str(p.Onset)
	}
	if p.Resolved != "" {
		out.AbatementDateTime = str(p.Resolved)
	}
	if attribution != "" {
		out.Recorder = &fhir.Reference{Display: str(attribution)}
	}
	return out
}

func (x *fhirExporter) allergy(a chart.Allergy, pref *fhir.Reference, attribution string) fhir.AllergyIntolerance {
	out := fhir.AllergyIntolerance{Id: str(a.ID), Patient: *pref, Code: concept(a.Substance),
		ClinicalStatus:     concept("", coding(sysAllergyClin, "active", "Active")),
		VerificationStatus: concept("", coding(sysAllergyVer, "confirmed", "Confirmed")),
		RecordedDate:       str(fhirInstant(a.Noted))}
	var sev fhir.AllergyIntoleranceSeverity
	if sev.UnmarshalJSON([]byte(strconv.Quote(a.Severity))) == nil {
		re := fhir.AllergyIntoleranceReaction{Severity: &sev}
		if a.Reaction != "" {
			re.Manifestation = []fhir.CodeableConcept{*concept(a.Reaction)}
		}
		out.Reaction = []fhir.AllergyIntoleranceReaction{re}
	}
	if attribution != "" {
		out.Recorder = &fhir.Reference{Display: str(attribution)}
	}
	return out
}

// noneKnown is "asked: no known allergies" as FHIR writes it: an
// AllergyIntolerance coded SNOMED CT 716186003 (409137002 and its
// siblings for a narrower one: records.NoneKnownCoding), confirmed, with no
// reaction, recorded by the physician whose signed event wrote it.
func (x *fhirExporter) noneKnown(n chart.NoneKnown, pref *fhir.Reference) fhir.AllergyIntolerance {
	nka := records.NoneKnownCoding(n.Of)
	out := fhir.AllergyIntolerance{Id: str(n.ID), Patient: *pref,
		Code:               concept(nka.Display, coding(nka.System, nka.Code, nka.Display)),
		ClinicalStatus:     concept("", coding(sysAllergyClin, "active", "Active")),
		VerificationStatus: concept("", coding(sysAllergyVer, "confirmed", "Confirmed")),
		RecordedDate:       str(fhirInstant(n.Asked))}
	if n.Attribution != "" || !n.IsImported() { // the importer did not ask
		out.Recorder = x.by(n.By, n.Attribution)
	}
	return out
}

// medication is a recorded medication: a MedicationStatement, or the
// MedicationRequest it was imported from (kept with its dosage as given).
func (x *fhirExporter) medication(m chart.Medication, pref *fhir.Reference,
	encRef func(string) *fhir.Reference) (string, any, error) {
	attribution := m.Attribution
	if rq := m.Request; rq != nil {
		status := rq.Status
		if m.Status == chart.MedicationStopped && rxStatuses[status] != chart.MedicationStopped {
			// Stopped here after the import (StopMedication writes the
			// record's status, not the request's): the request as
			// imported said "active", and a stopped drug must not leave
			// the clinic as running (h-rev24,
			// TestAttackS24cStoppedImportedMedicationExportsActive).
			status = "stopped"
		}
		out := fhir.MedicationRequest{Id: str(m.ID), Status: status, Intent: rq.Intent,
			MedicationCodeableConcept: *concept(m.Name), Subject: *pref, Encounter: encRef(m.Encounter)}
		if rq.Authored != "" {
			out.AuthoredOn = str(rq.Authored)
		}
		if attribution != "" {
			out.Requester = &fhir.Reference{Display: str(attribution)}
		}
		if rq.StatusReason != "" {
			out.StatusReason = concept(rq.StatusReason)
		}
		for _, f := range []struct {
			name string
			raw  json.RawMessage
			v    any
		}{{records.RequestDosage, rq.Dosage, &out.DosageInstruction}, {records.RequestDispense, rq.Dispense, &out.DispenseRequest},
			{records.RequestNotes, rq.Notes, &out.Note}} {
			if f.raw == nil {
				continue
			}
			if err := json.Unmarshal(f.raw, f.v); err != nil {
				return "", nil, fmt.Errorf("app: FHIR export of medication %s: field %s: %w", m.ID, f.name, err)
			}
		}
		return "MedicationRequest", out, nil
	}
	status := "active"
	if m.Status == chart.MedicationStopped {
		status = "stopped"
	}
	out := fhir.MedicationStatement{Id: str(m.ID), Status: status, MedicationCodeableConcept: *concept(m.Name), Subject: *pref}
	if m.Since != "" || m.Stopped != "" {
		out.EffectivePeriod = &fhir.Period{}
		if m.Since != "" {
			out.EffectivePeriod.Start = str(m.Since)
		}
		if m.Stopped != "" {
			out.EffectivePeriod.End = str(m.Stopped)
		}
	}
	if m.Dose != "" {
		out.Dosage = []fhir.Dosage{{Text: str(m.Dose)}}
	}
	if attribution != "" {
		out.InformationSource = &fhir.Reference{Display: str(attribution)}
	}
	return "MedicationStatement", out, nil
}

// routeCodes are the SNOMED CT codes of the formulary's routes.
var routeCodes = map[string][2]string{
	"oral": {"26643006", "Oral route"}, "sublingual": {"37839007", "Sublingual route"},
	"subcutaneous": {"34206005", "Subcutaneous route"}, "intramuscular": {"78421000", "Intramuscular route"},
	"intravenous": {"47625008", "Intravenous route"}, "topical": {"6064005", "Topical route"},
	"rectal": {"37161004", "Rectal route"}, "nasal": {"46713006", "Nasal route"}, "eye": {"54485002", "Ophthalmic route"},
	"ear": {"10547007", "Otic route"}, "inhaled": {"447694001", "Respiratory tract route"},
}

var (
	reTimes    = regexp.MustCompile(`\b(once|twice|one|two|three|four|five|six|\d+) (times )?(daily|a day|per day)\b`)
	reEvery    = regexp.MustCompile(`\bevery (\d+) (hour|hours|day|days|week|weeks)\b`)
	reQuantity = regexp.MustCompile(`^(\d+(?:\.\d+)?) ?(.*)$`)
	timesWords = map[string]int{"once": 1, "one": 1, "twice": 2, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
)

// norm is text in lower case with its spaces folded.
func norm(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// rxTiming reads the common frequencies of a sig into a FHIR Timing; the
// words stay in the dosage's text either way.
func rxTiming(freq string, days int) *fhir.Timing {
	f := norm(freq)
	rep := &fhir.TimingRepeat{}
	if m := reTimes.FindStringSubmatch(f); m != nil {
		n, ok := timesWords[m[1]]
		if !ok {
			n, _ = strconv.Atoi(m[1])
		}
		rep.Period, rep.PeriodUnit = num(1), str("d")
		if strings.Contains(f, "up to") {
			one := 1
			rep.Frequency, rep.FrequencyMax = &one, &n
		} else {
			rep.Frequency = &n
		}
	} else if m := reEvery.FindStringSubmatch(f); m != nil {
		one := 1
		n, _ := strconv.Atoi(m[1])
		rep.Frequency, rep.Period, rep.PeriodUnit = &one, num(float64(n)), str(m[2][:1])
	}
	switch {
	case strings.Contains(f, "at night"), strings.Contains(f, "at bedtime"):
		rep.When = []string{"HS"}
	case strings.Contains(f, "in the morning"):
		rep.When = []string{"MORN"}
	}
	if days > 0 {
		rep.BoundsDuration = &fhir.Duration{Value: num(float64(days)), Unit: str("days"), System: str(sysUCUM), Code: str("d")}
	}
	return &fhir.Timing{Repeat: rep}
}

// prescription is drug i of a signed prescription.
func (x *fhirExporter) prescription(rx chart.Prescription, i int, pref *fhir.Reference, encRef func(string) *fhir.Reference) fhir.MedicationRequest {
	it := rx.Items[i]
	status := "completed"
	switch {
	case rx.Status == chart.RxCancelled:
		status = "cancelled"
	case rx.Running(x.now):
		status = "active"
	}
	dose := fhir.Dosage{Text: str(it.Directions()), Timing: rxTiming(it.Frequency, it.Days)}
	if it.Instructions != "" {
		dose.PatientInstruction = str(it.Instructions)
	}
	if strings.Contains(norm(it.Frequency), "as needed") {
		yes := true
		dose.AsNeededBoolean = &yes
	}
	if it.Route != "" {
		c, ok := routeCodes[norm(it.Route)]
		if ok {
			dose.Route = concept(it.Route, coding("http://snomed.info/sct", c[0], c[1]))
		} else {
			dose.Route = concept(it.Route)
		}
	}
	if v, err := strconv.ParseFloat(it.Dose, 64); err == nil {
		dose.DoseAndRate = []fhir.DosageDoseAndRate{{DoseQuantity: &fhir.Quantity{Value: num(v), Unit: str(it.Unit)}}}
	}
	refills := it.Refills
	disp := &fhir.MedicationRequestDispenseRequest{NumberOfRepeatsAllowed: &refills,
		ExpectedSupplyDuration: &fhir.Duration{Value: num(float64(it.Days)), Unit: str("days"), System: str(sysUCUM), Code: str("d")}}
	if m := reQuantity.FindStringSubmatch(it.Quantity); m != nil && !strings.Contains(m[2], "supply") {
		v, _ := strconv.ParseFloat(m[1], 64)
		disp.Quantity = &fhir.Quantity{Value: num(v), Unit: str(m[2])}
	}
	out := fhir.MedicationRequest{Id: str(fmt.Sprintf("%s-%d", rx.ID, i+1)), Status: status, Intent: "order",
		Identifier:                []fhir.Identifier{{System: str("urn:medihaven:clinic:" + x.clinic + ":rx-code"), Value: str(rx.Code)}},
		GroupIdentifier:           &fhir.Identifier{System: str("urn:medihaven:clinic:" + x.clinic + ":prescription"), Value: str(rx.ID)},
		MedicationCodeableConcept: *concept(it.Drug), Subject: *pref, Encounter: encRef(rx.Encounter),
		AuthoredOn: str(fhirInstant(rx.Time)), Requester: x.staffRef(rx.Prescriber),
		DosageInstruction: []fhir.Dosage{dose}, DispenseRequest: disp}
	if rx.Cancellation != nil {
		out.StatusReason = concept(rx.Cancellation.Reason)
	}
	for _, w := range rx.Overrides {
		if w.Reason != "" && strings.EqualFold(w.Drug, it.Drug) {
			out.Note = append(out.Note, fhir.Annotation{AuthorString: str(rx.PrescriberName), Time: str(fhirInstant(rx.Time)),
				Text: "Warning overridden: " + w.Message + " Reason: " + w.Reason})
		}
	}
	for _, a := range rx.Addenda {
		if a.Verified {
			out.Note = append(out.Note, fhir.Annotation{AuthorString: str(a.AuthorName), Time: str(fhirInstant(a.Time)), Text: a.Text})
		}
	}
	return out
}

func quantity(v float64, unit string) *fhir.Quantity {
	return &fhir.Quantity{Value: num(v), Unit: str(unit), System: str(sysUCUM), Code: str(unit)}
}

// vitals are the Observations of one set of measurements.
func (x *fhirExporter) vitals(v chart.Vitals, pref, enc, performer *fhir.Reference) []fhir.Observation {
	cat := []fhir.CodeableConcept{*concept("", coding(sysObsCategory, "vital-signs", "Vital Signs"))}
	obs := func(suffix string, code fhir.CodeableConcept) fhir.Observation {
		o := fhir.Observation{Id: str(v.ID + "-" + suffix), Status: fhir.ObservationStatusFinal, Category: cat, Code: code,
			Subject: pref, Encounter: enc, EffectiveDateTime: str(fhirInstant(v.Time))}
		if performer != nil {
			o.Performer = []fhir.Reference{*performer}
		}
		return o
	}
	var out []fhir.Observation
	if v.Systolic != 0 && v.Diastolic != 0 {
		o := obs("bp", *concept("Blood pressure", coding(sysLOINC, loincBPPanel, "Blood pressure panel with all children optional")))
		o.Component = []fhir.ObservationComponent{
			{Code: *concept("", coding(sysLOINC, loincSystolic, "Systolic blood pressure")), ValueQuantity: quantity(float64(v.Systolic), "mm[Hg]")},
			{Code: *concept("", coding(sysLOINC, loincDiastolic, "Diastolic blood pressure")), ValueQuantity: quantity(float64(v.Diastolic), "mm[Hg]")},
		}
		out = append(out, o)
	}
	for _, vs := range vitalSigns {
		val := vs.get(v)
		if val == 0 {
			continue
		}
		codes := []fhir.Coding{coding(sysLOINC, vs.code, vs.display)}
		if vs.suffix == "spo2" {
			codes = append(codes, coding(sysLOINC, loincSpO2Alt, "Oxygen saturation in Arterial blood"))
		}
		o := obs(vs.suffix, *concept(vs.display, codes...))
		o.ValueQuantity = quantity(val, vs.units[0].code)
		out = append(out, o)
	}
	if v.BMI > 0 {
		o := obs("bmi", *concept("Body mass index", coding(sysLOINC, loincBMI, "Body mass index (BMI) [Ratio]")))
		o.ValueQuantity = quantity(v.BMI, "kg/m2")
		out = append(out, o)
	}
	return out
}

// noteDiv is text as XHTML narrative: escaped, one line per <br/>.
func noteDiv(text string) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(strings.ReplaceAll(text, "\r\n", "\n"))
	return `<div xmlns="http://www.w3.org/1999/xhtml">` + strings.ReplaceAll(esc, "\n", "<br/>") + `</div>`
}

func progressNote() fhir.CodeableConcept {
	return *concept("Progress note", coding(sysLOINC, loincProgressNote, "Progress note"))
}

func (x *fhirExporter) note(n chart.Note, pref, enc *fhir.Reference, attribution string) fhir.Composition {
	out := fhir.Composition{Id: str(n.ID), Status: fhir.CompositionStatusFinal, Type: progressNote(), Subject: pref,
		Encounter: enc, Date: fhirInstant(n.Time), Author: []fhir.Reference{*x.by(n.Author, attribution)}, Title: "Progress note"}
	if attribution == "" {
		t := fhirInstant(n.Time)
		out.Attester = []fhir.CompositionAttester{{Mode: fhir.CompositionAttestationModeLegal, Time: &t, Party: x.staffRef(n.Author)}}
	}
	for i, text := range []string{n.Subjective, n.Objective, n.Assessment, n.Plan} {
		if text == "" {
			continue
		}
		sec := noteSections[i]
		out.Section = append(out.Section, fhir.CompositionSection{Title: str(sec.title),
			Code: concept("", coding(sysLOINC, sec.code, sec.title)),
			Text: &fhir.Narrative{Status: fhir.NarrativeStatusGenerated, Div: noteDiv(text)}})
	}
	return out
}

func (x *fhirExporter) addendum(a chart.Addendum, n chart.Note, pref *fhir.Reference, attribution string) fhir.Composition {
	out := fhir.Composition{Id: str(a.ID), Status: fhir.CompositionStatusFinal, Type: progressNote(), Subject: pref,
		Date: fhirInstant(a.Time), Author: []fhir.Reference{*x.by(a.Author, attribution)}, Title: "Addendum",
		RelatesTo: []fhir.CompositionRelatesTo{{Code: fhir.DocumentRelationshipTypeAppends, TargetReference: *x.ref("Composition", n.ID)}},
		Section: []fhir.CompositionSection{{Title: str("Addendum"),
			Text: &fhir.Narrative{Status: fhir.NarrativeStatusGenerated, Div: noteDiv(a.Text)}}}}
	if attribution == "" {
		t := fhirInstant(a.Time)
		out.Attester = []fhir.CompositionAttester{{Mode: fhir.CompositionAttestationModeLegal, Time: &t, Party: x.staffRef(a.Author)}}
	}
	return out
}

// medicationCodes gives an exported medication the codes (RxNorm) it was
// imported with.
func medicationCodes(res any, cs []records.Coding) any {
	switch m := res.(type) {
	case fhir.MedicationRequest:
		withCodings(&m.MedicationCodeableConcept, cs)
		return m
	case fhir.MedicationStatement:
		withCodings(&m.MedicationCodeableConcept, cs)
		return m
	}
	return res
}
