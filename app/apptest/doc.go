// Package apptest builds a whole clinic in one test process, for the
// tests of the domain packages beside app (app/interop first): an
// administrator, a receptionist and two physicians, each on a workstation
// profile of their own in a temporary folder, admitted and granted
// through app.SyncLocal, with their keys in memory (one keystore per
// profile, as the OS keyring would keep them) and a settable clock.
//
// It is for tests only: nothing outside a _test.go file imports it.
package apptest
