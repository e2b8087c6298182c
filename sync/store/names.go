package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Names the store keeps in many rows (record kinds, scopes, device ids)
// are kept once, in the names table, and referred to by number
// (migrations/0006_numbered.sql): a binding names its kind, scope and
// device in three small integers instead of about 50 bytes of text.
// Numbers are only ever added, never changed or reused, so a number read
// once stays true for the life of the file.

// names caches the numbers of names committed to the database.
type names struct {
	mu   sync.RWMutex
	nums map[string]int64
}

func (c *names) get(name string) (int64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.nums[name]
	return n, ok
}

// keep adds the names a committed transaction numbered.
func (c *names) keep(learned map[string]int64) {
	if len(learned) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nums == nil {
		c.nums = make(map[string]int64, len(learned))
	}
	for name, n := range learned {
		c.nums[name] = n
	}
}

// nameNumber returns the number of name, numbering it when create (a
// write transaction); 0 when it has none and create is false.
func (tx *Tx) nameNumber(ctx context.Context, name string, create bool) (int64, error) {
	if n, ok := tx.names.get(name); ok {
		return n, nil
	}
	if n, ok := tx.learned[name]; ok {
		return n, nil
	}
	var n int64
	err := tx.tx.QueryRowContext(ctx, `SELECT n FROM names WHERE name = ?`, name).Scan(&n)
	switch {
	case errors.Is(err, sql.ErrNoRows) && create:
		res, err := tx.tx.ExecContext(ctx, `INSERT INTO names (name) VALUES (?)`, name)
		if err != nil {
			return 0, wrap("number "+name, err)
		}
		if n, err = res.LastInsertId(); err != nil {
			return 0, wrap("number "+name, err)
		}
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, wrap("number of "+name, err)
	}
	if tx.learned == nil {
		tx.learned = map[string]int64{}
	}
	tx.learned[name] = n
	return n, nil
}

// entityNumber returns the number of the entity id, numbering it when
// create (a write transaction); 0 when it has none and create is false.
// Every record the store holds anything of (state, binding, index terms)
// has a number (table entity_numbers). Numbers are only added, and only
// here, so what one transaction found (a number, or none) holds for the
// rest of it: a new record's binding, state and index look it up once.
func (tx *Tx) entityNumber(ctx context.Context, id string, create bool) (int64, error) {
	if _, held := tx.binding.at[id]; held {
		// A binding PutBinding holds: written (and numbered) first.
		if err := tx.writeBindings(ctx); err != nil {
			return 0, err
		}
	}
	n, known := tx.entities[id]
	if known && (n != 0 || !create) {
		return n, nil
	}
	if tx.entities == nil {
		tx.entities = map[string]int64{}
	}
	var err error
	if !known {
		err = tx.tx.QueryRowContext(ctx, `SELECT n FROM entity_numbers WHERE id = ?`, idKey(id)).Scan(&n)
	} else {
		err = sql.ErrNoRows
	}
	switch {
	case errors.Is(err, sql.ErrNoRows) && create:
		res, err := tx.tx.ExecContext(ctx, `INSERT INTO entity_numbers (id) VALUES (?)`, idKey(id))
		if err != nil {
			return 0, err
		}
		if n, err = res.LastInsertId(); err != nil {
			return 0, err
		}
		if tx.fresh == nil {
			tx.fresh = map[int64]uint8{}
		}
		tx.fresh[n] = noState | noTokens
	case errors.Is(err, sql.ErrNoRows):
		n = 0
	case err != nil:
		return 0, err
	}
	tx.entities[id] = n
	return n, nil
}

// idKey is how entity_numbers keeps an entity id (store 0008): the bytes
// of an id written in lowercase hex of even length (a random event id's
// 32 characters, a fingerprint's 40) as a BLOB of half its length, any
// other id as its text. An id in that form is always kept as bytes, so
// each id has one key and idColumn gives it back exactly. Keys order as
// their ids do, except that every text id comes before every BLOB.
func idKey(id string) any {
	if len(id) == 0 || len(id)%2 != 0 || strings.IndexFunc(id, func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }) >= 0 {
		return id
	}
	b, err := hex.DecodeString(id)
	if err != nil {
		return id
	}
	return b
}

// idColumn scans an entity id kept by idKey.
type idColumn string

func (c *idColumn) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		*c = idColumn(hex.EncodeToString(v))
	case string:
		*c = idColumn(v)
	default:
		return fmt.Errorf("entity id of type %T", src)
	}
	return nil
}

// What a record numbered in this transaction does not have yet.
const (
	noState  = 1 << iota // no row in entities
	noTokens             // no row in entity_tokens
)

// lacks reports whether the record numbered n is known to lack what.
func (tx *Tx) lacks(n int64, what uint8) bool { return tx.fresh[n]&what != 0 }

// has records that the record numbered n now has what.
func (tx *Tx) has(n int64, what uint8) {
	if tx.fresh[n]&what != 0 {
		tx.fresh[n] &^= what
	}
}
