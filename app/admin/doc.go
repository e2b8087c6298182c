// Package admin is what an administrator reads to run the clinic's
// membership and to answer for its records: the audit log searched,
// filtered and exported (CSV, FHIR R4 AuditEvent), the check of every
// device's chain, and the staff directory with who admitted whom and when
// each workstation was last heard of.
//
// A Service is built from a logged-in session (New(s.Core()), or Of from
// the UI) and checks the role policy as the session's own use cases do.
//
// It must not hold or handle keys, and it writes nothing: the audit drop
// box (app.Core.AuditInBatch, Session.Audit) and reading the sealed audit
// records (Session.AuditLog, which needs the audit key) stay in app, and
// so do registration tokens, admission, revocation and the security
// settings (the login-time lockout's own record). Recovery, which handles
// key shares, is app/recovery's. Package app must not import it.
package admin
