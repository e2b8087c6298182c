package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Binding fixes the kind and scope of one record (entity): every event
// that names the entity with another kind or scope is refused. Lamport,
// Device and Seq name the claim that decided it (Device and Seq name its
// event), so a better claim arriving later can be recognised
// (sync/replica decides which wins).
type Binding struct {
	Entity  string
	Kind    string
	Scope   string
	Lamport uint64
	Device  string
	Seq     uint64
}

// A binding's row is keyed by the entity's number; its kind, scope and
// device are numbered names (names.go).
const bindingSelect = `SELECT k.name, s.name, b.lamport, d.name, b.seq
	FROM bindings b JOIN names k ON k.n = b.kind JOIN names s ON s.n = b.scope JOIN names d ON d.n = b.device
	WHERE b.entity = ?`

// Binding returns the binding of entity, or ErrNotFound.
func (tx *Tx) Binding(ctx context.Context, entity string) (Binding, error) {
	op := "binding of " + entity
	if b, read := tx.bindings[entity]; read {
		if b.Entity == "" {
			return Binding{}, wrap(op, sql.ErrNoRows)
		}
		return b, nil
	}
	b := Binding{Entity: entity}
	n, err := tx.entityNumber(ctx, entity, false)
	if err != nil {
		return Binding{}, wrap(op, err)
	}
	if n == 0 {
		return Binding{}, wrap(op, sql.ErrNoRows)
	}
	err = tx.tx.QueryRowContext(ctx, bindingSelect, n).Scan(&b.Kind, &b.Scope, &b.Lamport, &b.Device, &b.Seq)
	if err != nil {
		return Binding{}, wrap(op, err)
	}
	return b, nil
}

