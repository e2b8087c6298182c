// Package ical writes a physician's appointments as iCalendar (RFC 5545):
// weekly series as one event with a rule (read back from the series'
// appointments), times in the clinic's zone with a VTIMEZONE built from
// Go's zone data, and event text at the chosen Detail (busy only, initials
// and MRN, or name and reason; never clinical detail).
//
// It is the format only: package interop chooses the appointments, checks
// who may export them and audits the export before calling Write. It must
// not read or write records, the replica or the audit log, and must not
// put anything in an event beyond what its Detail allows.
package ical
