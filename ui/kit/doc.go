// Package kit holds the small widgets every role's screens share: a
// wrapper that keeps a change-feed subscription open while its screen is
// drawn, a few label styles, and the dialogs that move records in and out
// (save an export, import a FHIR transfer, hand a patient their own copy),
// with the file dialogs replaceable in tests (Files). It keeps
// ui/frontdesk, ui/physician, ui/admin and ui/chat from each growing their
// own copy.
//
// It must not know about any role's screens or call use cases itself: the
// screens pass the use case in as a function.
package kit
