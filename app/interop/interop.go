package app

import (
	"errors"
	"time"
)

// This file fixes the shapes of the interoperability features (FHIR R4,
// iCalendar, a patient's own copy, staff public keys) so that the export
// and import code, the handout and the screens can grow side by side.

// errNotBuilt marks an interoperability feature whose code has not landed.
var errNotBuilt = errors.New("app: this export is not built yet")

// FHIRExport says what an export of a FHIR R4 Bundle held.
type FHIRExport struct {
	Resources map[string]int // resource type → how many
	Total     int
	// Notes are plain sentences about what was left out (a signed record
	// whose signature does not check out).
	Notes []string
}

// FHIRImport says what an import of a FHIR R4 Bundle wrote.
type FHIRImport struct {
	Resources map[string]int // resource type → how many were written
	Total     int
	// Notes are plain sentences for the person importing, e.g. that the
	// other clinic's practitioners were kept as names.
	Notes []string
}

// ICSOptions chooses what a physician's calendar export holds.
type ICSOptions struct {
	Physician string    // the physician's key fingerprint
	From, To  time.Time // the days exported, [From, To)
	// Detail is what each event's text says beyond "Appointment".
	Detail ICSDetail
}

// ICSDetail is how much an exported calendar event says about the visit.
type ICSDetail int

const (
	// ICSBusy says only "Appointment": no patient, no reason.
	ICSBusy ICSDetail = iota
	// ICSInitials adds the patient's initials and MRN.
	ICSInitials
	// ICSFull adds the patient's name and the visit's reason.
	ICSFull
)

// PatientCopy is a patient's own copy of their record, encrypted to a
// passphrase the app generated and put on IPFS, with the handout to print.
type PatientCopy struct {
	Patient    string // patient record id
	MRN        string
	CID        string // what the patient fetches from any IPFS node
	Passphrase string // shown once, printed on the handout, never stored
	Handout    []byte // the printable PDF handout
	Created    time.Time

	Clinic      string
	PatientName string // "Given Family", as the handout addresses them
	// Clinical is set when the copy holds the medical record; a front-desk
	// workstation's copy holds demographics and appointments only.
	Clinical    bool
	HandedOutBy string // the staff member's name
}
