package store

// The seal's rows (session 22, h-seal22): the seal of session 21 covered
// the meta rows, the directory's rows and the index, not the rows of other
// records, the envelopes' states, nor the bindings; deleting an allergy's
// row hid it from the chart and the prescription check. Every row of the
// tables below now has a keyed mark (the sealer's MarkRow of its encoded
// columns), and each transaction folds, by XOR, the marks of the rows it
// wrote, changed (the old row's mark and the new one's) or deleted into
// RowMarks. The marks are made by TEMPORARY triggers on the writer's
// connection calling a C function (sealmark.go; a Go one until session
// 23, whose calls cost more than the rest of the seal): a trigger in the file could be dropped
// by whoever edits it, a temporary one lives only in this process's
// connection, and every statement of every write path (those of triggers
// in the file included) passes through them.
//
// A statement that fails halfway leaves the marks of the rows it had
// written in the transaction's fold: every write path of the store returns
// such a failure and its transaction rolls back (the fold is dropped with
// it); one that went on and committed would be taken for an altered store
// at the next check.

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// The tables whose rows the seal follows.
const (
	RowEntities  = iota // a record's current state
	RowNumbers          // a record's id and number
	RowNames            // a numbered name (kinds, scopes, devices)
	RowBindings         // the kind and scope a record was settled to
	RowDevices          // a device's author
	RowEnvelopes        // an event's id, state and the rule that judged it
	RowHeads            // a device's highest stored event
	RowTables
)

// RowTableNames name the tables of RowMarks (what a check says changed).
var RowTableNames = [RowTables]string{"records", "record numbers", "names", "bindings", "devices", "events", "heads"}

// RowMarks is, per table, the XOR of the marks of rows.
type RowMarks [RowTables][16]byte

// rowSources read, per table, the columns a row's mark covers, in the
// order the triggers pass them.
var rowSources = [RowTables]string{
	RowEntities:  `SELECT n, kind, scope, lamport, updated, state FROM entities`,
	RowNumbers:   `SELECT n, id FROM entity_numbers`,
	RowNames:     `SELECT n, name FROM names`,
	RowBindings:  `SELECT entity, kind, scope, lamport, device, seq FROM bindings`,
	RowDevices:   `SELECT device, author FROM devices`,
	RowEnvelopes: `SELECT state, id, rule FROM envelopes`,
	RowHeads:     `SELECT seq, lamport, device, hash FROM heads`,
}

// rowTriggers are the temporary triggers: each calls seal_row (sealmark.c)
// with the table's number and the row's columns as rowSources reads them,
// an update's old row's and new row's in one call.
var rowTriggers = func() string {
	var s string
	add := func(table int, name, of string, cols ...string) {
		old, new := "OLD."+strings.Join(cols, ", OLD."), "NEW."+strings.Join(cols, ", NEW.")
		upd := "UPDATE"
		if of != "" {
			upd = "UPDATE OF " + of
		}
		s += fmt.Sprintf("CREATE TEMP TRIGGER IF NOT EXISTS seal_%s_ins AFTER INSERT ON main.%s BEGIN SELECT seal_row(%d, %s); END;\n", name, name, table, new)
		s += fmt.Sprintf("CREATE TEMP TRIGGER IF NOT EXISTS seal_%s_upd AFTER %s ON main.%s BEGIN SELECT seal_row(%d, %s, %s); END;\n", name, upd, name, table, old, new)
		s += fmt.Sprintf("CREATE TEMP TRIGGER IF NOT EXISTS seal_%s_del AFTER DELETE ON main.%s BEGIN SELECT seal_row(%d, %s); END;\n", name, name, table, old)
	}
	add(RowEntities, "entities", "", "n", "kind", "scope", "lamport", "updated", "state")
	add(RowNumbers, "entity_numbers", "", "n", "id")
	add(RowNames, "names", "", "n", "name")
	add(RowBindings, "bindings", "", "entity", "kind", "scope", "lamport", "device", "seq")
	add(RowDevices, "devices", "", "device", "author")
	add(RowEnvelopes, "envelopes", "state, rule", "state", "id", "rule")
	add(RowHeads, "heads", "", "seq", "lamport", "device", "hash")
	return s
}()

