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
// Which records it removed is kept for JudgedAway.
func (tx *Tx) JudgeAllAgain(ctx context.Context, reason string) error {
	if err := tx.writeAdded(ctx); err != nil {
		return err
	}
	steps := []struct {
		what, query string
		args        []any
	}{
		{"envelopes", `UPDATE envelopes SET state = 0, rule = '', reason = ? WHERE state != 0 OR reason != ?`, []any{reason, reason}},
		// The records as they were, by number, for JudgedAway.
		{"records kept aside", `CREATE TEMP TABLE IF NOT EXISTS judged_away (n INTEGER PRIMARY KEY, kind INTEGER, scope INTEGER)`, nil},
		{"records kept aside", `DELETE FROM temp.judged_away`, nil},
		{"records kept aside", `INSERT INTO temp.judged_away SELECT n, kind, scope FROM entities`, nil},
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

// JudgedAway names the records JudgeAllAgain removed that judging every
// event again in this transaction did not write back (a forged record now
// refused), so that whoever shows them is told; and forgets them. Only
// ID, Kind and Scope are set. Nothing when JudgeAllAgain did not run in
// tx.
func (tx *Tx) JudgedAway(ctx context.Context) ([]Entity, error) {
	var held int
	if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM temp.sqlite_master WHERE name = 'judged_away'`).Scan(&held); err != nil || held == 0 {
		return nil, wrap("records judged away", err)
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT i.id, k.name, s.name FROM temp.judged_away j
		JOIN entity_numbers i ON i.n = j.n JOIN names k ON k.n = j.kind JOIN names s ON s.n = j.scope
		WHERE j.n NOT IN (SELECT n FROM entities)`)
	if err != nil {
		return nil, wrap("records judged away", err)
	}
	var away []Entity
	for rows.Next() {
		var e Entity
		var id idColumn
		err := rows.Scan(&id, &e.Kind, &e.Scope)
		e.ID = string(id)
		if err != nil {
			rows.Close()
			return nil, wrap("records judged away", err)
		}
		away = append(away, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("records judged away", err)
	}
	_, err = tx.tx.ExecContext(ctx, `DROP TABLE temp.judged_away`)
	return away, wrap("records judged away", err)
}
