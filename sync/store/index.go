package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Blind-index tokens are keyed HMACs (16 bytes from crypto) of normalised
// search terms; only a holder of the scope's key can compute one, so the
// store can match them without learning the terms. It keeps the first 64
// bits of each (migrations/0004_postings.sql): two terms may then share a
// token, one time in 2^64, so whoever searches checks what it decrypts.
const (
	// MaxTokenSize is the longest token the index accepts.
	MaxTokenSize = 64
	// MaxLookupTokens is the most tokens one Lookup may combine.
	MaxLookupTokens = 64
	// MetaReindex is set when the index must be written again from the
	// records (the schema changed how tokens are kept, or what a kind's
	// records are indexed by); the replica does it on open and deletes
	// it. Its value names the kinds to index again (ReindexKinds).
	MetaReindex = "store/reindex"
)

// ReindexKinds reads MetaReindex's value: the kinds whose records must be
// indexed again, separated by commas, or nil for every record (the single
// byte 1).
func ReindexKinds(value []byte) []string {
	if len(value) == 0 || len(value) == 1 && value[0] == 1 {
		return nil
	}
	return strings.Split(string(value), ",")
}

// tokenInt is the part of a token the index keeps: its first 64 bits.
func tokenInt(t []byte) int64 {
	var b [8]byte
	copy(b[:], t)
	return int64(binary.BigEndian.Uint64(b[:]))
}

