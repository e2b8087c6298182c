package records

import (
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Fields of a patient record (front-desk scope). A registration writes
// every field but the former ids; an edit writes the fields it changed.
const (
	PatientMRN            = "mrn"
	PatientFamily         = "family"
	PatientGiven          = "given"
	PatientBirth          = "birth"
	PatientSex            = "sex"
	PatientPhone          = "phone"
	PatientEmail          = "email"
	PatientAddress        = "address"
	PatientInsurance      = "insurance"
	PatientEmergencyName  = "emergency_name"
	PatientEmergencyPhone = "emergency_phone"
	PatientConsent        = "consent"
	PatientConsentDate    = "consent_date"
	PatientRegistered     = "registered" // unix ms
	PatientFormerIDs      = "former_ids" // "system|value" of the record numbers another clinic gave (a FHIR import)
	// PatientMRNSeal proves the MRN the record's id is bound to (roles.Kind.Pin,
	// NewPatientID): written by the registration, since session 26.
	PatientMRNSeal = "mrn_seal"
)

// PatientEdits are the fields of a patient the front desk edits (not the
// MRN nor the registration date, which never change).
var PatientEdits = []string{PatientFamily, PatientGiven, PatientBirth, PatientSex, PatientPhone, PatientEmail,
	PatientAddress, PatientInsurance, PatientEmergencyName, PatientEmergencyPhone, PatientConsent, PatientConsentDate}

// The most former record numbers a FHIR import keeps of one patient, and
// their longest ("system|value", in characters): a Synthea patient has
// about five (medical record, SSN, driver's licence, passport, Synthea's
// id), their systems are URLs of some 50 characters and their values
// UUIDs (h-low27: before, a bundle's patient brought any number, up to the
// record's 1 MiB).
const (
	MaxFormerIDs   = 20
	MaxFormerIDLen = 256
)

// Patient is a patient's demographics (front-desk scope).
type Patient struct {
	ID     string
	MRN    string // medical record number, assigned at registration (MH and 7 digits)
	Family string
	Given  string
	Birth  string // YYYY-MM-DD
	Sex    string // female, male, other, unknown ("" reads as unknown)
	Phone  string
	Email  string

	Address        string
	Insurance      string // insurance id
	EmergencyName  string // emergency contact
	EmergencyPhone string
	// Consent to data sharing, and the day it was given (YYYY-MM-DD); the
	// day is set to today when consent is given without one.
	Consent     bool
	ConsentDate string
	Registered  time.Time
	// FormerIDs are the record numbers other clinics gave the patient, as
	// "system|value", kept from a FHIR import: at most MaxFormerIDs of at
	// most MaxFormerIDLen characters each.
	FormerIDs []string
	// MRNSeal is what proves the MRN its id is bound to (NewPatientID),
	// written with the registration.
	MRNSeal string
}

// NewPatientID gives p a new record id bound to its MRN (roles.NewPinnedID):
// every workstation refuses an event writing another MRN under it
// (session 26, h-mrn26). Its registration (Fields) writes the seal.
func NewPatientID(p Patient) Patient {
	p.ID, p.MRNSeal = roles.NewPinnedID(KindPatient, mustJSON(p.MRN))
	return p
}

// Name is the patient's name as lists show it: "Family, Given".
func (p Patient) Name() string {
	switch {
	case p.Family == "":
		return p.Given
	case p.Given == "":
		return p.Family
	}
	return p.Family + ", " + p.Given
}

// PatientFromState reads a patient record.
func PatientFromState(id string, st replica.State) Patient {
	return Patient{ID: id, MRN: st.String(PatientMRN), Family: st.String(PatientFamily), Given: st.String(PatientGiven),
		Birth: st.String(PatientBirth), Sex: st.String(PatientSex), Phone: st.String(PatientPhone),
		Email: st.String(PatientEmail), Address: st.String(PatientAddress), Insurance: st.String(PatientInsurance),
		EmergencyName: st.String(PatientEmergencyName), EmergencyPhone: st.String(PatientEmergencyPhone),
		Consent: get[bool](st, PatientConsent), ConsentDate: st.String(PatientConsentDate),
		Registered: msTime(st, PatientRegistered), FormerIDs: get[[]string](st, PatientFormerIDs)}
}

// Fields are the fields of a patient's registration.
func (p Patient) Fields() (replica.Fields, error) {
	e := enc{PatientFamily: p.Family, PatientGiven: p.Given, PatientBirth: p.Birth, PatientSex: p.Sex,
		PatientPhone: p.Phone, PatientEmail: p.Email, PatientAddress: p.Address, PatientInsurance: p.Insurance,
		PatientEmergencyName: p.EmergencyName, PatientEmergencyPhone: p.EmergencyPhone,
		PatientConsent: p.Consent, PatientConsentDate: p.ConsentDate}
	e.str(PatientMRN, p.MRN)
	e.str(PatientMRNSeal, p.MRNSeal)
	e.ms(PatientRegistered, p.Registered)
	if len(p.FormerIDs) > 0 {
		e[PatientFormerIDs] = p.FormerIDs
	}
	return e.fields()
}
