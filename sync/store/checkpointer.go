package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"os"
	"sync"
	"sync/atomic"
)

// Checkpoints beside the writer (issue 17). During bulk writes (Bulk) the
// write-ahead log grows to bulkCheckpointPages before its pages are
// copied into the database file; the commit that crossed it used to copy
// them itself, on the applying goroutine, with two disk flushes: about
// 0.6 s each time, 2.5-3.5 s of a newcomer's 100,000-patient catch-up
// (benchscale -replay: its checkpoints left to the end took 2.4-3.6 s
// alone). A checkpoint may run beside the writer: SQLite copies the
// pages of committed transactions while later ones are appended. So the
// commit that finds the log over bulkCheckpointPages starts a round on a
// connection of its own, on another goroutine, and goes on.
//
// SQLite starts the log again from its beginning only at a write
// transaction that begins on a log wholly copied, and a round never
// copies what was committed while it ran; so the first bulk commit after
// a round copies that rest itself (a few transactions' pages, not
// bulkCheckpointPages), and the next transaction starts the log again:
// it stays about as long as before. The writer's own checkpoints at
// bulkBackstopPages remain for a log the rounds cannot keep short.
//
// How much the log holds beyond what is copied is read from SQLite's
// wal-index (the -shm file; https://www.sqlite.org/walformat.html: the
// header's mxFrame at byte 16, the checkpoint's nBackfill at byte 96,
// native byte order): only to decide when to start a round, so a torn
// read only moves one round a commit later or sooner. Where it cannot be
// read no round runs and the writer checkpoints at bulkBackstopPages.
// What reaches the disk when is unchanged: a round syncs the log before
// it copies and the file after, as the writer's checkpoint did.

// bulkBackstopPages is the log's size (pages) at which the writer
// checkpoints itself during bulk writes.
const bulkBackstopPages = 4 * bulkCheckpointPages

// checkpointer runs rounds of checkpoints beside the writer.
type checkpointer struct {
	dsn  string // its connection's
	file string // the database file's path
	// at is how many of the log's pages not yet copied start a round
	// (bulkCheckpointPages; tests set fewer).
	at   int
	bulk atomic.Bool // between Bulk and EndBulk
	// running: a round is under way; behind (the writer's alone): a round
	// ran since the writer last copied the rest.
	running atomic.Bool
	behind  bool
	// rounds is held while a round runs (from afterCommit on), and by
	// Checkpoint and Close to wait for it.
	rounds sync.Mutex
	// mu guards what follows.
	mu     sync.Mutex
	conn   *sql.DB // opened at the first round
	shm    *os.File
	closed bool
}

// afterCommit is called by the writer after each commit of bulk writes,
// with its connection: it starts a round when the log holds
// bulkCheckpointPages not yet copied, or copies what was committed while
// the last round ran.
func (c *checkpointer) afterCommit(ctx context.Context, writer *sql.Conn) {
	if c.running.Load() {
		return
	}
	if c.behind {
		c.behind = false
		// A failure leaves the log longer until the next round or the
		// backstop: housekeeping, not the commit's.
		_, _ = writer.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		return
	}
	if n, ok := c.pending(); !ok || n < c.at {
		return
	}
	// Taken here, so Checkpoint and Close wait for the round from now on;
	// held by Checkpoint (which waits for this connection): no round.
	if !c.rounds.TryLock() {
		return
	}
	c.running.Store(true)
	c.behind = true
	go c.round()
}

// pending returns how many pages the log holds that are not copied into
// the database file yet, as the wal-index says; ok false when it cannot
// be read.
func (c *checkpointer) pending() (n int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, false
	}
	if c.shm == nil {
		f, err := os.Open(c.file + "-shm")
		if err != nil {
			return 0, false
		}
		c.shm = f
	}
	var b [100]byte
	if _, err := c.shm.ReadAt(b[:], 0); err != nil || b[12] == 0 { // isInit
		return 0, false
	}
	frames, copied := binary.NativeEndian.Uint32(b[16:]), binary.NativeEndian.Uint32(b[96:])
	if copied > frames {
		return 0, true
	}
	return int(frames - copied), true
}

// round copies the log into the database file on the checkpointer's
// connection, again while a round leaves a quarter of bulkCheckpointPages
// or more committed meanwhile (at most four times).
func (c *checkpointer) round() {
	defer c.rounds.Unlock() // taken by afterCommit
	defer c.running.Store(false)
	for range 4 {
		if !c.copyLog() {
			return
		}
		if n, ok := c.pending(); !ok || n < c.at/4 {
			return
		}
	}
}

// copyLog runs one passive checkpoint on the checkpointer's connection
// (opened at its first use) and reports whether it copied the log.
func (c *checkpointer) copyLog() bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if c.conn == nil {
		conn, err := sql.Open("sqlite3", c.dsn)
		if err != nil {
			c.mu.Unlock()
			return false
		}
		conn.SetMaxOpenConns(1)
		c.conn = conn
	}
	conn := c.conn
	c.mu.Unlock()
	var busy, log, copied int
	err := conn.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &copied)
	return err == nil && busy == 0
}

// close waits for a round and closes the checkpointer's connection.
func (c *checkpointer) close() error {
	c.rounds.Lock()
	defer c.rounds.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var err error
	if c.conn != nil {
		err = c.conn.Close()
		c.conn = nil
	}
	if c.shm != nil {
		c.shm.Close()
		c.shm = nil
	}
	return err
}
