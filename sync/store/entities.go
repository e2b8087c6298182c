package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Entity is the current state of one patient, appointment, note or other
// record, sealed by the app with the device key; the store sees only its
// id, kind and scope.
type Entity struct {
	ID      string
	Kind    string
	Scope   string
	State   []byte // sealed
	Lamport uint64 // highest Lamport clock applied to it
	Updated int64  // unix milliseconds
}

// An entity's row is keyed by its number, its kind and scope are numbered
// names (names.go): the id is kept once, in entity_numbers.
const entitySelect = `SELECT i.id, k.name, s.name, e.state, e.lamport, e.updated
	FROM entities e JOIN entity_numbers i ON i.n = e.n JOIN names k ON k.n = e.kind JOIN names s ON s.n = e.scope`

// PutEntity stores e, replacing the entity with the same ID.
func (tx *Tx) PutEntity(ctx context.Context, e Entity) error {
	return tx.PutEntities(ctx, []Entity{e})
}

// PutEntities stores es in order, each replacing the entity with the same
// ID, a page of rows per statement (issue 17: a catch-up keeps thousands
// of records at once, and a statement each was a twentieth of the serial
// store work of opening a newcomer's history).
func (tx *Tx) PutEntities(ctx context.Context, es []Entity) error {
	args := make([]any, 0, 6*min(len(es), addPages[0]))
	nums := make([]int64, 0, min(len(es), addPages[0]))
	for len(es) > 0 {
		page := es[:pageOf(len(es))]
		args, nums = args[:0], nums[:0]
		for _, e := range page {
			var n int64
			var err error
			if args, n, err = tx.entityRow(ctx, args, e); err != nil {
				return err
			}
			nums = append(nums, n)
		}
		if _, err := tx.tx.ExecContext(ctx, putEntities[len(page)], args...); err != nil {
			return wrap(fmt.Sprintf("put entities %s…", page[0].ID), err)
		}
		for _, n := range nums {
			tx.has(n, noState)
		}
		es = es[len(page):]
	}
	return nil
}

// entityRow checks e and appends its row's values to args, numbering its
// id, kind and scope when they have no number yet; n is its number.
func (tx *Tx) entityRow(ctx context.Context, args []any, e Entity) (_ []any, n int64, _ error) {
	op := "put entity " + e.ID
	if e.ID == "" || e.Kind == "" {
		return nil, 0, invalid("put entity: id and kind are required")
	}
	tx.touchedKind(e.Kind)
	lamport, err := dbInt(op+": lamport", e.Lamport)
	if err != nil {
		return nil, 0, err
	}
	n, err = tx.entityNumber(ctx, e.ID, true)
	if err != nil {
		return nil, 0, wrap(op, err)
	}
	kind, err := tx.nameNumber(ctx, e.Kind, true)
	if err != nil {
		return nil, 0, err
	}
	scope, err := tx.nameNumber(ctx, e.Scope, true)
	if err != nil {
		return nil, 0, err
	}
	return append(args, n, kind, scope, blob(e.State), lamport, e.Updated), n, nil
}

// putEntities holds PutEntities' statement for each of addPages' sizes.
var putEntities = func() map[int]string {
	m := map[int]string{}
	for _, n := range addPages {
		m[n] = `INSERT INTO entities (n, kind, scope, state, lamport, updated) VALUES ` +
			strings.Repeat("(?, ?, ?, ?, ?, ?), ", n-1) + `(?, ?, ?, ?, ?, ?)
			ON CONFLICT (n) DO UPDATE SET kind = excluded.kind, scope = excluded.scope,
				state = excluded.state, lamport = excluded.lamport, updated = excluded.updated`
	}
	return m
}()

// Entity returns the entity with this id, or ErrNotFound.
func (tx *Tx) Entity(ctx context.Context, id string) (Entity, error) {
	op := "entity " + id
	n, err := tx.entityNumber(ctx, id, false)
	if err != nil {
		return Entity{}, wrap(op, err)
	}
	if n == 0 || tx.lacks(n, noState) {
		return Entity{}, wrap(op, sql.ErrNoRows)
	}
	e := Entity{ID: id}
	err = tx.tx.QueryRowContext(ctx, `SELECT k.name, s.name, e.state, e.lamport, e.updated
		FROM entities e JOIN names k ON k.n = e.kind JOIN names s ON s.n = e.scope WHERE e.n = ?`, n).
		Scan(&e.Kind, &e.Scope, &e.State, &e.Lamport, &e.Updated)
	if err != nil {
		return Entity{}, wrap(op, err)
	}
	return e, nil
}

// EntitiesOfKind returns one page of the entities of a kind, ordered by
// ID so that pages follow each other: at most limit (0 or less: all),
// after skipping offset.
func (tx *Tx) EntitiesOfKind(ctx context.Context, kind string, limit, offset int) ([]Entity, error) {
	op := "entities of kind " + kind
	k, err := tx.nameNumber(ctx, kind, false)
	if err != nil || k == 0 {
		return nil, err
	}
	return tx.entityList(ctx, op, entitySelect+` WHERE e.kind = ? ORDER BY i.id LIMIT ? OFFSET ?`,
		k, sqlLimit(limit), max(offset, 0))
}

