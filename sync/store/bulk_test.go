package store

import (
	"database/sql"
	"errors"
	"testing"
)

// TestBulkWrites: Bulk gives the writer a larger page cache and fewer
// checkpoints, for the transactions after it too, and EndBulk gives the
// usual ones back; a View cannot ask for them; the readers keep theirs;
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
	type settings struct{ cache, checkpoint int }
	writer := func() settings {
		t.Helper()
		return settings{pragma(db.writer, "cache_size"), pragma(db.writer, "wal_autocheckpoint")}
	}
	usual, bulk := settings{-writerCacheKiB, walCheckpointPages}, settings{-bulkCacheKiB, bulkCheckpointPages}

	if got := writer(); got != usual {
		t.Fatalf("opened: writer %+v, want %+v", got, usual)
	}
	if got := pragma(db.writer, "journal_size_limit"); got != walSizeLimit {
		t.Errorf("writer: journal_size_limit %d, want %d", got, walSizeLimit)
	}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.Bulk(ctx) }); err != nil {
		t.Fatal(err)
	}
	if got := writer(); got != bulk {
		t.Errorf("after Bulk: writer %+v, want %+v", got, bulk)
	}
	if got := pragma(db.readers, "cache_size"); got != -16384 {
		t.Errorf("after Bulk: readers' cache_size %d, want -16384", got)
	}
	// A transaction that fails keeps nothing it wrote; the settings hold
	// until EndBulk.
	failed := errors.New("failed")
	if err := db.Update(ctx, func(tx *Tx) error { return errors.Join(tx.Bulk(ctx), failed) }); !errors.Is(err, failed) {
		t.Fatalf("failed Update: %v", err)
	}
	if got := writer(); got != bulk {
		t.Errorf("after a failed transaction: writer %+v, want %+v", got, bulk)
	}
	if err := db.EndBulk(ctx); err != nil {
		t.Fatal(err)
	}
	if got := writer(); got != usual {
		t.Errorf("after EndBulk: writer %+v, want %+v", got, usual)
	}
	if err := db.Checkpoint(ctx); err != nil {
		t.Errorf("Checkpoint: %v", err)
	}
	if err := db.View(ctx, func(tx *Tx) error { return tx.Bulk(ctx) }); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Bulk in a View: %v, want ErrReadOnly", err)
	}
}
