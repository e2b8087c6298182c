package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
)

// The store's seal (session 21, h-mac21): whoever opens the store with
// the device key keeps, in the same transaction as every write, a MAC
// over the state that decides trust (sync/replica/storeseal.go). The
// store only calls it before each commit and helps it follow the index
// without reading it whole at each write: every posting written or
// removed is marked (a keyed 16-byte value the sealer computes), and the
// marks are folded by XOR into IndexDelta.

// Sealer is called inside every write transaction, before it commits:
// Seal writes what it must in tx and returns what to do once the commit
// succeeded (nil: nothing).
type Sealer interface {
	Seal(ctx context.Context, tx *Tx) (committed func(), err error)
	// Mark is a posting's keyed value, folded into the transaction's
	// IndexDelta.
	Mark(token, entity int64) [16]byte
	// RowKey is the key of the rows' marks (MarkRow, sealrows.go),
	// folded into the transaction's RowChanges; !ok: none (wiped).
	RowKey() (key [32]byte, ok bool)
}

// SetSealer makes s seal every later write transaction (nil: none).
func (db *DB) SetSealer(s Sealer) {
	if s == nil {
		db.sealer.Store(nil)
		return
	}
	db.sealer.Store(&s)
}

func (db *DB) currentSealer() Sealer {
	if p := db.sealer.Load(); p != nil {
		return *p
	}
	return nil
}

type sealerSlot = atomic.Pointer[Sealer]

// sealState is what a write transaction did that the seal follows.
type sealState struct {
	sealer Sealer
	// index: the XOR of the marks of postings written or removed;
	// cleared: the index was emptied first (ClearIndex).
	index   [16]byte
	cleared bool
	// meta, entities: a meta row, an entity row of these kinds, or any
	// entity row's deletion was written.
	meta     bool
	kinds    map[string]bool
	deleting bool
	// changes: the connection's total_changes() when the transaction
	// began; touched: Touch was called.
	changes int64
	touched bool
	// rows: the fold of the marks of the rows written or removed
	// (sealrows.go).
	rows *rowFold
}

// begin notes where the connection's count of changed rows stands.
func (tx *Tx) beginSeal(ctx context.Context) error {
	return wrap("update: begin", tx.tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&tx.seal.changes))
}

// Wrote reports whether this transaction changed a row, or was touched
// (Touch): one that changed nothing needs no new seal.
func (tx *Tx) Wrote(ctx context.Context) (bool, error) {
	if tx.seal.touched {
		return true, nil
	}
	var n int64
	err := tx.tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&n)
	return n != tx.seal.changes, wrap("changes", err)
}

// Touch makes this transaction sealed even if it changes nothing else (a
// durable commit of the seal: replica.SealNow).
func (tx *Tx) Touch() { tx.seal.touched = true }

func (tx *Tx) markPostings(ps []posting) {
	if tx.seal.sealer == nil {
		return
	}
	for _, p := range ps {
		m := tx.seal.sealer.Mark(p.token, p.entity)
		for i := range m {
			tx.seal.index[i] ^= m[i]
		}
	}
}

func (tx *Tx) touchedKind(kind string) {
	if tx.seal.sealer == nil {
		return
	}
	if tx.seal.kinds == nil {
		tx.seal.kinds = map[string]bool{}
	}
	tx.seal.kinds[kind] = true
}

// SealChanges reports what this transaction changed that a seal follows:
// the XOR of the marks of the postings it wrote or removed, whether the
// index was emptied first, whether a meta row was written, and whether an
// entity of one of kinds was written or any entity deleted.
func (tx *Tx) SealChanges(kinds ...string) (index [16]byte, cleared, meta, entities bool) {
	entities = tx.seal.deleting
	for _, k := range kinds {
		entities = entities || tx.seal.kinds[k]
	}
	return tx.seal.index, tx.seal.cleared, tx.seal.meta, entities
}