func (tx *Tx) entityList(ctx context.Context, op, query string, args ...any) ([]Entity, error) {
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var list []Entity
	for rows.Next() {
		e, err := scanEntity(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		list = append(list, e)
	}
	return list, wrap(op, rows.Err())
}

// CountEntities returns how many entities of a kind are stored; an empty
// kind counts them all.
func (tx *Tx) CountEntities(ctx context.Context, kind string) (int, error) {
	query, args := `SELECT count(*) FROM entities WHERE kind = (SELECT n FROM names WHERE name = ?)`, []any{kind}
	if kind == "" {
		query, args = `SELECT count(*) FROM entities`, nil
	}
	var n int
	err := tx.tx.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, wrap("count entities "+kind, err)
}

// scanEntity reads one row selected with entitySelect.
func scanEntity(row interface{ Scan(...any) error }) (Entity, error) {
	var e Entity
	var id idColumn
	err := row.Scan(&id, &e.Kind, &e.Scope, &e.State, &e.Lamport, &e.Updated)
	e.ID = string(id)
	return e, err
}

// EntitiesAfter returns the entities whose ID comes after after ("" for
// the first), in ID order, at most limit: every entity, a page at a time.
func (tx *Tx) EntitiesAfter(ctx context.Context, after string, limit int) ([]Entity, error) {
	return tx.entityList(ctx, "entities", entitySelect+` WHERE i.id > ? ORDER BY i.id LIMIT ?`, idKey(after), sqlLimit(limit))
}

// EntitiesOfKindAfter returns the entities of a kind in the order they
// were first stored, after the entity after ("" for the first), at most
// limit: one kind's records a page at a time, reading no other record.
func (tx *Tx) EntitiesOfKindAfter(ctx context.Context, kind, after string, limit int) ([]Entity, error) {
	op := "entities of kind " + kind
	k, err := tx.nameNumber(ctx, kind, false)
	if err != nil || k == 0 {
		return nil, err
	}
	var from int64
	if after != "" {
		// An unknown after would start the pages again (LookupAfter alike).
		if from, err = tx.entityNumber(ctx, after, false); err != nil || from == 0 {
			return nil, wrap(op, cmp.Or(err, sql.ErrNoRows))
		}
	}
	return tx.entityList(ctx, op, entitySelect+` WHERE e.kind = ? AND e.n > ? ORDER BY e.n LIMIT ?`, k, from, sqlLimit(limit))
}

// Entities returns the stored entities with these ids, by id (an id with
// no state is left out), reading a page of them per statement: a catch-up
// merges thousands of records at once, and one read each was a sixth of
// its work. What it learns of each id (its number, or that it has none,
// no state or no index terms yet) serves the rest of the transaction, as
// Entity's does.
func (tx *Tx) Entities(ctx context.Context, ids []string) (map[string]Entity, error) {
	// The bindings PutBinding holds are written (and their records
	// numbered) first: each page below forgets its ids' numbers until its
	// read gives them back.
	if err := tx.writeBindings(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]Entity, len(ids))
	ask := make([]string, 0, len(ids))
	for _, id := range ids {
		if n, known := tx.entities[id]; known && (n == 0 || tx.lacks(n, noState)) {
			continue
		}
		ask = append(ask, id)
	}
	if tx.entities == nil {
		tx.entities = map[string]int64{}
	}
	err := byKeyPages(ask, func(page []string, args []any) error {
		for _, id := range page {
			tx.entities[id] = 0 // unless it is found below
		}
		if err := tx.readEntities(ctx, len(page), args, out); err != nil {
			return wrap(fmt.Sprintf("entities %s…", page[0]), err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// byKeyPages calls read for ids a statement's page at a time (pageOf),
// with the page's ids and their keys (idKey) as the statement's arguments.
func byKeyPages(ids []string, read func(page []string, args []any) error) error {
	args := make([]any, 0, addPages[0])
	for len(ids) > 0 {
		n := pageOf(len(ids))
		args = args[:0]
		for _, id := range ids[:n] {
			args = append(args, idKey(id))
		}
		if err := read(ids[:n], args); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// readEntities reads the n entities whose keys are args into out.
func (tx *Tx) readEntities(ctx context.Context, n int, args []any, out map[string]Entity) error {
	rows, err := tx.tx.QueryContext(ctx, entitiesIn[n], args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id idColumn
		var num int64
		var kind, scope sql.NullString
		var lamport, updated sql.NullInt64
		var state []byte
		var tokens bool
		if err := rows.Scan(&id, &num, &kind, &scope, &state, &lamport, &updated, &tokens); err != nil {
			return err
		}
		tx.entities[string(id)] = num
		var lacks uint8
		if !kind.Valid {
			lacks |= noState
		}
		if !tokens {
			lacks |= noTokens // SetIndexes need not read them
		}
		if lacks != 0 {
			if tx.fresh == nil {
				tx.fresh = map[int64]uint8{}
			}
			tx.fresh[num] |= lacks
		}
		if !kind.Valid {
			continue
		}
		out[string(id)] = Entity{ID: string(id), Kind: kind.String, Scope: scope.String, State: state,
			Lamport: uint64(lamport.Int64), Updated: updated.Int64}
	}
	return rows.Err()
}

// entitiesIn holds Entities' query for each of addPages' sizes: every id
// asked for that has a number, with its state when it has one.
var entitiesIn = func() map[int]string {
	m := map[int]string{}
	for _, n := range addPages {
		m[n] = `SELECT i.id, i.n, k.name, s.name, e.state, e.lamport, e.updated,
				EXISTS (SELECT 1 FROM entity_tokens t WHERE t.entity = i.n)
			FROM entity_numbers i LEFT JOIN entities e ON e.n = i.n
			LEFT JOIN names k ON k.n = e.kind LEFT JOIN names s ON s.n = e.scope
			WHERE i.id IN (` + strings.Repeat("?, ", n-1) + `?)`
	}
	return m
}()
