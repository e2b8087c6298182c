// Package replica keeps a workstation's copy of the clinic's signed event
// log: it appends this device's events to its chain, applies other devices'
// envelopes idempotently and in any order with a deterministic merge, and
// keeps what it cannot decrypt as ciphertext.
//
// Trust is on apply, not on append: any member may run modified software
// and sign whatever it likes, so every workstation checks every envelope by
// the same rules (rules.go) and reaches the same verdict whatever order the
// envelopes arrived in. A device belongs to the member whose directory
// entry names it, else to the author of its first event (its public key);
// a record's kind and scope are fixed by its winning claim
// and must be those of the roles package's kinds table, written by a role
// the table allows; Lamport clocks move only for verified envelopes and at
// most ClockWindow ahead; a revocation refuses what the revoked member wrote
// after it even when that arrived first, and rebuilds the records it
// touched. Of two directory entries citing one registration token, the
// one whose token was set first stands and the other member is not
// admitted (admission.go). A member counts as holding a key once it
// acknowledges it (KindKeyHeld), never because a grant header names it.
// An admitted workstation stores only a few events of a device no
// directory entry names, and marks it (OverBound) until one does
// (unnamed.go).
//
// It must not know about screens or patients: it moves envelopes, checks
// signatures against the directory and hands decrypted payloads to the app.
package replica
