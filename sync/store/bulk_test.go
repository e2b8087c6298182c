package store

import (
	"database/sql"
	"errors"
	"testing"
	"time"
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

// TestBulkCheckpointsBehind: a bulk transaction's commit is copied into
// the database file by a checkpoint behind the writer; checkpoints behind
// it begin at most every behindEvery, and only after bulk commits.
func TestBulkCheckpointsBehind(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	// What the database file holds, without its log.
	inFile := func(key string) bool {
		t.Helper()
		file, err := sql.Open("sqlite3", "file:"+db.Path()+"?immutable=1")
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		var n int
		if err := file.QueryRowContext(ctx, `SELECT count(*) FROM meta WHERE key = ?`, key).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	put := func(key string, bulk bool) {
		t.Helper()
		err := db.UpdateRefetchable(ctx, func(tx *Tx) error {
			if bulk {
				if err := tx.Bulk(ctx); err != nil {
					return err
				}
			}
			return tx.SetMeta(ctx, key, []byte{1})
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	put("test/bulk", true)
	db.behind.done.Wait()
	if !inFile("test/bulk") {
		t.Error("a bulk commit was not checkpointed behind the writer")
	}
	first := db.behind.last
	put("test/again", true) // within behindEvery of the first
	db.behind.done.Wait()
	if db.behind.last != first {
		t.Error("a second checkpoint behind the writer began within behindEvery")
	}
	if inFile("test/again") {
		t.Error("a bulk commit was checkpointed within behindEvery of the one before")
	}
	// A transaction that did not ask for bulk writes begins none.
	db.behind.last = time.Time{}
	put("test/not bulk", false)
	db.behind.done.Wait()
	if !db.behind.last.IsZero() {
		t.Error("a commit that is not bulk began a checkpoint behind the writer")
	}
}