// BoundKinds returns the kind of every bound record: entity id → kind.
func (tx *Tx) BoundKinds(ctx context.Context) (map[string]string, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT i.id, k.name FROM bindings b
		JOIN entity_numbers i ON i.n = b.entity JOIN names k ON k.n = b.kind`)
	if err != nil {
		return nil, wrap("bound kinds", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id idColumn
		var kind string
		if err := rows.Scan(&id, &kind); err != nil {
			return nil, wrap("bound kinds", err)
		}
		out[string(id)] = kind
	}
	return out, wrap("bound kinds", rows.Err())
}

// PutBinding stores b, replacing the entity's binding. It is written with
// the ones put after it, a page per statement (issue 17: a catch-up binds
// thousands of new records, and a record's number and its binding were two
// statements each); every other statement of this transaction, and its
// commit, writes what is held first (sqlTx), so b reads as stored at once.
func (tx *Tx) PutBinding(ctx context.Context, b Binding) error {
	op := "put binding of " + b.Entity
	if b.Entity == "" || b.Kind == "" || b.Device == "" {
		return invalid("put binding: entity, kind and device are required")
	}
	if tx.view {
		return fmt.Errorf("%w: %s", ErrReadOnly, op)
	}
	lamport, err := dbInt(op+": lamport", b.Lamport)
	if err != nil {
		return err
	}
	seq, err := dbInt(op+": seq", b.Seq)
	if err != nil {
		return err
	}
	row := heldBinding{b: b, lamport: lamport, seq: seq}
	for i, name := range []string{b.Kind, b.Scope, b.Device} {
		if row.names[i], err = tx.nameNumber(ctx, name, true); err != nil {
			return err
		}
	}
	p := &tx.binding
	if p.err != nil {
		return p.err
	}
	if p.at == nil {
		p.at = map[string]int{}
	}
	if i, held := p.at[b.Entity]; held {
		p.rows[i] = row // numbered, when it is new, in the place of its first
	} else {
		p.at[b.Entity] = len(p.rows)
		p.rows = append(p.rows, row)
	}
	if tx.bindings != nil {
		tx.bindings[b.Entity] = b
	}
	if len(p.rows) < addPages[0] {
		return nil
	}
	return tx.writeBindings(ctx)
}

// binding is what PutBinding holds of a transaction's bindings until they
// are written.
type binding struct {
	rows []heldBinding
	at   map[string]int // entity → its place in rows
	err  error          // a write that failed: the transaction cannot commit
}

// heldBinding is a binding held, with its names' numbers (kind, scope,
// device) and its clock and seq as the store keeps them.
type heldBinding struct {
	b            Binding
	names        [3]int64
	lamport, seq int64
}

// writeBindings writes the bindings PutBinding holds, in the order they
// were put: the records that have no number yet are numbered a page per
// statement (in that order, so each gets the number it got when a
// statement numbered each), then the bindings are written a page per
// statement. Once a write failed, it fails again, so the transaction never
// commits without them.
func (tx *Tx) writeBindings(ctx context.Context) error {
	p := &tx.binding
	if p.err != nil || len(p.rows) == 0 {
		return p.err
	}
	rows := p.rows
	p.rows = nil // the statements below write nothing held
	clear(p.at)
	if err := tx.numberHeld(ctx, rows); err != nil {
		p.err = err
		return err
	}
	args := make([]any, 0, 6*min(len(rows), addPages[0]))
	for left := rows; len(left) > 0; {
		page := left[:pageOf(len(left))]
		args = args[:0]
		for _, r := range page {
			args = append(args, tx.entities[r.b.Entity], r.names[0], r.names[1], r.lamport, r.names[2], r.seq)
		}
		if _, err := tx.tx.Tx.ExecContext(ctx, putBindings[len(page)], args...); err != nil {
			p.err = wrap(fmt.Sprintf("put bindings of %s…", page[0].b.Entity), err)
			return p.err
		}
		left = left[len(page):]
	}
	p.rows = rows[:0]
	return nil
}

// numberHeld numbers the records of held bindings that have no number.
func (tx *Tx) numberHeld(ctx context.Context, rows []heldBinding) error {
	var ids []string
	for _, r := range rows {
		id := r.b.Entity
		n, known := tx.entities[id]
		if !known {
			var err error
			if n, err = tx.entityNumber(ctx, id, false); err != nil {
				return wrap("put binding of "+id, err)
			}
		}
		if n == 0 {
			ids = append(ids, id)
		}
	}
	if tx.fresh == nil && len(ids) > 0 {
		tx.fresh = map[int64]uint8{}
	}
	return byKeyPages(ids, func(page []string, args []any) error {
		rs, err := tx.tx.Tx.QueryContext(ctx, numberEntities[len(page)], args...)
		if err != nil {
			return wrap(fmt.Sprintf("number records %s…", page[0]), err)
		}
		defer rs.Close()
		got := 0
		for rs.Next() {
			var id idColumn
			var n int64
			if err := rs.Scan(&id, &n); err != nil {
				return wrap(fmt.Sprintf("number records %s…", page[0]), err)
			}
			tx.entities[string(id)] = n
			tx.fresh[n] = noState | noTokens
			got++
		}
		if err := rs.Err(); err != nil {
			return wrap(fmt.Sprintf("number records %s…", page[0]), err)
		}
		if got != len(page) {
			return fmt.Errorf("store: number records %s…: %d numbers for %d records", page[0], got, len(page))
		}
		return nil
	})
}

// putBindings and numberEntities hold writeBindings' statements for each
// of addPages' sizes.
var putBindings, numberEntities = func() (map[int]string, map[int]string) {
	put, number := map[int]string{}, map[int]string{}
	for _, n := range addPages {
		put[n] = `INSERT INTO bindings (entity, kind, scope, lamport, device, seq) VALUES ` +
			strings.Repeat("(?, ?, ?, ?, ?, ?), ", n-1) + `(?, ?, ?, ?, ?, ?)
			ON CONFLICT (entity) DO UPDATE SET kind = excluded.kind, scope = excluded.scope,
				lamport = excluded.lamport, device = excluded.device, seq = excluded.seq`
		number[n] = `INSERT INTO entity_numbers (id) VALUES ` + strings.Repeat("(?), ", n-1) + `(?) RETURNING id, n`
	}
	return put, number
}()

// ReadBindings reads the bindings of these entities a page per statement
// (issue 17: a catch-up looked each record's binding up on its own, and
// found none for most); Binding then answers from what it read for the
// rest of the transaction, and each entity's number is known
// (entityNumber).
func (tx *Tx) ReadBindings(ctx context.Context, entities []string) error {
	if err := tx.writeBindings(ctx); err != nil { // as Entities
		return err
	}
	if tx.bindings == nil {
		tx.bindings = map[string]Binding{}
	}
	if tx.entities == nil {
		tx.entities = map[string]int64{}
	}
	ask := make([]string, 0, len(entities))
	for _, id := range entities {
		if _, read := tx.bindings[id]; !read {
			tx.bindings[id] = Binding{} // none, unless read below
			ask = append(ask, id)
		}
	}
	return byKeyPages(ask, func(page []string, args []any) error {
		for _, id := range page {
			if _, known := tx.entities[id]; !known {
				tx.entities[id] = 0 // unless numbered below
			}
		}
		if err := tx.readBindings(ctx, bindingsIn[len(page)], args); err != nil {
			return wrap(fmt.Sprintf("bindings of %s…", page[0]), err)
		}
		return nil
	})
}

// readBindings reads one page of ReadBindings.
func (tx *Tx) readBindings(ctx context.Context, query string, args []any) error {
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id idColumn
		var num int64
		var kind, scope, device sql.NullString
		var lamport, seq sql.NullInt64
		if err := rows.Scan(&id, &num, &kind, &scope, &lamport, &device, &seq); err != nil {
			return err
		}
		tx.entities[string(id)] = num
		if kind.Valid {
			tx.bindings[string(id)] = Binding{Entity: string(id), Kind: kind.String, Scope: scope.String,
				Lamport: uint64(lamport.Int64), Device: device.String, Seq: uint64(seq.Int64)}
		}
	}
	return rows.Err()
}

// bindingsIn holds ReadBindings' query for each of addPages' sizes.
var bindingsIn = func() map[int]string {
	m := map[int]string{}
	for _, n := range addPages {
		m[n] = `SELECT i.id, i.n, k.name, s.name, b.lamport, d.name, b.seq
			FROM entity_numbers i LEFT JOIN bindings b ON b.entity = i.n
			LEFT JOIN names k ON k.n = b.kind LEFT JOIN names s ON s.n = b.scope LEFT JOIN names d ON d.n = b.device
			WHERE i.id IN (` + strings.Repeat("?, ", n-1) + `?)`
	}
	return m
}()

// DeleteBinding removes the binding of entity (none is no error).
func (tx *Tx) DeleteBinding(ctx context.Context, entity string) error {
	if tx.bindings != nil {
		tx.bindings[entity] = Binding{}
	}
	n, err := tx.entityNumber(ctx, entity, false)
	if err == nil && n != 0 {
		_, err = tx.tx.ExecContext(ctx, `DELETE FROM bindings WHERE entity = ?`, n)
	}
	return wrap("delete binding of "+entity, err)
}

// DeviceOwner returns the author a device belongs to, or ErrNotFound.
func (tx *Tx) DeviceOwner(ctx context.Context, device string) (string, error) {
	var author string
	err := tx.tx.QueryRowContext(ctx, `SELECT author FROM devices WHERE device = ?`, device).Scan(&author)
	return author, wrap("owner of device "+device, err)
}

// PutDevice records that device belongs to author. Recording the same
// owner again is no error; another owner of a device already recorded
// fails with ErrConflict and changes nothing.
func (tx *Tx) PutDevice(ctx context.Context, device, author string) error {
	op := "put device " + device
	if device == "" || author == "" {
		return invalid("put device: device and author are required")
	}
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO devices (device, author) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		device, author); err != nil {
		return wrap(op, err)
	}
	owner, err := tx.DeviceOwner(ctx, device)
	switch {
	case err != nil:
		return err
	case owner != author:
		return fmt.Errorf("%w: device %s belongs to %s, not %s", ErrConflict, device, owner, author)
	}
	return nil
}

// DevicesOf returns the devices that belong to author, in order.
func (tx *Tx) DevicesOf(ctx context.Context, author string) ([]string, error) {
	op := "devices of " + author
	rows, err := tx.tx.QueryContext(ctx, `SELECT device FROM devices WHERE author = ? ORDER BY device`, author)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, d)
	}
	return out, wrap(op, rows.Err())
}

// DeleteEntity removes an entity's state and its blind-index tokens (an
// unknown id is no error): the replica rebuilds a record from its remaining
// events after some of them were refused.
func (tx *Tx) DeleteEntity(ctx context.Context, id string) error {
	op := "delete entity " + id
	if err := tx.dropIndex(ctx, id); err != nil {
		return err
	}
	n, err := tx.entityNumber(ctx, id, false)
	if err == nil && n != 0 {
		_, err = tx.tx.ExecContext(ctx, `DELETE FROM entities WHERE n = ?`, n)
		tx.seal.deleting = true
	}
	return wrap(op, err)
}

// DeleteDevice forgets which member device belongs to (an unknown device
// is no error): the directory gave it to another member, or to nobody.
func (tx *Tx) DeleteDevice(ctx context.Context, device string) error {
	_, err := tx.tx.ExecContext(ctx, `DELETE FROM devices WHERE device = ?`, device)
	return wrap("delete device "+device, err)
}
