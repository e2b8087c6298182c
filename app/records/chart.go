package records

import (
	"encoding/json"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
)

// The chart's structured records (clinical scope). Problems, allergies
// and medications are lists a physician keeps up to date (their status
// changes); vitals and encounters are written once. Each names its
// patient (FieldPatient) and, when imported, its Origin.

// Fields a FHIR import writes beside a record.
const (
	OriginAttribution = "attribution"
	OriginImported    = "imported" // unix ms
)

// Origin says where a record imported from another clinic (a FHIR
// transfer) came from, so the chart does not present the importing
// physician as its author. It is zero on the clinic's own records.
type Origin struct {
	// Attribution names who wrote the record at the other clinic, as the
	// transfer named them ("Dr Maria Rossi"); empty when it named nobody.
	Attribution string
	// Imported is when the record was imported here; zero on records
	// imported before the date was kept.
	Imported time.Time
}

// IsImported reports whether the record came from another clinic.
func (o Origin) IsImported() bool { return o.Attribution != "" || !o.Imported.IsZero() }

func originFromState(st replica.State) Origin {
	return Origin{Attribution: st.String(OriginAttribution), Imported: msTime(st, OriginImported)}
}

func (e enc) origin(o Origin) {
	e.str(OriginAttribution, o.Attribution)
	e.ms(OriginImported, o.Imported)
}

// Fields of a problem.
const (
	ProblemPatient  = FieldPatient
	ProblemName     = "name"
	ProblemStatus   = "status"
	ProblemOnset    = "onset"
	ProblemResolved = "resolved"
	ProblemNoted    = "noted" // unix ms
)

// Problem is one entry of a patient's problem list.
type Problem struct {
	ID       string
	Patient  string
	Name     string // "Type 2 diabetes"
	Status   string // active or resolved
	Onset    string // YYYY-MM-DD, YYYY-MM or YYYY; may be empty
	Resolved string // YYYY-MM-DD when resolved
	Noted    time.Time
	Codes    []Coding // as imported (SNOMED CT, ICD-10 ...; FieldCodes); none for a problem written here
	Origin
}

// Fields are the fields of a problem.
func (p Problem) Fields() (replica.Fields, error) {
	e := enc{ProblemPatient: p.Patient, ProblemName: p.Name, ProblemStatus: p.Status, ProblemOnset: p.Onset,
		ProblemResolved: p.Resolved}
	if len(p.Codes) > 0 {
		e[FieldCodes] = p.Codes
	}
	e.ms(ProblemNoted, p.Noted)
	e.origin(p.Origin)
	return e.fields()
}

// ProblemFromState reads a problem.
func ProblemFromState(id string, st replica.State) Problem {
	return Problem{ID: id, Patient: st.String(ProblemPatient), Name: st.String(ProblemName), Status: st.String(ProblemStatus),
		Onset: st.String(ProblemOnset), Resolved: st.String(ProblemResolved), Noted: msTime(st, ProblemNoted),
		Codes: CodesFromState(st), Origin: originFromState(st)}
}

// Fields of an allergy.
const (
	AllergyPatient   = FieldPatient
	AllergySubstance = "substance"
	AllergyReaction  = "reaction"
	AllergySeverity  = "severity"
	AllergyStatus    = "status"
	AllergyNoted     = "noted" // unix ms
)

// Allergy is one recorded allergy or intolerance.
type Allergy struct {
	ID        string
	Patient   string
	Substance string // a drug, a drug class ("penicillin") or anything else ("latex")
	Reaction  string // "rash", "anaphylaxis"
	Severity  string // mild, moderate, severe
	Status    string // active or entered-in-error
	Noted     time.Time
	// Codes: as imported, or SNOMED CT 716186003 on a physician's "asked:
	// no known allergies" (NoKnownAllergy).
	Codes []Coding
	Origin
}

// SNOMED CT's system, and its concept a physician records once she asked
// the patient and the patient knows of no allergy (FHIR's
// AllergyIntolerance for "no known allergy", verification confirmed).
const (
	SNOMED             = "http://snomed.info/sct"
	NoKnownAllergyCode = "716186003"
	NoKnownAllergyText = "No known allergy"
)

// NoKnownAllergy is the coding of "asked: no known allergies".
var NoKnownAllergy = Coding{System: SNOMED, Code: NoKnownAllergyCode, Display: NoKnownAllergyText}

// The narrower statements FHIR R4's allergyintolerance-code value set
// lists beside 716186003 (Epic, Synthea and others send them): the
// patient was asked about drugs, food or the environment, and knows of
// none of that class.
const (
	NoKnownDrugAllergyCode          = "409137002"
	NoKnownFoodAllergyCode          = "429625007"
	NoKnownEnvironmentalAllergyCode = "428607008"
)

// NoneKnownOf names what each "no known …" concept says was asked about:
// "" every allergy, else a class ("drug", "food", "environmental").
var NoneKnownOf = map[string]string{
	NoKnownAllergyCode:              "",
	NoKnownDrugAllergyCode:          "drug",
	NoKnownFoodAllergyCode:          "food",
	NoKnownEnvironmentalAllergyCode: "environmental",
}

