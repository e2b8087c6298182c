package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Bulk writes (issue 17). A newcomer's catch-up writes hundreds of
// thousands of envelopes in transactions of thousands, and each
// transaction changes pages all over the random-key indexes (envelope
// ids, records' ids, bindings). SQLite checkpoints the write-ahead log at
// the commit that leaves it holding more than 1,000 pages (its default),
// so every commit of a catch-up copied the pages it changed into the
// database file, and the next transaction changed most of the same index
// pages again: each was written twice a transaction, to the log and to
// the file. During bulk writes the writer's commits do not checkpoint:
// the log is copied behind the writer (behind, below), and a commit
// checkpoints only when the log reaches bulkCheckpointPages. benchscale's
// newcomer at 100,000 patients (200,012 envelopes, its 40 Applies of
// 5,000 back to back, the last checkpoint counted), session 7, a commit
// checkpointing at 32,768 pages: 2.4 writes (12.5 KB) and 1.7 reads (14.2
// KB) an envelope -> 2.0 (9.6 KB) and 1.3 (11.3 KB), peak RSS unchanged.
// A larger writer's cache during bulk writes (64 MiB instead of 32) read
// 3.4 KB an envelope less from the file (served from the system's cache)
// for 35-60 MB more peak RSS: not kept (session 11, 128 MiB: 0.7 reads
// an envelope instead of 1.3, peak RSS 118 -> 224 MB, no faster).
const (
	// walCheckpointPages is SQLite's default: a commit checkpoints the
	// log once it holds this many pages.
	walCheckpointPages = 1000
	// bulkCheckpointPages lets the log grow to this many pages during
	// bulk writes (512 MiB of 8 KiB pages) before a commit of the writer
	// checkpoints it itself: a ceiling, reached only when the checkpoints
	// made behind the writer (behind) do not let the log start over.
	bulkCheckpointPages = 64 << 10
	// behindEvery is the least time between two checkpoints made behind
	// the writer: each copies the pages committed since the one before,
	// the latest copy of each once.
	behindEvery = 2 * time.Second
	// walSizeLimit is what the log's file is cut back to when a
	// checkpoint has emptied it, so a bulk's log does not stay on disk.
	walSizeLimit = 64 << 20
)

// Bulk readies the writer for the bulk writes of a long catch-up: its
// commits leave the log to be checkpointed behind it, until EndBulk. It
// is called in an UpdateRefetchable's transaction (a View's fails with
// ErrReadOnly) and holds for the writer's connection, for the
// transactions after it too; once that transaction commits, a checkpoint
// behind the writer begins (behind.start). Readers see what they saw.
// Refetchable commits reach the disk only at a checkpoint or the next
// Update's commit, so a power cut (not a crash of the app) during bulk
// writes can roll back the commits since the last checkpoint began
// (about behindEvery of them; at most bulkCheckpointPages) where it could
// roll back up to walCheckpointPages before: never a half-written one,
// and what a catch-up loses so is fetched again. A commit that is not
// bulk after EndBulk checkpoints what the bulk left (a save right after a
// catch-up waits for that copy).
func (tx *Tx) Bulk(ctx context.Context) error {
	if tx.view {
		return ErrReadOnly
	}
	_, err := tx.tx.ExecContext(ctx, checkpointAt(bulkCheckpointPages))
	tx.bulk = err == nil
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

// Checkpoints behind the writer (issue 17). A checkpoint copies the log's
// pages into the database file and waits for the disk twice (the log,
// then the file): made by a commit, it held the writer, and with it a
// catch-up's whole pipeline, 0.1-0.6 s each (strace of benchscale's
// newcomer at 100,000 patients: 17 fsyncs, 3.6 s of its ~24). After each
// commit of bulk writes a connection of the checkpointer's own copies
// what was committed (PASSIVE: it waits for no one, and no one waits for
// it), at most every behindEvery, while the writer goes on with the next
// transaction; the writer checkpoints itself only when the log reaches
// bulkCheckpointPages all the same (it starts over from its beginning
// only when a checkpoint has copied all of it before a transaction
// begins). The checkpoint's rules are SQLite's, as at a commit: a power
// cut loses only commits not yet synced, which UpdateRefetchable allows.

// behindParams are the checkpointer's connection settings: its
// checkpoints wait for the disk (synchronous FULL, as NORMAL would).
const behindParams = "_busy_timeout=5000&_synchronous=FULL"

// behind runs the checkpoints made behind the writer, one at a time.
type behind struct {
	dsn     string
	mu      sync.Mutex
	conn    *sql.DB // opened at the first, closed by close
	running bool
	last    time.Time // when the last one began
	closed  bool
	done    sync.WaitGroup
}

// start begins a checkpoint behind the writer, unless one is running or
// began less than behindEvery ago. A checkpoint that fails is
// housekeeping: a later one, or a commit of the writer, copies the pages.
func (b *behind) start() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.running || time.Since(b.last) < behindEvery {
		return
	}
	if b.conn == nil {
		b.conn = sql.OpenDB(connector{&sqlite3.SQLiteDriver{}, b.dsn})
		b.conn.SetMaxOpenConns(1)
	}
	b.running, b.last = true, time.Now()
	b.done.Add(1)
	go func() {
		defer b.done.Done()
		_, _ = b.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		b.mu.Lock()
		b.running = false
		b.mu.Unlock()
	}()
}

// close waits for the checkpoint running, if any, and closes the
// checkpointer's connection.
func (b *behind) close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.done.Wait()
	if b.conn == nil {
		return nil
	}
	return b.conn.Close()
}
