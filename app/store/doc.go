// Package store keeps one workstation's data in SQLite (WAL): envelopes and
// each device's chain, the current state of every entity, blind-index
// tokens, the outbox and sealed local secrets, with embedded numbered
// migrations.
//
// It stores only bytes sealed elsewhere and identifiers that name nobody; it
// must not hold keys, decrypt, or store anything that identifies a patient
// or a staff member in clear.
package store