// NoneKnownCoding is the SNOMED CT coding of "no known allergy" of class
// of ("" every allergy; NoneKnownOf).
func NoneKnownCoding(of string) Coding {
	for code, o := range NoneKnownOf {
		if o == of && of != "" {
			return Coding{System: SNOMED, Code: code, Display: "No known " + of + " allergy"}
		}
	}
	return NoKnownAllergy
}

// NoneKnown reports whether the entry is not an allergy but a physician's
// "asked: no known allergies" (coded SNOMED CT 716186003, or one of the
// narrower NoneKnownOf, as written here or imported). Every coding must
// say so: an entry that also carries another code (a substance) is an
// allergy, never hidden from the prescribing checks by a code beside it.
func (a Allergy) NoneKnown() bool {
	for _, c := range a.Codes {
		if _, ok := NoneKnownOf[c.Code]; !ok || (c.System != SNOMED && c.System != "") {
			return false
		}
	}
	return len(a.Codes) > 0
}

// NoneKnownClass is what a NoneKnown entry says was asked about: ""
// every allergy (716186003 among its codings), else the class of its
// first coding ("drug": 409137002).
func (a Allergy) NoneKnownClass() string {
	if !a.NoneKnown() {
		return ""
	}
	for _, c := range a.Codes {
		if c.Code == NoKnownAllergyCode {
			return ""
		}
	}
	return NoneKnownOf[a.Codes[0].Code]
}

// Fields are the fields of an allergy.
func (a Allergy) Fields() (replica.Fields, error) {
	e := enc{AllergyPatient: a.Patient, AllergySubstance: a.Substance, AllergyReaction: a.Reaction,
		AllergySeverity: a.Severity, AllergyStatus: a.Status}
	if len(a.Codes) > 0 {
		e[FieldCodes] = a.Codes
	}
	e.ms(AllergyNoted, a.Noted)
	e.origin(a.Origin)
	return e.fields()
}

// AllergyFromState reads an allergy.
func AllergyFromState(id string, st replica.State) Allergy {
	return Allergy{ID: id, Patient: st.String(AllergyPatient), Substance: st.String(AllergySubstance),
		Reaction: st.String(AllergyReaction), Severity: st.String(AllergySeverity), Status: st.String(AllergyStatus),
		Noted: msTime(st, AllergyNoted), Codes: CodesFromState(st), Origin: originFromState(st)}
}

// Fields of a recorded medication; the Request* fields keep what an
// imported FHIR MedicationRequest said.
const (
	MedicationPatient   = FieldPatient
	MedicationName      = "name"
	MedicationDose      = "dose"
	MedicationSince     = "since"
	MedicationStatus    = "status"
	MedicationStopped   = "stopped" // YYYY-MM-DD
	MedicationEncounter = "encounter"

	RequestIntent       = "intent"
	RequestStatus       = "rx_status"
	RequestAuthored     = "authored"
	RequestStatusReason = "status_reason"
	RequestDosage       = "dosage"   // FHIR JSON
	RequestDispense     = "dispense" // FHIR JSON
	RequestNotes        = "notes"    // FHIR JSON
)

// Medication is a drug the patient takes. Recorded medications are those
// started elsewhere; prescriptions of this clinic that are still running
// appear in the chart's list too, with Prescription set.
type Medication struct {
	ID           string
	Patient      string
	Name         string // "amlodipine 5 mg tablet"
	Dose         string // "1 tablet once daily"
	Since        string // YYYY-MM-DD, may be empty
	Status       string
	Stopped      string // YYYY-MM-DD when stopped, may be empty
	Encounter    string // the visit it was recorded in, may be empty
	Prescription string // id of the prescription it comes from, if any (not stored)
	// Request is what an imported MedicationRequest said beyond these
	// fields, so that an export gives it back; nil on other records.
	Request *MedicationRequest
	Origin
}

// MedicationRequest is a FHIR MedicationRequest's own elements, kept as
// they were imported.
type MedicationRequest struct {
	Intent, Status, Authored, StatusReason string
	// Dosage, Dispense and Notes are the FHIR JSON of dosageInstruction,
	// dispenseRequest and note; nil when absent.
	Dosage, Dispense, Notes json.RawMessage
}

// Fields are the fields of a recorded medication.
func (m Medication) Fields() (replica.Fields, error) {
	e := enc{MedicationPatient: m.Patient, MedicationName: m.Name, MedicationDose: m.Dose, MedicationSince: m.Since,
		MedicationStatus: m.Status}
	e.str(MedicationStopped, m.Stopped)
	e.str(MedicationEncounter, m.Encounter)
	if rq := m.Request; rq != nil {
		e[RequestIntent], e[RequestStatus], e[RequestAuthored], e[RequestStatusReason] = rq.Intent, rq.Status, rq.Authored, rq.StatusReason
		e[RequestDosage], e[RequestDispense], e[RequestNotes] = rawOrNull(rq.Dosage), rawOrNull(rq.Dispense), rawOrNull(rq.Notes)
	}
	e.origin(m.Origin)
	return e.fields()
}

