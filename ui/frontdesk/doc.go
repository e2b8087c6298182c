// Package frontdesk holds the receptionist's screens: Today (the day's
// patients across the clinic with check-in, late and no-show, and counts),
// Patients (search as you type, registration with inline checks and a
// likely-duplicate warning that links to the existing record, editing with
// the record's history) and Appointments (several physicians' days side by
// side with free and taken slots; book with a reason, repeat weekly,
// reschedule, cancel with a reason, check in, no-show, overbook on
// purpose, and conflicts from two desks shown, never hidden). An open
// record exports as FHIR or is handed to the patient as their own copy
// on IPFS; a transfer is imported from a FHIR bundle.
//
// Every screen declares what it consumes through Desk: Session (the few
// reads of *app.Session itself), Bookings (of the session's front desk,
// app/frontdesk, found with kit.FrontDeskOf) and kit.Transfers (of its
// interop service, app/interop), and is wired into the shell by
// ui/wire_frontdesk.go. It must not import package ui (an import cycle),
// reach clinical data, or touch SQL, keys or the network: the use cases
// of app and app/frontdesk do, off the UI goroutine, and their results
// come back through kit.OnUI.
package frontdesk
