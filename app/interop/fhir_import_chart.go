package interop

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// The import of vital signs (Observations grouped into sets) and of notes
// (Compositions signed by the importing physician).

// vitalsSet is the Observations of one patient at one time: one app.Vitals.
type vitalsSet struct {
	first       *bundleEntry
	patient     *bundleEntry
	encounter   *bundleEntry
	v           app.Vitals
	from        map[string]int // measurement → entry that gave it
	attribution string
}

const vitalsKept = "LOINC 85354-9 blood pressure (8480-6, 8462-4), 8867-4 heart rate, 9279-1 respiratory rate, " +
	"8310-5 body temperature, 59408-5 or 2708-6 SpO2, 29463-7 weight, 8302-2 height, 39156-5 BMI"

func (x *fhirImporter) observation(e *bundleEntry) error {
	var o fhir.Observation
	m, err := x.decode(e, &o)
	if err != nil {
		return err
	}
	if _, ok := m["status"]; !ok {
		return e.errf("status missing")
	}
	if o.Status == fhir.ObservationStatusEnteredInError || o.Status == fhir.ObservationStatusCancelled {
		e.entity = ""
		x.skip(e, "it was "+o.Status.Code())
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
	key := fmt.Sprintf("%d|%d|%d", pe.n, at.UnixMilli(), entryNumber(enc))
	set, ok := x.vitals[key]
	if !ok {
		set = &vitalsSet{first: e, patient: pe, encounter: enc, v: app.Vitals{Time: at}, from: map[string]int{}, attribution: attribution}
		x.vitals[key] = set
		x.order = append(x.order, key)
	}
	put := func(what string, set1 func()) error {
		if n, dup := set.from[what]; dup {
			return e.errf("a second %s at the same time as entry %d", what, n)
		}
		set.from[what] = e.n
		set1()
		return nil
	}
	switch {
	case hasCode(&o.Code, sysLOINC, loincBPPanel):
		sys, err := component(e, o.Component, loincSystolic, "systolic")
		if err != nil {
			return err
		}
		dia, err := component(e, o.Component, loincDiastolic, "diastolic")
		if err != nil {
			return err
		}
		if err := put("blood pressure", func() { set.v.Systolic, set.v.Diastolic = roundInt(sys), roundInt(dia) }); err != nil {
			return err
		}
	case hasCode(&o.Code, sysLOINC, loincBMI):
		// Recomputed from weight and height; its value is only checked.
		if _, err := value(e, "valueQuantity", o.ValueQuantity, []unitFactor{{"kg/m2", 1, 0}}, "BMI"); err != nil {
			return err
		}
		x.noteBMI(e)
	default:
		vs, ok := vitalSignOf(&o.Code)
		if !ok {
			return e.errf("code %s is not a vital sign Medihaven keeps (it keeps %s)", codeList(&o.Code), vitalsKept)
		}
		val, err := value(e, "valueQuantity", o.ValueQuantity, vs.units, strings.ToLower(vs.display))
		if err != nil {
			return err
		}
		if err := put(strings.ToLower(vs.display), func() { vs.set(&set.v, val) }); err != nil {
			return err
		}
	}
	x.count(e)
	return nil
}

// noteBMI says once that BMI values are recomputed.
func (x *fhirImporter) noteBMI(e *bundleEntry) {
	for _, s := range x.skipped {
		if strings.Contains(s, "BMI") {
			return
		}
	}
	x.skipped = append(x.skipped, "BMI observations were checked, not kept: the chart computes BMI from weight and height.")
}

func entryNumber(e *bundleEntry) int {
	if e == nil {
		return 0
	}
	return e.n
}

func vitalSignOf(c *fhir.CodeableConcept) (vitalSign, bool) {
	for _, vs := range vitalSigns {
		if hasCode(c, sysLOINC, vs.code) || (vs.suffix == "spo2" && hasCode(c, sysLOINC, loincSpO2Alt)) {
			return vs, true
		}
	}
	return vitalSign{}, false
}

func codeList(c *fhir.CodeableConcept) string {
	var out []string
	for _, cd := range c.Coding {
		out = append(out, strOr(cd.Code))
	}
	if len(out) == 0 {
		return strconv.Quote(conceptText(c))
	}
	return strings.Join(out, ", ")
}

// component reads the value of a blood pressure component.
func component(e *bundleEntry, cs []fhir.ObservationComponent, code, what string) (float64, error) {
	for i, c := range cs {
		if hasCode(&c.Code, sysLOINC, code) {
			return value(e, fmt.Sprintf("component[%d].valueQuantity", i), c.ValueQuantity, mmHg, what+" pressure")
		}
	}
	return 0, e.errf("component %s (%s pressure) missing", code, what)
}

// value reads a quantity in one of the units accepted, in Medihaven's unit.
func value(e *bundleEntry, field string, q *fhir.Quantity, units []unitFactor, what string) (float64, error) {
	if q == nil {
		return 0, e.errf("%s missing", field)
	}
	if q.Value == nil {
		return 0, e.errf("%s.value missing", field)
	}
	v, err := q.Value.Float64()
	if err != nil {
		return 0, e.errf("%s.value %q is not a number", field, q.Value.String())
	}
	unit := strOr(q.Code)
	if unit == "" {
		unit = strOr(q.Unit)
	}
	var names []string
	for _, u := range units {
		if u.code == unit {
			return v*u.factor + u.offset, nil
		}
		names = append(names, u.code)
	}
	return 0, e.errf("%s unit %q is not one Medihaven reads for %s (%s)", field, unit, what, strings.Join(names, ", "))
}

// vitalsSteps checks each set like RecordVitals and plans its writing.
func (x *fhirImporter) vitalsSteps() error {
	for _, key := range x.order {
		set := x.vitals[key]
		if len(set.from) == 0 {
			continue // BMI only
		}
		if err := set.v.Validate(); err != nil {
			return set.first.errf("%s", strings.TrimPrefix(err.Error(), app.ErrInvalidInput.Error()+": "))
		}
		id := set.first.entity
		x.then = append(x.then, func(_ context.Context, b *replica.Batch) error {
			v := set.v
			v.Patient, v.Encounter, v.RecordedBy, v.Origin = set.patient.entity, entity(set.encounter), x.r.Fingerprint(), x.origin(set.attribution)
			return x.append(b, id, records.KindVitals, roles.Clinical, v.Fields)
		})
	}
	return nil
}

// narrativeText reads XHTML narrative back into plain text: a line per
// <br/>, paragraph or list item.
func narrativeText(div string) (string, error) {
	d := xml.NewDecoder(strings.NewReader(div))
	d.Strict, d.Entity = false, xml.HTMLEntity
	var b strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			if t.Name.Local == "br" {
				b.WriteByte('\n')
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6":
				b.WriteByte('\n')
			}
		}
	}
	return strings.TrimSpace(b.String()), nil
}