// MedicationFromState reads a recorded medication.
func MedicationFromState(id string, st replica.State) Medication {
	m := Medication{ID: id, Patient: st.String(MedicationPatient), Name: st.String(MedicationName),
		Dose: st.String(MedicationDose), Since: st.String(MedicationSince), Status: st.String(MedicationStatus),
		Stopped: st.String(MedicationStopped), Encounter: st.String(MedicationEncounter), Origin: originFromState(st)}
	if intent := st.String(RequestIntent); intent != "" {
		m.Request = &MedicationRequest{Intent: intent, Status: st.String(RequestStatus), Authored: st.String(RequestAuthored),
			StatusReason: st.String(RequestStatusReason), Dosage: raw(st, RequestDosage), Dispense: raw(st, RequestDispense),
			Notes: raw(st, RequestNotes)}
	}
	return m
}

// Fields of a set of vitals.
const (
	VitalsPatient    = FieldPatient
	VitalsEncounter  = "encounter"
	VitalsTime       = "time" // unix ms
	VitalsSystolic   = "systolic"
	VitalsDiastolic  = "diastolic"
	VitalsPulse      = "pulse"
	VitalsTemp       = "temp"
	VitalsResp       = "resp"
	VitalsSpO2       = "spo2"
	VitalsWeight     = "weight"
	VitalsHeight     = "height"
	VitalsRecordedBy = "recorded_by"
)

// Vitals is one set of measurements. A zero value means "not measured".
type Vitals struct {
	ID        string
	Patient   string
	Encounter string
	Time      time.Time // when measured
	Systolic  int       // mmHg
	Diastolic int       // mmHg
	Pulse     int       // beats per minute
	TempC     float64   // °C
	Resp      int       // breaths per minute
	SpO2      int       // %
	WeightKg  float64
	HeightCm  float64
	// BMI is computed (kg/m²) from the weight and the height of this set,
	// or the latest height measured before; 0 when either is missing. It
	// is not stored.
	BMI        float64
	RecordedBy string // fingerprint of who recorded (or imported) the set
	Origin
}

// Fields are the fields of a set of vitals.
func (v Vitals) Fields() (replica.Fields, error) {
	e := enc{VitalsPatient: v.Patient, VitalsEncounter: v.Encounter, VitalsSystolic: v.Systolic, VitalsDiastolic: v.Diastolic,
		VitalsPulse: v.Pulse, VitalsTemp: v.TempC, VitalsResp: v.Resp, VitalsSpO2: v.SpO2, VitalsWeight: v.WeightKg,
		VitalsHeight: v.HeightCm, VitalsRecordedBy: v.RecordedBy}
	e.ms(VitalsTime, v.Time)
	e.origin(v.Origin)
	return e.fields()
}

// VitalsFromState reads a set of vitals (BMI is left to the chart).
func VitalsFromState(id string, st replica.State) Vitals {
	return Vitals{ID: id, Patient: st.String(VitalsPatient), Encounter: st.String(VitalsEncounter), Time: msTime(st, VitalsTime),
		Systolic: get[int](st, VitalsSystolic), Diastolic: get[int](st, VitalsDiastolic), Pulse: get[int](st, VitalsPulse),
		TempC: get[float64](st, VitalsTemp), Resp: get[int](st, VitalsResp), SpO2: get[int](st, VitalsSpO2),
		WeightKg: get[float64](st, VitalsWeight), HeightCm: get[float64](st, VitalsHeight),
		RecordedBy: st.String(VitalsRecordedBy), Origin: originFromState(st)}
}

// Fields of an encounter.
const (
	EncounterPatient     = FieldPatient
	EncounterAppointment = "appointment"
	EncounterPhysician   = "physician"
	EncounterStart       = "start"    // unix ms
	EncounterFinished    = "finished" // unix ms, when the physician finished the visit
	EncounterReason      = "reason"
)

// Encounter is one visit: it starts when a physician opens an appointment.
type Encounter struct {
	ID          string
	Patient     string
	Appointment string
	Physician   string // fingerprint
	Start       time.Time
	End         time.Time // zero while the visit is open
	Reason      string
	Origin
}

// Fields are the fields of an encounter.
func (en Encounter) Fields() (replica.Fields, error) {
	e := enc{EncounterPatient: en.Patient, EncounterAppointment: en.Appointment, EncounterPhysician: en.Physician,
		EncounterReason: en.Reason}
	e.ms(EncounterStart, en.Start)
	e.ms(EncounterFinished, en.End)
	e.origin(en.Origin)
	return e.fields()
}

// EncounterFromState reads an encounter.
func EncounterFromState(id string, st replica.State) Encounter {
	return Encounter{ID: id, Patient: st.String(EncounterPatient), Appointment: st.String(EncounterAppointment),
		Physician: st.String(EncounterPhysician), Start: msTime(st, EncounterStart), End: msTime(st, EncounterFinished), Reason: st.String(EncounterReason),
		Origin: originFromState(st)}
}
