package store

import (
	"context"
	"fmt"
)

// Bulk writes (issue 17). A newcomer's catch-up writes hundreds of
// thousands of envelopes in transactions of thousands, and each
// transaction changes pages all over the random-key indexes (envelope
// ids, records' ids, bindings). SQLite checkpoints the write-ahead log at
// the commit that leaves it holding more than 1,000 pages (its default),
// so every commit of a catch-up copied the pages it changed into the
// database file, and the next transaction changed most of the same index
// pages again: each was written twice a transaction, to the log and to
// the file. During bulk writes the log grows to bulkCheckpointPages
// before a commit checkpoints it. benchscale's newcomer at 100,000
// patients (200,012 envelopes, its 40 Applies of 5,000 back to back, the
// last checkpoint counted): 2.4 writes (12.5 KB) and 1.7 reads (14.2 KB)
// an envelope -> 2.0 (9.6 KB) and 1.3 (11.3 KB), peak RSS unchanged. A
// larger writer's cache during bulk writes (64 MiB instead of 32) read
// 3.4 KB an envelope less from the file (served from the system's cache)
// for 35-60 MB more peak RSS: not kept.
const (
	// walCheckpointPages is SQLite's default: a commit checkpoints the
	// log once it holds this many pages.
	walCheckpointPages = 1000
	// bulkCheckpointPages lets the log grow to this many pages during
	// bulk writes (256 MiB of 8 KiB pages) before a commit checkpoints.
	bulkCheckpointPages = 32 << 10
	// walSizeLimit is what the log's file is cut back to when a
	// checkpoint has emptied it, so a bulk's log does not stay on disk.
	walSizeLimit = 64 << 20
)

// Bulk readies the writer for the bulk writes of a long catch-up: fewer
// checkpoints, until EndBulk. It is called in an UpdateRefetchable's
// transaction (a View's fails with ErrReadOnly) and holds for the
// writer's connection, for the transactions after it too. Readers see
// what they saw. Refetchable commits reach the disk only at a checkpoint
// or the next Update's commit, so a power cut (not a crash of the app)
// during bulk writes can roll back up to bulkCheckpointPages of committed
// transactions where it could roll back up to walCheckpointPages before:
// never a half-written one, and what a catch-up loses so is fetched
// again. A commit that is not bulk after EndBulk checkpoints what the
// bulk left (a save right after a catch-up waits for that copy).
func (tx *Tx) Bulk(ctx context.Context) error {
	if tx.view {
		return ErrReadOnly
	}
	_, err := tx.tx.ExecContext(ctx, checkpointAt(bulkCheckpointPages))
	return wrap("bulk writes", err)
}

// EndBulk gives the writer back the setting Bulk changed. What the log
// holds is checkpointed by the next commit (or Checkpoint), unless that
// commit is of bulk writes too (the next of a catch-up's Applies, which
// asks for Bulk again first): the pages a catch-up changes in each of its
// transactions are copied to the file once, not at every commit.
func (db *DB) EndBulk(ctx context.Context) error {
	_, err := db.writer.ExecContext(ctx, checkpointAt(walCheckpointPages))
	return wrap("end bulk writes", err)
}

// Checkpoint copies what the write-ahead log holds into the database
// file, without waiting for readers (what they still read is copied by a
// later checkpoint).
func (db *DB) Checkpoint(ctx context.Context) error {
	_, err := db.writer.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	return wrap("checkpoint", err)
}

// checkpointAt sets the log's size (pages) at which a commit checkpoints
// it.
func checkpointAt(pages int) string {
	return fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", pages)
}
