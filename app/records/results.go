package records

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
)

// Records that come from other systems as they were measured or done:
// results (vital signs and laboratory), procedures, immunizations and
// diagnostic reports (clinical scope, written once). Codes keep the system
// and code they came with and values the decimal text they were given, so
// an export gives back what was imported.

// Kinds of the records of this file.
const (
	KindResult       = "result"
	KindProcedure    = "procedure"
	KindImmunization = "immunization"
	KindReport       = "report"
)

// Coding is one code of a code system: SNOMED CT, ICD-10, LOINC, RxNorm,
// CVX, or Medihaven's own.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// Concept is what a record names: its codes and a text.
type Concept struct {
	Codings []Coding `json:"coding,omitempty"`
	Text    string   `json:"text,omitempty"`
}

// Name is the concept's text, else its first display, else its first code.
func (c Concept) Name() string {
	if t := strings.TrimSpace(c.Text); t != "" {
		return t
	}
	for _, cd := range c.Codings {
		if cd.Display != "" {
			return cd.Display
		}
	}
	for _, cd := range c.Codings {
		if cd.Code != "" {
			return cd.Code
		}
	}
	return ""
}

// IsZero reports whether the concept names nothing.
func (c Concept) IsZero() bool { return len(c.Codings) == 0 && c.Text == "" }

// Code is the concept's code in system ("" when none).
func (c Concept) Code(system string) string {
	for _, cd := range c.Codings {
		if cd.System == system {
			return cd.Code
		}
	}
	return ""
}

// Quantity is a measured amount. Value is the decimal as it was written
// (30.654 stays 30.654, 1.50 stays 1.50).
type Quantity struct {
	Value      json.Number `json:"value,omitempty"`
	Comparator string      `json:"comparator,omitempty"`
	Unit       string      `json:"unit,omitempty"`
	System     string      `json:"system,omitempty"`
	Code       string      `json:"code,omitempty"`
}

// Value is a result's value: a quantity, a coded answer or a text.
type Value struct {
	Quantity *Quantity `json:"quantity,omitempty"`
	Concept  *Concept  `json:"concept,omitempty"`
	Text     string    `json:"text,omitempty"`
}

// IsZero reports whether no value was given.
func (v Value) IsZero() bool { return v.Quantity == nil && v.Concept == nil && v.Text == "" }

// String is the value as the chart shows it: "30.654 /min".
func (v Value) String() string {
	switch {
	case v.Quantity != nil:
		q := v.Quantity
		unit := q.Unit
		if unit == "" {
			unit = q.Code
		}
		return strings.TrimSpace(q.Comparator + string(q.Value) + " " + unit)
	case v.Concept != nil:
		return v.Concept.Name()
	}
	return v.Text
}

// Range is a reference range: low and high, or a text.
type Range struct {
	Low  *Quantity `json:"low,omitempty"`
	High *Quantity `json:"high,omitempty"`
	Text string    `json:"text,omitempty"`
}

// String is the range as the chart shows it: "3.5–5.1 mmol/L".
func (r Range) String() string {
	if r.Text != "" {
		return r.Text
	}
	unit := ""
	val := func(q *Quantity) string {
		if q == nil {
			return ""
		}
		if unit == "" {
			unit = q.Unit
		}
		return string(q.Value)
	}
	lo, hi := val(r.Low), val(r.High)
	switch {
	case lo != "" && hi != "":
		return strings.TrimSpace(lo + "–" + hi + " " + unit)
	case lo != "":
		return strings.TrimSpace("≥ " + lo + " " + unit)
	case hi != "":
		return strings.TrimSpace("≤ " + hi + " " + unit)
	}
	return ""
}

// Component is one part of a result measured with others (the systolic
// and diastolic pressures of a blood pressure).
type Component struct {
	Code           Concept   `json:"code"`
	Value          Value     `json:"value"`
	Interpretation []Concept `json:"interpretation,omitempty"`
	Ranges         []Range   `json:"range,omitempty"`
}

// Fields of a result.
const (
	ResultPatient        = FieldPatient
	ResultEncounter      = "encounter"
	ResultCategory       = "category" // vital-signs, laboratory
	ResultCategories     = "categories"
	ResultStatus         = "status"
	ResultCode           = "code"
	ResultEffective      = "effective" // FHIR dateTime as given
	ResultIssued         = "issued"    // FHIR instant as given
	ResultValue          = "value"
	ResultRanges         = "range"
	ResultInterpretation = "interpretation"
	ResultComponents     = "components"
	ResultNote           = "note"
)

// Result is one measurement: a vital sign or a laboratory result, as the
// other clinic's system recorded it.
type Result struct {
	ID             string
	Patient        string
	Encounter      string
	Category       string    // "vital-signs", "laboratory"
	Categories     []Concept // the categories as given, codes and texts
	Status         string    // final, amended, corrected, preliminary
	Code           Concept
	Effective      string // when measured, as written ("2009-10-26T06:44:52-04:00")
	Issued         string
	Value          Value
	Ranges         []Range
	Interpretation []Concept // H, L, A... (v3 ObservationInterpretation)
	Components     []Component
	Note           string
	Origin
}

