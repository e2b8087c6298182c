package store

import (
	"database/sql"
	"errors"
	"testing"
)

// TestBulkWrites: Bulk gives the writer fewer checkpoints, for the
// transactions after it too, and EndBulk gives the usual ones back; a
// View cannot ask for them;
// the writer's log is cut back once emptied (journal_size_limit), and
// Checkpoint empties it.
func TestBulkWrites(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	pragma := func(pool *sql.DB, name string) int {
		t.Helper()
		var n int
		if err := pool.QueryRowContext(ctx, `PRAGMA `+name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	writer := func() int {
		t.Helper()
		return pragma(db.writer, "wal_autocheckpoint")
	}
	usual, bulk := walCheckpointPages, bulkCheckpointPages

	if got := writer(); got != usual {
		t.Fatalf("opened: writer %d, want %d", got, usual)
	}
	if got := pragma(db.writer, "journal_size_limit"); got != walSizeLimit {
		t.Errorf("writer: journal_size_limit %d, want %d", got, walSizeLimit)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.Bulk(ctx) }); err != nil {
		t.Fatal(err)
	}
	if got := writer(); got != bulk {
		t.Errorf("after Bulk: writer %d, want %d", got, bulk)
	}
	// A transaction that fails keeps nothing it wrote; the settings hold
	// until EndBulk.
	failed := errors.New("failed")
	if err := db.Update(ctx, func(tx *Tx) error { return errors.Join(tx.Bulk(ctx), failed) }); !errors.Is(err, failed) {
		t.Fatalf("failed Update: %v", err)
	}
	if got := writer(); got != bulk {
		t.Errorf("after a failed transaction: writer %d, want %d", got, bulk)
	}
	if err := db.EndBulk(ctx); err != nil {
		t.Fatal(err)
	}
	if got := writer(); got != usual {
		t.Errorf("after EndBulk: writer %d, want %d", got, usual)
	}
	if err := db.Checkpoint(ctx); err != nil {
		t.Errorf("Checkpoint: %v", err)
	}
	if err := db.View(ctx, func(tx *Tx) error { return tx.Bulk(ctx) }); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Bulk in a View: %v, want ErrReadOnly", err)
	}
}
