package app

import (
	"context"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// The clinic core as the domain packages beside app see it (issue 18;
// app/interop is the first). A domain package gets a session's Core and
// finds here, on top of the session's own use cases, what it needs to read
// and write records itself: the replica once the role policy allows an
// action, the clock, the clinic's zone, the reads whose audit is the
// caller's, the registration and signed records as the clinic's own code
// makes them, and an audit record that joins the batch it records. The
// typed records and their fields are app/records. Nothing here is for the
// UI.

// Core is a logged-in session as a domain package uses it: the session's
// use cases (Patient, SearchPatients, Audit...) and the methods below.
type Core struct{ *Session }

// Core returns the session as domain packages use it, e.g.
// interop.New(s.Core()).
func (s *Session) Core() Core { return Core{s} }

// ReplicaFor returns the replica when the staff member may do a: the
// session is unlocked, their access is not revoked, their role allows a
// and this workstation holds the key of the scope a needs.
func (c Core) ReplicaFor(a roles.Action) (*replica.Replica, error) { return c.can(a) }

// Now is the session's clock.
func (c Core) Now() time.Time { return c.env.Now() }

// Zone is the clinic's time zone, read with r whatever the role (the
// front desk sets it; this computer's zone until it does).
func (c Core) Zone(ctx context.Context, r *replica.Replica) *time.Location {
	return c.clinicZone(ctx, r)
}

// CheckPhysician returns the directory entry of fingerprint fp when it is
// an active physician's, else an ErrInvalidInput.
func (c Core) CheckPhysician(r *replica.Replica, fp string) (replica.Member, error) {
	return c.checkPhysician(r, fp)
}

// AuditInBatch adds an audit record to batch b, so that it is written
// with what it records or not at all.
func (c Core) AuditInBatch(r *replica.Replica, b *replica.Batch, rec AuditRecord) error {
	return c.auditEvent(r, b, rec)
}

// AuditEventFHIR is an audit entry as a FHIR R4 AuditEvent, as the audit
// log's own FHIR export writes it.
func (c Core) AuditEventFHIR(e AuditEntry) fhir.AuditEvent { return c.auditEventFHIR(e) }

// RegisterInBatch adds the registration of a valid patient to batch b: a
// new record id, an MRN that is free and none of taken, registered at now.
func RegisterInBatch(ctx context.Context, r *replica.Replica, b *replica.Batch, p Patient, now time.Time, taken map[string]bool) (Patient, error) {
	return registerInto(ctx, r, b, p, now, taken)
}

// CheckDate accepts "", YYYY, YYYY-MM or YYYY-MM-DD not after now; what
// names the date in the error.
func CheckDate(what, date string, now time.Time) error { return checkDate(what, date, now) }

// MemberName is a staff member's name, or "staff" and the start of their
// fingerprint when the directory does not know them.
func MemberName(r *replica.Replica, fp string) string { return memberName(r, fp) }

// SpacedFingerprint groups a fingerprint in fours, as GnuPG shows it.
func SpacedFingerprint(fp string) string { return spacedFingerprint(fp) }

// PrintedDate writes a YYYY-MM-DD date as a printed page does ("2 Jan
// 2006"); other text is kept as it is.
func PrintedDate(ymd string) string { return printedDate(ymd) }

// Capitalise upper-cases the first letter.
func Capitalise(s string) string { return capitalise(s) }

// str points to a copy of v, for the optional fields of the FHIR models
// (the audit's FHIR export).
func str(v string) *string { return &v }