// Abnormal is the interpretation's flag when it says the result is not
// normal ("H", "L", "A", "HH"...), else "".
func (r Result) Abnormal() string {
	for _, c := range append(r.Interpretation, componentFlags(r.Components)...) {
		for _, cd := range c.Codings {
			if cd.Code != "" && cd.Code != "N" {
				return cd.Code
			}
		}
	}
	return ""
}

func componentFlags(cs []Component) []Concept {
	var out []Concept
	for _, c := range cs {
		out = append(out, c.Interpretation...)
	}
	return out
}

// Fields are the fields of a result.
func (r Result) Fields() (replica.Fields, error) {
	e := enc{ResultPatient: r.Patient, ResultCode: r.Code, ResultStatus: r.Status}
	e.str(ResultEncounter, r.Encounter)
	e.str(ResultCategory, r.Category)
	e.str(ResultEffective, r.Effective)
	e.str(ResultIssued, r.Issued)
	e.str(ResultNote, r.Note)
	if !r.Value.IsZero() {
		e[ResultValue] = r.Value
	}
	if len(r.Ranges) > 0 {
		e[ResultRanges] = r.Ranges
	}
	if len(r.Categories) > 0 {
		e[ResultCategories] = r.Categories
	}
	if len(r.Interpretation) > 0 {
		e[ResultInterpretation] = r.Interpretation
	}
	if len(r.Components) > 0 {
		e[ResultComponents] = r.Components
	}
	e.origin(r.Origin)
	return e.fields()
}

// ResultFromState reads a result.
func ResultFromState(id string, st replica.State) Result {
	return Result{ID: id, Patient: st.String(ResultPatient), Encounter: st.String(ResultEncounter),
		Category: st.String(ResultCategory), Categories: get[[]Concept](st, ResultCategories), Status: st.String(ResultStatus),
		Code:      get[Concept](st, ResultCode),
		Effective: st.String(ResultEffective), Issued: st.String(ResultIssued), Value: get[Value](st, ResultValue),
		Ranges: get[[]Range](st, ResultRanges), Interpretation: get[[]Concept](st, ResultInterpretation),
		Components: get[[]Component](st, ResultComponents), Note: st.String(ResultNote), Origin: originFromState(st)}
}

// Fields of a procedure.
const (
	ProcedurePatient   = FieldPatient
	ProcedureEncounter = "encounter"
	ProcedureStatus    = "status"
	ProcedureCode      = "code"
	ProcedureStart     = "start" // FHIR dateTime as given
	ProcedureEnd       = "end"
	ProcedureReason    = "reason"
)

// Procedure is something done to the patient (a colonoscopy, a
// vaccination's administration is an Immunization).
type Procedure struct {
	ID         string
	Patient    string
	Encounter  string
	Status     string // completed, in-progress, not-done...
	Code       Concept
	Start, End string // when performed, as written; End may be empty
	Reasons    []Concept
	Origin
}

// Fields are the fields of a procedure.
func (p Procedure) Fields() (replica.Fields, error) {
	e := enc{ProcedurePatient: p.Patient, ProcedureStatus: p.Status, ProcedureCode: p.Code}
	e.str(ProcedureEncounter, p.Encounter)
	e.str(ProcedureStart, p.Start)
	e.str(ProcedureEnd, p.End)
	if len(p.Reasons) > 0 {
		e[ProcedureReason] = p.Reasons
	}
	e.origin(p.Origin)
	return e.fields()
}

// ProcedureFromState reads a procedure.
func ProcedureFromState(id string, st replica.State) Procedure {
	return Procedure{ID: id, Patient: st.String(ProcedurePatient), Encounter: st.String(ProcedureEncounter),
		Status: st.String(ProcedureStatus), Code: get[Concept](st, ProcedureCode), Start: st.String(ProcedureStart),
		End: st.String(ProcedureEnd), Reasons: get[[]Concept](st, ProcedureReason), Origin: originFromState(st)}
}

// Fields of an immunization.
const (
	ImmunizationPatient   = FieldPatient
	ImmunizationEncounter = "encounter"
	ImmunizationStatus    = "status"
	ImmunizationVaccine   = "vaccine"
	ImmunizationDate      = "date" // FHIR dateTime as given
	ImmunizationLot       = "lot"
	ImmunizationPrimary   = "primary" // "true", "false" or ""
)

// Immunization is a vaccine given (or not given) to the patient.
type Immunization struct {
	ID        string
	Patient   string
	Encounter string
	Status    string // completed, entered-in-error, not-done
	Vaccine   Concept
	Date      string // occurrence, as written
	Lot       string
	Primary   string
	Origin
}

