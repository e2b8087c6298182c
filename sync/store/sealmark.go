package store

// The seal's row marks (session 23, h-sealc23; issue 17): the triggers of
// sealrows.go call seal_row, a C function registered on the writer's raw
// SQLite connection (sealmark.c), instead of a Go function through the
// driver (session 22: a call into Go for every row, its arguments
// converted by reflection, cost 25–40 µs an envelope of a catch-up). It
// marks each row with keyed BLAKE2b-128 and folds the marks per table in
// C memory; the key's state is there only while a sealed write
// transaction is under way (seal_fold_begin … seal_fold_end), never in the
// file. A check computes the same marks with MarkRow.

/*
#include "sealmark.h"
*/
import "C"

import (
	"errors"
	"reflect"
	"strings"
	"unsafe"

	"github.com/mattn/go-sqlite3"
)

// rowFold is the writer connections' fold (C memory, never freed:
// registerFold).
type rowFold struct{ f *C.seal_fold }

// begin starts a sealed write transaction's fold under key.
func (r rowFold) begin(key *[32]byte) {
	C.seal_fold_begin(r.f, (*C.uint8_t)(unsafe.Pointer(&key[0])))
}

// marks is, per table, the XOR of the marks folded since begin.
func (r rowFold) marks() (m RowMarks) {
	C.seal_fold_take(r.f, (*C.uint8_t)(unsafe.Pointer(&m[0][0])))
	return m
}

// end forgets the key's state and the marks: the triggers fold nothing
// until the next begin.
func (r rowFold) end() { C.seal_fold_end(r.f) }

// MarkRow is a row's mark under key (what seal_row folds for the row
// RowEncoder encodes): keyed BLAKE2b with a 16-byte digest.
func MarkRow(key *[32]byte, row []byte) (m [16]byte) {
	var p *C.uint8_t
	if len(row) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&row[0]))
	}
	C.seal_mark((*C.uint8_t)(unsafe.Pointer(&key[0])), p, C.size_t(len(row)), (*C.uint8_t)(unsafe.Pointer(&m[0])))
	return m
}

// connHandle is where mattn/go-sqlite3 keeps a connection's sqlite3
// handle (the unexported field db of SQLiteConn; -1 if it has none).
var connHandle = func() uintptr {
	f, ok := reflect.TypeFor[sqlite3.SQLiteConn]().FieldByName("db")
	if !ok || f.Type.Kind() != reflect.Pointer || !strings.Contains(f.Type.Elem().Name(), "sqlite3") {
		return ^uintptr(0)
	}
	return f.Offset
}()

// registerFold registers seal_row on c, folding into db's fold (made at
// the first connection and kept while the process runs: a few hundred
// bytes a store opened, holding no key between transactions). SQLite
// does not own it: session 23's first form let the connection's close
// free it, and a context cancelled during a write (the driver closes
// that connection at once, from another goroutine) left the writer ending
// a freed fold: the C heap corrupted ("free(): corrupted unsorted
// chunks", seen in ./app's seal tests).
func (db *DB) registerFold(c *sqlite3.SQLiteConn) error {
	if connHandle == ^uintptr(0) {
		return errors.New("the SQLite driver keeps no connection handle where this store reads it")
	}
	h := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(c), connHandle))
	if h == nil {
		return errors.New("the connection is closed")
	}
	if db.fold.f == nil {
		if db.fold.f = C.seal_fold_new(); db.fold.f == nil {
			return errors.New("out of memory")
		}
	}
	if rc := C.seal_register(h, db.fold.f); rc != 0 {
		return errors.New("seal_row not registered (SQLite's functions missing, or refused)")
	}
	return nil
}
