package interop

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/sync/replica"
)

// The import of notes (Compositions signed by the importing physician).

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
		if len(text) > chart.MaxText {
			return e.errf("section[%d] is longer than %d characters", i, chart.MaxText)
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
		x.mint(e, records.KindAddendum)
		x.count(e)
		x.then = append(x.then, func(_ context.Context, b *replica.Batch) error {
			if target.entity == "" {
				return fmt.Errorf("entry %d (Composition): the note it amends is left out", e.n)
			}
			ch, err := chart.SignedAddendum(x.r, chart.Addendum{ID: e.entity, Of: target.entity, Patient: pe.entity,
				Author: x.r.Fingerprint(), Time: at, Text: text, Origin: x.origin(attribution)})
			if err != nil {
				return err
			}
			b.Append(ch)
			return nil
		})
		return nil
	}
	x.mint(e, records.KindNote)
	n := chart.Note{ID: e.entity, Time: at, Subjective: sections[loincSubjective], Objective: sections[loincObjective],
		Assessment: sections[loincAssessment], Plan: sections[loincPlan]}
	if n.Subjective+n.Objective+n.Assessment+n.Plan == "" {
		return e.errf("the note has no text in its sections")
	}
	x.count(e)
	x.then = append(x.then, func(_ context.Context, b *replica.Batch) error {
		n.Patient, n.Encounter, n.Author, n.Origin = pe.entity, entity(enc), x.r.Fingerprint(), x.origin(attribution)
		ch, err := chart.SignedNote(x.r, n)
		if err != nil {
			return err
		}
		b.Append(ch)
		return nil
	})
	return nil
}