// rowColumns is how many columns of each table a mark covers.
var rowColumns = [RowTables]int{RowEntities: 6, RowNumbers: 2, RowNames: 2, RowBindings: 6, RowDevices: 2, RowEnvelopes: 3, RowHeads: 4}

// RowEncoder encodes a row's columns as a mark covers them: the table,
// then each column, integers as 8 bytes and the others with their length.
type RowEncoder struct{ buf []byte }

// Start begins table's row.
func (e *RowEncoder) Start(table int) { e.buf = append(e.buf[:0], byte(table)) }

// Int adds an integer column.
func (e *RowEncoder) Int(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }

// Bytes adds a text or blob column.
func (e *RowEncoder) Bytes(b []byte) {
	e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(len(b)))
	e.buf = append(e.buf, b...)
}

// Row is the encoded row.
func (e *RowEncoder) Row() []byte { return e.buf }

// encodeRow encodes table's row from its columns as rowSources reads
// them: the integers first, then the texts and blobs.
func (e *RowEncoder) encodeRow(table int, ints []int64, texts ...[]byte) []byte {
	e.Start(table)
	for _, v := range ints {
		e.Int(v)
	}
	for _, b := range texts {
		e.Bytes(b)
	}
	return e.buf
}

// rowShapes is, per table, how many leading columns of rowSources are
// integers (the rest are texts or blobs).
var rowShapes = [RowTables]int{RowEntities: 5, RowNumbers: 1, RowNames: 1, RowBindings: 6, RowDevices: 0, RowEnvelopes: 1, RowHeads: 2}

// hookRows registers seal_row on the writer's connection c and creates
// its temporary triggers, once per connection. They fold into db.fold,
// between its begin and its end: only the writer's one connection calls
// them, inside a write transaction.
func (db *DB) hookRows(c *sqlite3.SQLiteConn) error {
	if db.hooked == c {
		return nil
	}
	if err := db.registerFold(c); err != nil {
		return wrap("seal rows: register", err)
	}
	if _, err := c.Exec(rowTriggers, nil); err != nil {
		return wrap("seal rows: triggers", err)
	}
	db.hooked = c
	return nil
}

// RowMarksNow is, per table, the XOR of mark over every row the store
// holds (a check after login reads them all), read through a page cache
// of scanCacheKiB like EachPosting.
func (tx *Tx) RowMarksNow(ctx context.Context, mark func(row []byte) [16]byte) (out RowMarks, err error) {
	var size int64
	if err := tx.tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&size); err != nil {
		return out, wrap("read rows: cache size", err)
	}
	if _, err := tx.tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, scanCacheKiB)); err != nil {
		return out, wrap("read rows: cache size", err)
	}
	defer func() {
		if _, e := tx.tx.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA cache_size = %d`, size)); err == nil && e != nil {
			err = wrap("read rows: cache size", e)
		}
	}()
	var enc RowEncoder
	for table, q := range rowSources {
		if err := tx.markRows(ctx, &enc, table, q, mark, &out[table]); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (tx *Tx) markRows(ctx context.Context, enc *RowEncoder, table int, q string, mark func([]byte) [16]byte, acc *[16]byte) error {
	op := "read rows of " + RowTableNames[table]
	rows, err := tx.tx.QueryContext(ctx, q)
	if err != nil {
		return wrap(op, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return wrap(op, err)
	}
	nInts := rowShapes[table]
	ints := make([]int64, nInts)
	texts := make([]sql.RawBytes, len(cols)-nInts)
	dest := make([]any, len(cols))
	for i := range ints {
		dest[i] = &ints[i]
	}
	for i := range texts {
		dest[nInts+i] = &texts[i]
	}
	bs := make([][]byte, len(texts))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return wrap(op, err)
		}
		for i := range texts {
			bs[i] = texts[i]
		}
		m := mark(enc.encodeRow(table, ints, bs...))
		for i := range m {
			acc[i] ^= m[i]
		}
	}
	return wrap(op, rows.Err())
}

// RecordIDs returns the id of every record that events in the log name
// (a rebuild of an altered store).
func (tx *Tx) RecordIDs(ctx context.Context) ([]string, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return nil, err
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT DISTINCT entity FROM envelopes`)
	if err != nil {
		return nil, wrap("record ids", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id idColumn
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("record ids", err)
		}
		out = append(out, string(id))
	}
	return out, wrap("record ids", rows.Err())
}