// tokenSet returns the distinct truncated tokens, in order.
func tokenSet(tokens [][]byte) []int64 {
	out := make([]int64, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, tokenInt(t))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func packTokens(ts []int64) []byte {
	b := make([]byte, 8*len(ts))
	for i, t := range ts {
		binary.BigEndian.PutUint64(b[8*i:], uint64(t))
	}
	return b
}

func unpackTokens(b []byte) []int64 {
	out := make([]int64, len(b)/8)
	for i := range out {
		out[i] = int64(binary.BigEndian.Uint64(b[8*i:]))
	}
	return out
}

// posting is one (token, entity number) row.
type posting struct{ token, entity int64 }

// SetIndex replaces the tokens that point at entity with tokens
// (duplicates are stored once; none removes the entity from the index).
func (tx *Tx) SetIndex(ctx context.Context, entity string, tokens [][]byte) error {
	return tx.SetIndexes(ctx, map[string][][]byte{entity: tokens})
}

// SetIndexes replaces the tokens of many entities at once (a catch-up):
// only the postings that change are written, the new ones in token order,
// many per statement, so the index grows by appending rather than by
// random inserts.
func (tx *Tx) SetIndexes(ctx context.Context, byEntity map[string][][]byte) error {
	var drop []posting
	many := 0
	for _, tokens := range byEntity {
		many += len(tokens)
	}
	// A catch-up's transaction adds some 200,000 postings: grown by
	// appending, the slice was allocated again and again (fresh memory
	// from the system each time, cleared: 1 s of CPU in the newcomer's
	// apply).
	add := make([]posting, 0, many)
	// Each entity's tokens as they are now, written after the loop.
	var set []entityTokensRow
	var unset []int64
	for entity, tokens := range byEntity {
		op := "set index of " + entity
		if entity == "" {
			return invalid("set index: empty entity id")
		}
		if err := checkTokens(op, tokens); err != nil {
			return err
		}
		n, old, err := tx.entityTokens(ctx, entity, len(tokens) > 0)
		if err != nil {
			return wrap(op, err)
		}
		if n == 0 || len(old) == 0 && len(tokens) == 0 {
			continue // not indexed, and nothing to index
		}
		now := tokenSet(tokens)
		for _, t := range old {
			if _, found := slices.BinarySearch(now, t); !found {
				drop = append(drop, posting{t, n})
			}
		}
		for _, t := range now {
			if _, found := slices.BinarySearch(old, t); !found {
				add = append(add, posting{t, n})
			}
		}
		if len(now) == 0 {
			unset = append(unset, n)
		} else if !slices.Equal(old, now) {
			set = append(set, entityTokensRow{n, packTokens(now)})
		}
	}
	if err := tx.entityTokensSet(ctx, set, unset); err != nil {
		return err
	}
	byToken := func(a, b posting) int {
		return cmp.Or(cmp.Compare(a.token, b.token), cmp.Compare(a.entity, b.entity))
	}
	slices.SortFunc(drop, byToken)
	slices.SortFunc(add, byToken)
	if err := tx.postings(ctx, `DELETE FROM postings WHERE (token, entity) IN (VALUES `, `)`, drop); err != nil {
		return err
	}
	tx.markPostings(drop)
	tx.markPostings(add)
	return tx.postings(ctx, `INSERT INTO postings (token, entity) VALUES `, ` ON CONFLICT DO NOTHING`, add)
}

// entityTokensRow is an entity's number and the tokens it carries, packed.
type entityTokensRow struct {
	n      int64
	tokens []byte
}

// entityTokensSet writes the tokens entities carry now (set), and that
// the entities numbered unset carry none. The rows are written in number
// order, a page per statement (issue 17: a catch-up indexes thousands of
// records at once, and a statement each was a sixth of what its index
// cost).
func (tx *Tx) entityTokensSet(ctx context.Context, set []entityTokensRow, unset []int64) error {
	slices.SortFunc(set, func(a, b entityTokensRow) int { return cmp.Compare(a.n, b.n) })
	args := make([]any, 0, 2*min(len(set), addPages[0]))
	for len(set) > 0 {
		page := set[:pageOf(len(set))]
		args = args[:0]
		for _, r := range page {
			args = append(args, r.n, r.tokens)
		}
		if _, err := tx.tx.ExecContext(ctx, setEntityTokens[len(page)], args...); err != nil {
			return wrap(fmt.Sprintf("set index of entity %d…", page[0].n), err)
		}
		for _, r := range page {
			tx.has(r.n, noTokens)
		}
		set = set[len(page):]
	}
	for _, n := range unset {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM entity_tokens WHERE entity = ?`, n); err != nil {
			return wrap(fmt.Sprintf("unset index of entity %d", n), err)
		}
	}
	return nil
}

// setEntityTokens holds entityTokensSet's statement for each of addPages'
// sizes.
var setEntityTokens = func() map[int]string {
	m := map[int]string{}
	for _, n := range addPages {
		m[n] = `INSERT INTO entity_tokens (entity, tokens) VALUES ` + strings.Repeat("(?, ?), ", n-1) + `(?, ?)
			ON CONFLICT (entity) DO UPDATE SET tokens = excluded.tokens`
	}
	return m
}()

// postings runs head (?, ?), (?, ?)... tail over ps, many per statement.
func (tx *Tx) postings(ctx context.Context, head, tail string, ps []posting) error {
	const perStatement = 400 // well under SQLite's limit of bound variables
	// The statement of a whole chunk, the same for each.
	var full string
	args := make([]any, 0, 2*min(perStatement, len(ps)))
	for start := 0; start < len(ps); start += perStatement {
		chunk := ps[start:min(start+perStatement, len(ps))]
		args = args[:0]
		for _, p := range chunk {
			args = append(args, p.token, p.entity)
		}
		q := full
		if q == "" || len(chunk) < perStatement {
			q = head + strings.Repeat("(?, ?), ", len(chunk)-1) + "(?, ?)" + tail
		}
		if len(chunk) == perStatement {
			full = q
		}
		if _, err := tx.tx.ExecContext(ctx, q, args...); err != nil {
			return wrap("set indexes", err)
		}
	}
	return nil
}

// entityTokens returns entity's number (numbering it when create) and the
// tokens it carries now; 0 when it has no number and create is false.
func (tx *Tx) entityTokens(ctx context.Context, entity string, create bool) (int64, []int64, error) {
	n, err := tx.entityNumber(ctx, entity, create)
	if err != nil || n == 0 || tx.lacks(n, noTokens) {
		return n, nil, err
	}
	var b []byte
	err = tx.tx.QueryRowContext(ctx, `SELECT tokens FROM entity_tokens WHERE entity = ?`, n).Scan(&b)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, err
	}
	return n, unpackTokens(b), nil
}

// Lookup returns the ids of the entities that carry every one of tokens,
// in the order they were first indexed, at most limit of them (0 or less:
// all).
func (tx *Tx) Lookup(ctx context.Context, tokens [][]byte, limit int) ([]string, error) {
	ids, _, err := tx.LookupAfter(ctx, tokens, "", limit)
	return ids, err
}

// LookupAfter is Lookup from after on: the page of results that follows
// the one ending with entity after ("" for the first page). next is the
// entity to ask after for the page after this one ("" when there is none).
func (tx *Tx) LookupAfter(ctx context.Context, tokens [][]byte, after string, limit int) (ids []string, next string, err error) {
	err = tx.lookup(ctx, tokens, after, limit, `SELECT e.id FROM postings t JOIN entity_numbers e ON e.n = t.entity`,
		func(rows *sql.Rows) error {
			var id idColumn
			err := rows.Scan(&id)
			ids = append(ids, string(id))
			return err
		})
	if err != nil {
		return nil, "", err
	}
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
		next = ids[limit-1]
	}
	return ids, next, nil
}

// LookupEntities is LookupAfter returning the entities found, state and
// all, in the same walk: a search that opens what it found reads each
// record once, by number.
func (tx *Tx) LookupEntities(ctx context.Context, tokens [][]byte, after string, limit int) (found []Entity, next string, err error) {
	err = tx.lookup(ctx, tokens, after, limit, `SELECT e.id, k.name, s.name, x.state, x.lamport, x.updated
		FROM postings t JOIN entity_numbers e ON e.n = t.entity JOIN entities x ON x.n = t.entity
		JOIN names k ON k.n = x.kind JOIN names s ON s.n = x.scope`,
		func(rows *sql.Rows) error {
			e, err := scanEntity(rows)
			found = append(found, e)
			return err
		})
	if err != nil {
		return nil, "", err
	}
	if limit > 0 && len(found) > limit {
		found = found[:limit]
		next = found[limit-1].ID
	}
	return found, next, nil
}

// lookup walks the entities that carry every one of tokens, after the
// entity after, at most limit+1 of them (one more: is there a next page?),
// selecting them with head (postings t, entity_numbers e) and handing
// each row to scan.
func (tx *Tx) lookup(ctx context.Context, tokens [][]byte, after string, limit int, head string, scan func(*sql.Rows) error) error {
	const op = "lookup"
	switch {
	case len(tokens) == 0:
		return invalid("lookup: no search tokens")
	case len(tokens) > MaxLookupTokens:
		return invalid("lookup: %d search tokens, at most %d", len(tokens), MaxLookupTokens)
	}
	if err := checkTokens(op, tokens); err != nil {
		return err
	}
	list, err := tx.rarestFirst(ctx, tokenSet(tokens))
	if err != nil || len(list) == 0 {
		return err
	}
	var from int64
	if after != "" {
		if from, err = tx.entityNumber(ctx, after, false); err != nil || from == 0 {
			return wrap(op, cmp.Or(err, sql.ErrNoRows))
		}
	}
	// Walk the rarest token's entities in number order (the primary key's
	// order) and keep those that carry every other token: one index probe
	// per other token, rarest first, so most entities drop out at the first
	// probe; LIMIT stops the walk early.
	var query strings.Builder
	query.WriteString(head + ` WHERE t.token = ? AND t.entity > ?`)
	args := make([]any, 0, len(list)+2)
	args = append(args, list[0], from)
	for _, t := range list[1:] {
		query.WriteString(` AND EXISTS (SELECT 1 FROM postings WHERE token = ? AND entity = t.entity)`)
		args = append(args, t)
	}
	query.WriteString(` ORDER BY t.entity LIMIT ?`)
	if limit > 0 {
		args = append(args, limit+1)
	} else {
		args = append(args, -1)
	}
	rows, err := tx.tx.QueryContext(ctx, query.String(), args...)
	if err != nil {
		return wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return wrap(op, err)
		}
	}
	return wrap(op, rows.Err())
}

// countCaps bound the postings counted per token: first a few, which is
// enough when one token is rare (a family name, a birth date, a phone);
// more only when every token is common, where which list is shorter
// matters little next to the walk over it.
var countCaps = []int{64, 5000}

// rarestFirst returns tokens rarest first (the one carried by the fewest
// entities, counted up to a cap), or none when one of them is carried by
// no entity at all. Lookup's walk costs one step per entity of the first
// token, whatever the others are.
func (tx *Tx) rarestFirst(ctx context.Context, tokens []int64) ([]int64, error) {
	counts := make(map[int64]int, len(tokens))
	list := slices.Clone(tokens)
	for _, limit := range countCaps {
		if len(tokens) == 1 {
			limit = 1 // only whether it is carried at all
		}
		for _, t := range tokens {
			var n int
			err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM postings WHERE token = ? LIMIT ?)`, t, limit).Scan(&n)
			if err != nil {
				return nil, wrap("lookup: count tokens", err)
			}
			if n == 0 {
				return nil, nil
			}
			counts[t] = n
		}
		slices.SortFunc(list, func(a, b int64) int { return cmp.Or(cmp.Compare(counts[a], counts[b]), cmp.Compare(a, b)) })
		if counts[list[0]] < limit || len(tokens) == 1 {
			break
		}
	}
	return list, nil
}

func checkTokens(op string, tokens [][]byte) error {
	for i, t := range tokens {
		if len(t) == 0 || len(t) > MaxTokenSize {
			return invalid("%s: token %d is %d bytes, want 1 to %d", op, i, len(t), MaxTokenSize)
		}
	}
	return nil
}

// dropIndex removes entity from the index.
func (tx *Tx) dropIndex(ctx context.Context, entity string) error {
	return tx.SetIndexes(ctx, map[string][][]byte{entity: nil})
}