func (x *fhirImporter) composition(e *bundleEntry) error {
	var c fhir.Composition
	m, err := x.decode(e, &c)
	if err != nil {
		return err
	}
	for _, el := range []string{"status", "type", "date", "title"} {
		if _, ok := m[el]; !ok {
			return e.errf("%s missing", el)
		}
	}
	if c.Status == fhir.CompositionStatusEnteredInError {
		e.entity = ""
		x.skip(e, "it was entered in error")
		return nil
	}
	pe, err := x.subject(e, "subject", c.Subject)
	if err != nil {
		return err
	}
	at, err := when(e, "date", c.Date)
	if err != nil {
		return err
	}
	if len(c.Author) == 0 {
		return e.errf("author missing")
	}
	var who []string
	for i := range c.Author {
		name, err := x.attribution(e, fmt.Sprintf("author[%d]", i), &c.Author[i])
		if err != nil {
			return err
		}
		if name != "" {
			who = append(who, name)
		}
	}
	if len(who) == 0 {
		who = []string{"an unnamed author"}
	}
	attribution := strings.Join(who, ", ")
	enc, err := x.encounterOf(e, c.Encounter)
	if err != nil {
		return err
	}
	sections := map[string]string{}
	var all []string
	for i, s := range c.Section {
		text := ""
		if s.Text != nil {
			if text, err = narrativeText(s.Text.Div); err != nil {
				return e.errf("section[%d].text.div is not XHTML: %v", i, err)
			}
		}
		if len(text) > app.MaxText {
			return e.errf("section[%d] is longer than %d characters", i, app.MaxText)
		}
		all = append(all, text)
		code := firstCode(s.Code, sysLOINC)
		for _, sec := range noteSections {
			if code == sec.code || (code == "" && strings.EqualFold(strings.TrimSpace(strOr(s.Title)), sec.title)) {
				sections[sec.code] = strings.TrimSpace(sections[sec.code] + "\n\n" + text)
				code = "kept"
			}
		}
		if code != "kept" && len(c.RelatesTo) == 0 {
			return e.errf("section[%d] (%q) is not a SOAP section (LOINC %s, %s, %s or %s)", i, strOr(s.Title),
				loincSubjective, loincObjective, loincAssessment, loincPlan)
		}
	}
	for i, rel := range c.RelatesTo {
		if rel.Code != fhir.DocumentRelationshipTypeAppends {
			return e.errf("relatesTo[%d].code %s: only addenda (appends) can be imported", i, rel.Code.Code())
		}
		target, err := x.resolve(e, fmt.Sprintf("relatesTo[%d].targetReference", i), &rel.TargetReference, "Composition")
		if err != nil {
			return err
		}
		if target == nil {
			return e.errf("relatesTo[%d].targetReference missing: an addendum must point to its note in the bundle", i)
		}
		text := strings.TrimSpace(strings.Join(all, "\n\n"))
		if text == "" {
			return e.errf("the addendum has no text")
		}
		x.count(e)
		x.then = append(x.then, func(_ context.Context, b *replica.Batch) error {
			if target.entity == "" {
				return fmt.Errorf("entry %d (Composition): the note it amends is left out", e.n)
			}
			ch, err := app.SignedAddendum(x.r, app.Addendum{ID: e.entity, Of: target.entity, Patient: pe.entity,
				Author: x.r.Fingerprint(), Time: at, Text: text, Origin: x.origin(attribution)})
			if err != nil {
				return err
			}
			b.Append(ch)
			return nil
		})
		return nil
	}
	n := app.Note{ID: e.entity, Time: at, Subjective: sections[loincSubjective], Objective: sections[loincObjective],
		Assessment: sections[loincAssessment], Plan: sections[loincPlan]}
	if n.Subjective+n.Objective+n.Assessment+n.Plan == "" {
		return e.errf("the note has no text in its sections")
	}
	x.count(e)
	x.then = append(x.then, func(_ context.Context, b *replica.Batch) error {
		n.Patient, n.Encounter, n.Author, n.Origin = pe.entity, entity(enc), x.r.Fingerprint(), x.origin(attribution)
		ch, err := app.SignedNote(x.r, n)
		if err != nil {
			return err
		}
		b.Append(ch)
		return nil
	})
	return nil
}
