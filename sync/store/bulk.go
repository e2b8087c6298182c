package store

import (
	"context"
	"fmt"
)

// Bulk writes (issue 17). A newcomer's catch-up writes hundreds of
// thousands of envelopes in transactions of thousands, and each
// transaction changes pages all over the random-key indexes (envelope
// ids, records' ids, bindings). With the writer's usual settings, those
// pages did not fit its page cache (read again from the file) and every
// commit checkpointed the write-ahead log (SQLite's default, past 1,000
// pages), so a page changed by each transaction was written twice each
// time, to the log and to the file. benchscale's newcomer at 100,000
// patients (200,012 envelopes): 14.2 KB read and 12.5 KB written an
// envelope; with bulkCacheKiB and bulkCheckpointPages 6.9 and 9.1 KB,
// peak RSS 122 -> 157 MB.
const (
	// writerCacheKiB is the writer's page cache (writerParams).
	writerCacheKiB = 32 << 10
	// bulkCacheKiB is its page cache during bulk writes: at most this,
	// allocated as pages are read.
	bulkCacheKiB = 64 << 10
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

// Bulk readies the writer for the bulk writes of a long catch-up: a
// larger page cache and fewer checkpoints, until EndBulk. It is called
// in an Update's transaction (a View's fails with ErrReadOnly) and holds
// for the writer's connection, for the transactions after it too; nothing
// it changes is seen by a reader, and a commit is as durable as before.
func (tx *Tx) Bulk(ctx context.Context) error {
	if tx.view {
		return ErrReadOnly
	}
	_, err := tx.tx.ExecContext(ctx, writerSettings(bulkCacheKiB, bulkCheckpointPages))
	return wrap("bulk writes", err)
}

// EndBulk gives the writer back the settings Bulk changed. What the log
// holds is checkpointed by the next commit (or Checkpoint), unless that
// commit is of bulk writes too (the next of a catch-up's Applies, which
// asks for Bulk again first): the pages a catch-up changes in each of its
// transactions are copied to the file once, not at every commit.
func (db *DB) EndBulk(ctx context.Context) error {
	_, err := db.writer.ExecContext(ctx, writerSettings(writerCacheKiB, walCheckpointPages))
	return wrap("end bulk writes", err)
}

// Checkpoint copies what the write-ahead log holds into the database
// file, without waiting for readers (what they still read is copied by a
// later checkpoint).
func (db *DB) Checkpoint(ctx context.Context) error {
	_, err := db.writer.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	return wrap("checkpoint", err)
}

// writerSettings sets the writer's page cache (KiB) and the log's size
// (pages) at which a commit checkpoints it.
func writerSettings(cacheKiB, checkpointPages int) string {
	return fmt.Sprintf("PRAGMA cache_size = -%d; PRAGMA wal_autocheckpoint = %d", cacheKiB, checkpointPages)
}
