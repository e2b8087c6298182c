// Package replica keeps a workstation's copy of the clinic's signed event
// log: it appends this device's events to its chain, applies other devices'
// envelopes idempotently and in any order with a deterministic merge, and
// keeps what it cannot decrypt as ciphertext.
//
// It must not know about screens or patients: it moves envelopes, checks
// signatures against the directory and hands decrypted payloads to the app.
package replica
