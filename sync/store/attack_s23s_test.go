package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
)

// TestAttackS23sFileTriggerFoldsMarks (h-sealc23): whoever writes the
// profile folder while Medihaven is closed deletes an allergy's row and
// adds, in the file, a trigger that calls the seal's row function with
// that row's columns. The function is the writer connection's: at the
// next honest write it folds the deleted row's mark with the seal's key,
// and the seal then matches the table without the row (the deletion is
// never seen). A trigger in the file must not reach the function: the
// write fails, or the marks still differ.
func TestAttackS23sFileTriggerFoldsMarks(t *testing.T) {
	ctx := context.Background()
	const allergy = "0123456789abcdef0123456789abcdef"
	for _, call := range []string{"seal_entities(%s)", "seal_row(0, %s)"} {
		db := openTest(t)
		s := newRowSealer()
		db.SetSealer(s)
		err := db.Update(ctx, func(tx *Tx) error {
			return tx.PutEntities(ctx, []Entity{{ID: "entity-1", Kind: "patient", Scope: "frontdesk", State: []byte("p"), Lamport: 1, Updated: 5},
				{ID: allergy, Kind: "allergy", Scope: "clinical", State: []byte("penicillin"), Lamport: 2, Updated: 6}})
		})
		if err != nil {
			t.Fatal(err)
		}
		// Behind the store: the row's columns read, the row deleted, the
		// trigger added.
		var n, kind, scope, lamport, updated int64
		var state []byte
		if err := db.writer.QueryRowContext(ctx, `SELECT n, kind, scope, lamport, updated, state FROM main.entities WHERE state = ?`, []byte("penicillin")).Scan(&n, &kind, &scope, &lamport, &updated, &state); err != nil {
			t.Fatal(err)
		}
		args := fmt.Sprintf("%d, %d, %d, %d, %d, X'%x'", n, kind, scope, lamport, updated, state)
		if _, err := db.writer.ExecContext(ctx, `DELETE FROM main.entities WHERE n = ?`, n); err != nil {
			t.Fatal(err)
		}
		if _, err := db.writer.ExecContext(ctx, `CREATE TRIGGER main.fold AFTER INSERT ON main.envelopes BEGIN SELECT `+fmt.Sprintf(call, args)+`; END`); err != nil {
			t.Fatal(err)
		}
		if s.now(t, db)[RowEntities] == s.rows[RowEntities] {
			t.Fatal("the deleted row is not seen even before the trigger fires")
		}
		// The next honest write.
		err = db.Update(ctx, func(tx *Tx) error { return tx.AddEnvelope(ctx, testEnvelope("d1", 1)) })
		if err == nil && s.now(t, db)[RowEntities] == s.rows[RowEntities] {
			t.Errorf("%s in a trigger of the file folded the deleted allergy's mark: its deletion is hidden from the seal", fmt.Sprintf(call, "…"))
		}
		t.Logf("%s: the write's error: %v", fmt.Sprintf(call, "…"), err)
	}
}

// TestAttackS23sFileTriggerWritesUnderTheSeal (h-sealc23): whoever writes
// the profile folder while Medihaven is closed adds, in the file, a
// trigger that deletes an allergy's row at the next event stored. The
// deletion then happens on Medihaven's own connection, inside its sealed
// write: the temporary triggers mark it like any write of the store's
// (every write path is marked, the file's own triggers' included), and
// the seal matches the table without the row. A trigger the store's
// migrations did not write must not run: the store drops it at Open.
func TestAttackS23sFileTriggerWritesUnderTheSeal(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	s := newRowSealer()
	db.SetSealer(s)
	err := db.Update(ctx, func(tx *Tx) error {
		return tx.PutEntities(ctx, []Entity{{ID: "0123456789abcdef0123456789abcdef", Kind: "allergy", Scope: "clinical", State: []byte("penicillin"), Lamport: 2, Updated: 6}})
	})
	if err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Behind the store, closed: the trigger added (and one of the
	// store's own changed: envelopes may then be deleted).
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TRIGGER hide AFTER INSERT ON envelopes BEGIN DELETE FROM entities WHERE state = X'` + fmt.Sprintf("%x", "penicillin") + `'; END`,
		`DROP TRIGGER envelopes_kept`,
		`CREATE TRIGGER envelopes_kept BEFORE DELETE ON envelopes WHEN 0 BEGIN SELECT RAISE(ABORT, 'envelopes are never deleted'); END`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	raw.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetSealer(s)
	e := testEnvelope("d1", 1)
	e.State = Applied
	if err := db.Update(ctx, func(tx *Tx) error { return tx.AddEnvelope(ctx, e) }); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.writer.QueryRowContext(ctx, `SELECT count(*) FROM entities`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("a trigger written in the file deleted the allergy's row inside a sealed write (the seal matches: %v)", s.now(t, db) == s.rows)
	}
	if _, err := db.writer.ExecContext(ctx, `DELETE FROM envelopes`); err == nil {
		t.Error("the store's own trigger keeping envelopes was changed in the file and is believed")
	}
	if got := db.TakeSchemaAltered(); len(got) != 2 {
		t.Errorf("the triggers found altered: %v, want hide and envelopes_kept", got)
	}
}
