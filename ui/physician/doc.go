// Package physician holds the physician's screens: the calendar (day and
// week of their own appointments), patient charts (problems, allergies,
// medications, the timeline of signed SOAP notes, vitals with trend
// charts) and e-prescriptions (formulary picker, allergy and interaction
// warnings with override reasons, signing, printing that keeps no copy
// and Save as PDF… (print.go), cancel and renew), the colleagues a
// physician confirms in person before a newcomer reads charts
// (colleagues.go, with the note Calendar and Patients show meanwhile), and
// the ways records leave and enter: the calendar as iCalendar (busy only
// unless the physician chooses more), a chart as FHIR or as the patient's
// own copy on IPFS, and a transfer imported from a FHIR bundle.
//
// It declares the narrow interface it consumes (Clinic: Session, a subset
// of *app.Session's methods, and Interop, of the session's interop service
// from app/interop) and builds Fyne objects from it. It must not import
// package ui (the shell imports it), and it never touches SQL, keys or the
// network: every read and write goes through Clinic, off the UI goroutine,
// and widgets are updated through kit.OnUI.
package physician