// RowChanges is, per table, the XOR of the marks of the rows this
// transaction wrote or removed (an updated row: its old mark and its new).
func (tx *Tx) RowChanges() RowMarks {
	if tx.seal.rows == nil {
		return RowMarks{}
	}
	return tx.seal.rows.marks()
}

// ClearIndex empties the blind index (every record is indexed again
// afterwards: MetaReindex).
func (tx *Tx) ClearIndex(ctx context.Context) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM postings`); err != nil {
		return wrap("clear index", err)
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM entity_tokens`); err != nil {
		return wrap("clear index", err)
	}
	tx.seal.index, tx.seal.cleared = [16]byte{}, true
	return nil
}

// EachPosting calls fn with every posting of the index (a seal's check at
// login reads them all). It reads through a page cache of scanCacheKiB,
// the connection's own size put back after: a reception's index is some
// 1,500,000 postings, and read through a reader's 16 MiB cache it left
// 16 MiB of pages resident after login (RSS 2 s after home 150 → 168 MB,
// issue 17).
func (tx *Tx) EachPosting(ctx context.Context, fn func(token, entity int64)) (err error) {
	var size int64
	if err := tx.tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&size); err != nil {
		return wrap("read index: cache size", err)
	}
	if _, err := tx.tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, scanCacheKiB)); err != nil {
		return wrap("read index: cache size", err)
	}
	defer func() {
		if _, e := tx.tx.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA cache_size = %d`, size)); err == nil && e != nil {
			err = wrap("read index: cache size", e)
		}
	}()
	rows, err := tx.tx.QueryContext(ctx, `SELECT token, entity FROM postings`)
	if err != nil {
		return wrap("read index", err)
	}
	defer rows.Close()
	var t, e int64
	for rows.Next() {
		if err := rows.Scan(&t, &e); err != nil {
			return wrap("read index", err)
		}
		fn(t, e)
	}
	return wrap("read index", rows.Err())
}

// scanCacheKiB is the page cache a scan of the whole index reads through.
const scanCacheKiB = 1024

// MetaWithPrefix calls fn with every meta row whose key starts with
// prefix, in key order.
func (tx *Tx) MetaWithPrefix(ctx context.Context, prefix string, fn func(key string, value []byte)) error {
	end, bounded := prefixEnd(prefix)
	var rows *sql.Rows
	var err error
	if bounded {
		rows, err = tx.tx.QueryContext(ctx, `SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key`, prefix, end)
	} else {
		rows, err = tx.tx.QueryContext(ctx, `SELECT key, value FROM meta WHERE key >= ? ORDER BY key`, prefix)
	}
	if err != nil {
		return wrap("meta "+prefix, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return wrap("meta "+prefix, err)
		}
		fn(k, v)
	}
	return wrap("meta "+prefix, rows.Err())
}

// EntitiesInLog returns the ids of the records that events of kind name,
// whatever their state (a rebuild from the log: the entity rows may be
// gone). It reads every envelope.
func (tx *Tx) EntitiesInLog(ctx context.Context, kind string) ([]string, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return nil, err
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT DISTINCT entity FROM envelopes WHERE kind = ? ORDER BY entity`, kind)
	if err != nil {
		return nil, wrap("entities of "+kind, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("entities of "+kind, err)
		}
		out = append(out, id)
	}
	return out, wrap("entities of "+kind, rows.Err())
}

// EntitiesChangedAgain returns the ids of the records of kind that more
// than one applied event changed (replica's mend of a field kept as first
// written). It reads every envelope.
func (tx *Tx) EntitiesChangedAgain(ctx context.Context, kind string) ([]string, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return nil, err
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT entity FROM envelopes WHERE kind = ? AND state = ?
		GROUP BY entity HAVING count(*) > 1 ORDER BY entity`, kind, Applied)
	if err != nil {
		return nil, wrap("entities of "+kind+" changed again", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("entities of "+kind+" changed again", err)
		}
		out = append(out, id)
	}
	return out, wrap("entities of "+kind+" changed again", rows.Err())
}
