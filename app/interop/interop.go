package interop

import (
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/interop/ical"
)

// Service is the interoperability of one logged-in session: its exports
// and imports in standard formats. Each method checks the role policy as
// the session's own use cases do.
type Service struct {
	c app.Core
}

// New returns the interoperability of a session (s.Core()).
func New(c app.Core) *Service { return &Service{c: c} }

// Of is the interoperability of s when s is an *app.Session or holds one
// embedded (as the GUI's synced session does); the UI, which sees a
// session only through interfaces, finds the service this way.
func Of(s any) (*Service, bool) {
	c, ok := s.(interface{ Core() app.Core })
	if !ok {
		return nil, false
	}
	return New(c.Core()), true
}

// FHIRExport says what an export of a FHIR R4 Bundle held.
type FHIRExport struct {
	Resources map[string]int // resource type → how many
	Total     int
	// Notes are plain sentences about what was left out (a signed record
	// whose signature does not check out).
	Notes []string
}

// FHIRImport says what an import of a FHIR R4 Bundle wrote (or, from
// PreviewFHIR, would write).
type FHIRImport struct {
	Resources map[string]int // resource type → how many were written
	Total     int
	// LeftOut counts the entries Medihaven does not keep, by resource type
	// ("Claim", "Observation (survey)"); LeftOutTotal adds them up.
	LeftOut      map[string]int
	LeftOutTotal int
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

// ICSDetail is how much an exported calendar event says about the visit
// (ical.Detail).
type ICSDetail = ical.Detail

const (
	// ICSBusy says only "Appointment": no patient, no reason.
	ICSBusy = ical.Busy
	// ICSInitials adds the patient's initials and MRN.
	ICSInitials = ical.Initials
	// ICSFull adds the patient's name and the visit's reason.
	ICSFull = ical.Full
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

// desk is the front desk of the same session, for the appointments and
// the duplicate check an export or import shares with it.
func (s *Service) desk() *frontdesk.Service { return frontdesk.New(s.c) }
