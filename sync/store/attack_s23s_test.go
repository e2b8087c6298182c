package store

import (
	"context"
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