// Fields are the fields of an immunization.
func (im Immunization) Fields() (replica.Fields, error) {
	e := enc{ImmunizationPatient: im.Patient, ImmunizationStatus: im.Status, ImmunizationVaccine: im.Vaccine,
		ImmunizationDate: im.Date}
	e.str(ImmunizationEncounter, im.Encounter)
	e.str(ImmunizationLot, im.Lot)
	e.str(ImmunizationPrimary, im.Primary)
	e.origin(im.Origin)
	return e.fields()
}

// ImmunizationFromState reads an immunization.
func ImmunizationFromState(id string, st replica.State) Immunization {
	return Immunization{ID: id, Patient: st.String(ImmunizationPatient), Encounter: st.String(ImmunizationEncounter),
		Status: st.String(ImmunizationStatus), Vaccine: get[Concept](st, ImmunizationVaccine),
		Date: st.String(ImmunizationDate), Lot: st.String(ImmunizationLot), Primary: st.String(ImmunizationPrimary),
		Origin: originFromState(st)}
}

// Fields of a diagnostic report.
const (
	ReportPatient    = FieldPatient
	ReportEncounter  = "encounter"
	ReportStatus     = "status"
	ReportCategory   = "category"
	ReportCode       = "code"
	ReportEffective  = "effective"
	ReportIssued     = "issued"
	ReportResults    = "results" // result record ids
	ReportConclusion = "conclusion"
	ReportForms      = "forms"
)

// Form is a report's text as presented (presentedForm): its content type
// and its bytes, here text only.
type Form struct {
	ContentType string `json:"contentType"`
	Text        string `json:"text"`
}

// Report is a diagnostic report: a grouping of results (a lipid panel) or
// a report's text (a history and physical note).
type Report struct {
	ID         string
	Patient    string
	Encounter  string
	Status     string
	Category   []Concept
	Code       Concept
	Effective  string
	Issued     string
	Results    []string // ids of the result records it groups
	Conclusion string
	Forms      []Form
	Origin
}

// Fields are the fields of a diagnostic report.
func (r Report) Fields() (replica.Fields, error) {
	e := enc{ReportPatient: r.Patient, ReportStatus: r.Status, ReportCode: r.Code}
	e.str(ReportEncounter, r.Encounter)
	e.str(ReportEffective, r.Effective)
	e.str(ReportIssued, r.Issued)
	e.str(ReportConclusion, r.Conclusion)
	if len(r.Category) > 0 {
		e[ReportCategory] = r.Category
	}
	if len(r.Results) > 0 {
		e[ReportResults] = r.Results
	}
	if len(r.Forms) > 0 {
		e[ReportForms] = r.Forms
	}
	e.origin(r.Origin)
	return e.fields()
}

// ReportFromState reads a diagnostic report.
func ReportFromState(id string, st replica.State) Report {
	return Report{ID: id, Patient: st.String(ReportPatient), Encounter: st.String(ReportEncounter),
		Status: st.String(ReportStatus), Category: get[[]Concept](st, ReportCategory), Code: get[Concept](st, ReportCode),
		Effective: st.String(ReportEffective), Issued: st.String(ReportIssued), Results: get[[]string](st, ReportResults),
		Conclusion: st.String(ReportConclusion), Forms: get[[]Form](st, ReportForms), Origin: originFromState(st)}
}

// Field of problems, allergies and recorded medications that keeps the
// codes they were imported with (SNOMED CT, ICD-10, RxNorm).
const FieldCodes = "codes"

// CodesFromState reads the codes a record was imported with.
func CodesFromState(st replica.State) []Coding { return get[[]Coding](st, FieldCodes) }

// Fields of a recorded medication about the prescribing checks.
const (
	// MedicationUnchecked is true when the drug could not be matched to the
	// formulary: the prescribing checks cannot see it ("not checked").
	MedicationUnchecked = "unchecked"
	// MedicationFormulary is the formulary's name for the drug when it
	// could be matched.
	MedicationFormulary = "formulary"
)

// FHIRTime reads a FHIR instant, dateTime or date as it was written
// ("2009-10-26T06:44:52-04:00", "2009-10-26", "2009-10", "2009"); false
// when it is none of them.
func FHIRTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Fields an imported encounter keeps beside its own (chart.go): the
// visit's types and class, as the other system wrote them.
const (
	EncounterTypes = "types" // []Concept
	EncounterClass = "class" // Coding
)

// EncounterDetails is what an imported encounter keeps beside its own
// fields.
type EncounterDetails struct {
	Types []Concept
	Class Coding
}

// EncounterDetailsFromState reads them.
func EncounterDetailsFromState(st replica.State) EncounterDetails {
	return EncounterDetails{Types: get[[]Concept](st, EncounterTypes), Class: get[Coding](st, EncounterClass)}
}
