package store

import "context"

// JudgeAllAgain sends every stored envelope back to be judged (pending,
// with reason, its rule cleared) and removes what judging them made:
// every record's row, binding and device owner, and the heads (no
// envelope is applied or sealed now; they move again as envelopes are).
// Entity numbers, names, keys, meta and the index stay. It is for a store
// whose rows were found altered (sync/replica rebuildRows): the states
// the file holds are not believed, and the signed envelopes are judged
// again from the start, as a workstation receiving them all would.
func (tx *Tx) JudgeAllAgain(ctx context.Context, reason string) error {
	if err := tx.writeAdded(ctx); err != nil {
		return err
	}
	steps := []struct {
		what, query string
		args        []any
	}{
		{"envelopes", `UPDATE envelopes SET state = 0, rule = '', reason = ? WHERE state != 0 OR reason != ?`, []any{reason, reason}},
		{"entities", `DELETE FROM entities`, nil},
		{"bindings", `DELETE FROM bindings`, nil},
		{"devices", `DELETE FROM devices`, nil},
		{"heads", `DELETE FROM heads`, nil},
	}
	for _, s := range steps {
		if _, err := tx.tx.ExecContext(ctx, s.query, s.args...); err != nil {
			return wrap("judge all again: "+s.what, err)
		}
	}
	tx.seal.deleting = true
	tx.bindings = nil
	return nil
}
