// Package chart is a patient's medical record as a physician keeps it:
// the problem list, allergies, recorded medications, vitals, the visit's
// encounter, signed SOAP notes and their addenda, and the chart read that
// gathers them (with the clinic's prescriptions, which app/prescribing
// writes and the chart shows).
//
// Notes, addenda and prescriptions are signed records (signed.go): their
// canonical document is signed with the author's OpenPGP key and checked
// against the directory on every read, so a later event that rewrote one
// shows as unverified, never as a silent change. Corrections are addenda.
//
// A Service is built from a logged-in session (New(s.Core()), or Of from
// the UI) and checks the role policy as the session's own use cases do.
// Opening a chart is audited, and a chart whose read cannot be audited
// stays closed; ReadUnaudited is for callers that audit what they do with
// the chart themselves (an export, the checks of a prescription).
//
// It must not touch SQL or the clinic's keys: records are read and
// written through app.Core and the replica it hands out, so every write
// is a signed, sealed change of the clinical scope like any other. It
// shows nothing (the screens are ui/physician) and must not import
// app/prescribing, which builds on it. Package app must not import it.
package chart
