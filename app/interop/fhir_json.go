package interop

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app/chart"
)

// FHIR R4 JSON helpers shared by the export and the import: the codes
// Medihaven speaks, the stable ids of exported resources, and a clean-up of
// the model library's output.

// The code systems used.
const (
	sysLOINC       = "http://loinc.org"
	sysUCUM        = "http://unitsofmeasure.org"
	sysObsCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	sysCondClin    = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	sysCondVer     = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
	sysCondCat     = "http://terminology.hl7.org/CodeSystem/condition-category"
	sysAllergyClin = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	sysAllergyVer  = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	sysActCode     = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	sysIDType      = "http://terminology.hl7.org/CodeSystem/v2-0203"
	sysContactRole = "http://terminology.hl7.org/CodeSystem/v2-0131"
	sysStaffKey    = "urn:medihaven:staff-key"
	// extConsent is the day the patient consented to data sharing.
	extConsent = "https://medihaven.example/fhir/StructureDefinition/data-sharing-consent"
)

// LOINC codes of a SOAP progress note and its sections.
const (
	loincProgressNote = "11506-3"
	loincSubjective   = "61150-9"
	loincObjective    = "61149-1"
	loincAssessment   = "51848-0"
	loincPlan         = "18776-5"
)

// noteSections are the SOAP sections in the order a note shows them.
var noteSections = []struct{ code, title string }{
	{loincSubjective, "Subjective"}, {loincObjective, "Objective"}, {loincAssessment, "Assessment"}, {loincPlan, "Plan"},
}

// vitalSign is one measurement of an chart.Vitals set as a LOINC-coded
// Observation with a UCUM unit. get and set read and write the Vitals
// field; units lists the UCUM units accepted on import with the factor to
// Medihaven's unit (the first is the one exported).
type vitalSign struct {
	code, display, suffix string
	units                 []unitFactor
	get                   func(chart.Vitals) float64
	set                   func(*chart.Vitals, float64)
}

type unitFactor struct {
	code   string
	factor float64 // Medihaven value = value*factor (+ offset for temperatures)
	offset float64
}

// The blood-pressure panel and its two components.
const (
	loincBPPanel   = "85354-9"
	loincSystolic  = "8480-6"
	loincDiastolic = "8462-4"
	loincBMI       = "39156-5"
	loincSpO2Alt   = "2708-6"
)

var mmHg = []unitFactor{{"mm[Hg]", 1, 0}}

var vitalSigns = []vitalSign{
	{"8867-4", "Heart rate", "hr", []unitFactor{{"/min", 1, 0}},
		func(v chart.Vitals) float64 { return float64(v.Pulse) }, func(v *chart.Vitals, x float64) { v.Pulse = roundInt(x) }},
	{"9279-1", "Respiratory rate", "rr", []unitFactor{{"/min", 1, 0}},
		func(v chart.Vitals) float64 { return float64(v.Resp) }, func(v *chart.Vitals, x float64) { v.Resp = roundInt(x) }},
	{"8310-5", "Body temperature", "temp", []unitFactor{{"Cel", 1, 0}, {"[degF]", 5.0 / 9, -32 * 5.0 / 9}},
		func(v chart.Vitals) float64 { return v.TempC }, func(v *chart.Vitals, x float64) { v.TempC = round1(x) }},
	{"59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "spo2", []unitFactor{{"%", 1, 0}},
		func(v chart.Vitals) float64 { return float64(v.SpO2) }, func(v *chart.Vitals, x float64) { v.SpO2 = roundInt(x) }},
	{"29463-7", "Body weight", "weight", []unitFactor{{"kg", 1, 0}, {"g", 0.001, 0}, {"[lb_av]", 0.45359237, 0}},
		func(v chart.Vitals) float64 { return v.WeightKg }, func(v *chart.Vitals, x float64) { v.WeightKg = round1(x) }},
	{"8302-2", "Body height", "height", []unitFactor{{"cm", 1, 0}, {"m", 100, 0}, {"[in_i]", 2.54, 0}},
		func(v chart.Vitals) float64 { return v.HeightCm }, func(v *chart.Vitals, x float64) { v.HeightCm = round1(x) }},
}

