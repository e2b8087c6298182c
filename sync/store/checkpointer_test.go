package store

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"
)

// TestCheckpointBesideTheWriter: during bulk writes, the log's pages are
// copied into the database file by rounds beside the writer, and the log
// starts again from its beginning after each (the writer copies what was
// committed while a round ran): it stays short, though the writer's own
// checkpoint waits for far more; nothing committed is lost, and
// Checkpoint copies the rest. Before, the commit that crossed
// bulkCheckpointPages copied the log itself.
func TestCheckpointBesideTheWriter(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	db.ck.at = 64 // pages not yet copied that start a round
	update(t, db, func(tx *Tx) error { return tx.Bulk(ctx) })
	// frames returns the pages the log holds and how many are copied,
	// from the wal-index.
	frames := func() (held, copied int) {
		t.Helper()
		b, err := os.ReadFile(db.path + "-shm")
		if err != nil || len(b) < 100 {
			t.Fatalf("wal-index: %d bytes, %v", len(b), err)
		}
		return int(binary.NativeEndian.Uint32(b[16:])), int(binary.NativeEndian.Uint32(b[96:]))
	}
	state := make([]byte, 6000) // about a page each
	const perCommit, commits = 20, 60
	most, rounds, restarts, last := 0, 0, 0, 0
	for c := range 2 * commits {
		err := db.UpdateRefetchable(ctx, func(tx *Tx) error {
			for i := range perCommit {
				if err := tx.PutEntity(ctx, Entity{ID: fmt.Sprintf("rec-%d-%d", c, i), Kind: "note", Scope: "clinical", State: state}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if c >= commits {
			continue // commits beside rounds, as fast as they come: all kept (below)
		}
		// Each round ends before the next commit (on a machine where the
		// commits are as long as the rounds, as in a catch-up).
		db.ck.rounds.Lock()
		db.ck.rounds.Unlock()
		held, copied := frames()
		most = max(most, held)
		if held < last {
			restarts++
		}
		last = held
		if copied > 0 {
			rounds++
		}
	}
	if rounds == 0 {
		t.Errorf("no pages copied beside the writer in %d commits of about %d pages", commits, perCommit)
	}
	// A round starts at 64 pages not yet copied, the writer copies what
	// the next commit wrote, and the log starts again at the one after.
	if limit := 64 + 4*perCommit; restarts < 4 || most > limit {
		t.Errorf("the log started again %d times and held up to %d pages; want 4 times or more, and at most %d",
			restarts, most, limit)
	}
	if err := db.EndBulk(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if held, copied := frames(); copied != held {
		t.Errorf("after Checkpoint: %d of the log's %d pages copied", copied, held)
	}
	var n int
	if err := db.View(ctx, func(tx *Tx) error {
		es, err := tx.EntitiesOfKind(ctx, "note", 0, 0)
		n = len(es)
		return err
	}); err != nil || n != 2*perCommit*commits {
		t.Errorf("%d records read back, %v; want %d", n, err, 2*perCommit*commits)
	}
	t.Logf("the log held at most %d pages and started again %d times; pages copied beside the writer after %d of %d commits",
		most, restarts, rounds, commits)
}
