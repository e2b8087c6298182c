// Package interop is the clinic's edge with other programs and with
// patients: what leaves or enters a workstation in a standard form, and
// only by an explicit act of a staff member.
//
//   - FHIR R4 JSON: a patient's record or the whole clinic as a Bundle
//     (ExportFHIR, PatientBundle), and a transfer from another clinic or
//     system (ImportFHIR; PreviewFHIR says first what it would keep and
//     leave out, ImportFHIRProgress reports its progress). A transaction,
//     batch, collection, searchset or document bundle is read whole: what
//     Medihaven keeps is written all or nothing (a broken kept entry gets a
//     *BundleError naming the entry, its type and the element), what it
//     does not keep (claims, billing, care plans...) is counted and left
//     out. References resolve inside the bundle (urn:uuid, Type/id, and
//     conditional ones by identifier); a literal reference to nothing is
//     refused wherever it stands. Results, procedures, immunizations and
//     reports are kept as they came (codes with their system, decimals as
//     written: OutsideRecords reads them for the chart), so export, import
//     and export again give the same clinical content.
//   - iCalendar (RFC 5545): a physician's calendar, weekly series as rules,
//     in the clinic's zone, busy only unless the physician asks for more
//     (ExportCalendarICS; the format is app/interop/ical).
//   - A patient's own copy: the FHIR bundle and a readable PDF, each an
//     OpenPGP message to a passphrase printed on the handout, in a folder
//     on the clinic's IPFS node (HandOutPatientCopy).
//   - The staff directory's public keys, armored for GnuPG
//     (ExportStaffKeys).
//
// A Service is built from a logged-in session (New(s.Core()), or Of from
// the UI) and checks the role policy as the session's own use cases do.
//
// It must not touch SQL or the clinic's keys: records are read and
// written through app.Core and the replica it hands out, so every write is
// a signed, sealed change like any other (the patient copy's passphrase is
// made here, printed once and kept nowhere). Every export of patient data
// and every import is audited, and when the audit record cannot be written
// nothing leaves or enters. Nothing it writes for the outside is ever read
// back by sync. Package app must not import it.
package interop