func roundInt(x float64) int { return int(x + 0.5) }

func round1(x float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 1, 64), 64)
	return f
}

// Pointer helpers for the model library's optional fields.
func str(v string) *string { return &v }

func strOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(x float64) *json.Number {
	n := json.Number(strconv.FormatFloat(x, 'f', -1, 64))
	return &n
}

func coding(system, code, display string) fhir.Coding {
	c := fhir.Coding{System: str(system), Code: str(code)}
	if display != "" {
		c.Display = str(display)
	}
	return c
}

func concept(text string, codings ...fhir.Coding) *fhir.CodeableConcept {
	c := &fhir.CodeableConcept{Coding: codings}
	if text != "" {
		c.Text = str(text)
	}
	return c
}

// conceptText is what a CodeableConcept says in words: its text, else the
// first coding's display, else its code.
func conceptText(c *fhir.CodeableConcept) string {
	if c == nil {
		return ""
	}
	if t := strings.TrimSpace(strOr(c.Text)); t != "" {
		return t
	}
	for _, cd := range c.Coding {
		if d := strings.TrimSpace(strOr(cd.Display)); d != "" {
			return d
		}
	}
	for _, cd := range c.Coding {
		if d := strings.TrimSpace(strOr(cd.Code)); d != "" {
			return d
		}
	}
	return ""
}

// hasCode reports whether c holds code of system.
func hasCode(c *fhir.CodeableConcept, system, code string) bool {
	if c == nil {
		return false
	}
	for _, cd := range c.Coding {
		if strOr(cd.System) == system && strOr(cd.Code) == code {
			return true
		}
	}
	return false
}

// firstCode is the first code of c in system ("" when none).
func firstCode(c *fhir.CodeableConcept, system string) string {
	if c == nil {
		return ""
	}
	for _, cd := range c.Coding {
		if strOr(cd.System) == system {
			return strOr(cd.Code)
		}
	}
	return ""
}

func fhirInstant(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// stableUUID names an exported resource in its bundle (fullUrl urn:uuid):
// the same record of the same clinic always gets the same name, so two
// exports of the same data agree (a name-based, version 5 style UUID).
func stableUUID(clinic, typ, id string) string {
	h := sha256.Sum256([]byte("medihaven/fhir/v1\n" + clinic + "\n" + typ + "/" + id))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// prunedJSON marshals a model resource and drops the empty objects, arrays
// and nulls the library writes for required choice elements it cannot
// leave out (medicationReference: {} beside medicationCodeableConcept):
// FHIR allows no empty element. Key order is kept.
func prunedJSON(v any) (json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tree, err := readOrdered(dec)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := writeOrdered(&out, tree); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

type member struct {
	key string
	val any
}

// object is a JSON object with its keys in order.
type object []member

func readOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		var o object
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := readOrdered(dec)
			if err != nil {
				return nil, err
			}
			if !emptyJSON(v) {
				o = append(o, member{k.(string), v})
			}
		}
		_, err := dec.Token()
		return o, err
	case '[':
		a := []any{}
		for dec.More() {
			v, err := readOrdered(dec)
			if err != nil {
				return nil, err
			}
			if !emptyJSON(v) {
				a = append(a, v)
			}
		}
		_, err := dec.Token()
		return a, err
	}
	return nil, errors.New("app: unexpected JSON delimiter")
}

func emptyJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case object:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func writeOrdered(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case object:
		b.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, m.key)
			b.WriteByte(':')
			if err := writeOrdered(b, m.val); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeOrdered(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case string:
		writeString(b, x)
	case json.Number:
		b.WriteString(string(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	default:
		return fmt.Errorf("app: unexpected JSON value %T", v)
	}
	return nil
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) //nolint:errcheck // a string always encodes
	b.Truncate(b.Len() - 1)
}
