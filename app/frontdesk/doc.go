// Package frontdesk is the clinic's front desk: registering patients and
// keeping their demographics (with likely duplicates found before a second
// record is made, and every change kept as history), booking, moving,
// cancelling and checking in appointments under the booking rules (working
// hours, days off, no overlap unless overbooked on purpose), recurring
// series booked or refused whole, the physicians' working hours, and the
// day's list with each patient's state.
//
// A Service is built from a logged-in session (New(s.Core()), or Of from
// the UI) and checks the role policy as the session's own use cases do.
// Reading a patient (Patient, SearchPatients) and the clinic's time zone
// are the core's (package app), as the chart and interop read them too.
//
// It must not touch SQL or the clinic's keys: records are read and written
// through app.Core and the replica it hands out, so every write is a
// signed, sealed change of the front-desk scope like any other, and the
// rules a workstation applies to its own bookings are judged again where
// they meet (two desks booking one slot unseen are both kept and shown as
// a conflict). It shows nothing: the screens are ui/frontdesk. Package
// app must not import it.
package frontdesk
