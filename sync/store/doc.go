// Package store keeps one workstation profile's data in SQLite: every
// envelope this workstation knows with each device's chain, the current
// state of every entity, blind-index tokens, and local secrets sealed by
// the device key. (What waits for the network is the own chain above the
// last seq pushed: sync/netsync.)
//
// The file is in WAL mode with one writer connection and a pool of
// read-only connections: Update runs one immediate write transaction at a
// time, View runs read-only transactions that never wait for it. The
// schema is a set of embedded, numbered scripts (migrations/0001_init.sql,
// ...) applied in order by Open, one transaction each, the version kept in
// PRAGMA user_version. Driver errors are mapped here, at the boundary:
// callers match ErrNotFound, ErrFork and the other sentinels with
// errors.Is and never see SQL.
//
// Built for a clinic-decade (issue 17): a new file has 8 KiB pages; every
// record has a number, and its state, binding and index postings are kept
// by that number, with kinds, scopes and devices as numbered names
// (names.go); blind-index tokens are kept as their first 64 bits
// (index.go), lookups start from the rarest token and come a page at a
// time; pending envelopes are
// found by partial indexes (settle.go: the fronts, a device's pending run,
// the sealed of a scope), never by reading every one of them; a long
// catch-up's transactions checkpoint the write-ahead log less often
// (bulk.go: Bulk, EndBulk, Checkpoint).
//
// It stores only bytes sealed elsewhere and identifiers that name nobody
// (random hex ids, key fingerprints, scope names, token hashes). It must
// not hold keys, decrypt, verify signatures, decide merges, or store
// anything that identifies a patient or a staff member in clear; search
// goes through blind-index tokens computed by holders of the scope's key,
// never through LIKE on names.
package store
