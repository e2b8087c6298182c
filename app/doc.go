// Package app holds the clinic's use cases: creating a clinic, logging in,
// tokens and enrollment, grants, revocation, patients, appointments, charts.
// The UI and the headless commands call it; it calls roles, crypto, store
// and the replica, and reads and writes records through their typed form
// in app/records.
//
// It must not import Fyne or draw anything, and it must not let plaintext
// patient data reach disk or the network.
package app
