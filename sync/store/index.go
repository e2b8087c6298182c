package store

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"sort"
	"strings"
)

// Blind-index tokens are keyed HMACs (16 bytes from crypto) of normalised
// search terms; only a holder of the scope's key can compute one, so the
// store can match them without learning the terms.
const (
	// MaxTokenSize is the longest token the index accepts.
	MaxTokenSize = 64
	// MaxLookupTokens is the most tokens one Lookup may combine.
	MaxLookupTokens = 64
)

// SetIndex replaces the tokens that point at entity with tokens
// (duplicates are stored once; none removes the entity from the index).
func (tx *Tx) SetIndex(ctx context.Context, entity string, tokens [][]byte) error {
	op := "set index of " + entity
	if entity == "" {
		return invalid("set index: empty entity id")
	}
	if err := checkTokens(op, tokens); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM tokens WHERE entity = ?`, entity); err != nil {
		return wrap(op, err)
	}
	if len(tokens) == 0 {
		return nil
	}
	// One statement for all of the entity's tokens: each statement costs a
	// round trip through cgo, which dominated indexing one token at a time.
	var q strings.Builder
	q.WriteString(`INSERT INTO tokens (token, entity) VALUES `)
	args := make([]any, 0, 2*len(tokens))
	for i, t := range tokens {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?)")
		args = append(args, t, entity)
	}
	q.WriteString(` ON CONFLICT DO NOTHING`)
	if _, err := tx.tx.ExecContext(ctx, q.String(), args...); err != nil {
		return wrap(op, err)
	}
	return nil
}

// Lookup returns the ids of the entities that carry every one of tokens,
// in id order, at most limit of them (0 or less: all).
func (tx *Tx) Lookup(ctx context.Context, tokens [][]byte, limit int) ([]string, error) {
	const op = "lookup"
	switch {
	case len(tokens) == 0:
		return nil, invalid("lookup: no search tokens")
	case len(tokens) > MaxLookupTokens:
		return nil, invalid("lookup: %d search tokens, at most %d", len(tokens), MaxLookupTokens)
	}
	if err := checkTokens(op, tokens); err != nil {
		return nil, err
	}
	tokens, err := tx.rarestFirst(ctx, tokens)
	if err != nil || len(tokens) == 0 {
		return nil, err
	}
	// Walk the rarest token's entities in id order (the primary key's
	// order) and keep those that carry every other token: one index probe
	// per other token, rarest first, so most entities drop out at the
	// first probe; LIMIT stops the walk early.
	var query strings.Builder
	query.WriteString(`SELECT t.entity FROM tokens t WHERE t.token = ?`)
	args := make([]any, 0, len(tokens)+1)
	args = append(args, tokens[0])
	for _, t := range tokens[1:] {
		query.WriteString(` AND EXISTS (SELECT 1 FROM tokens WHERE token = ? AND entity = t.entity)`)
		args = append(args, t)
	}
	query.WriteString(` ORDER BY t.entity LIMIT ?`)
	args = append(args, sqlLimit(limit))

	rows, err := tx.tx.QueryContext(ctx, query.String(), args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(op, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return ids, nil
}

// rarestFirst returns tokens without duplicates, rarest first (the one
// carried by the fewest entities), or none when one of them is carried by
// no entity at all. Lookup's walk costs one step per entity of the first
// token, whatever the others are.
func (tx *Tx) rarestFirst(ctx context.Context, tokens [][]byte) ([][]byte, error) {
	counts := make(map[string]int, len(tokens))
	args := make([]any, 0, len(tokens))
	for _, t := range tokens {
		if _, dup := counts[string(t)]; !dup {
			counts[string(t)] = 0
			args = append(args, t)
		}
	}
	rows, err := tx.tx.QueryContext(ctx,
		`SELECT token, n FROM token_counts WHERE token IN (?`+strings.Repeat(`, ?`, len(args)-1)+`)`, args...)
	if err != nil {
		return nil, wrap("lookup: count tokens", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t []byte
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, wrap("lookup: count tokens", err)
		}
		counts[string(t)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("lookup: count tokens", err)
	}
	list := make([][]byte, 0, len(counts))
	for t, n := range counts {
		if n == 0 {
			return nil, nil
		}
		list = append(list, []byte(t))
	}
	slices.SortFunc(list, func(a, b []byte) int {
		if c := cmp.Compare(counts[string(a)], counts[string(b)]); c != 0 {
			return c
		}
		return bytes.Compare(a, b)
	})
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

// SetIndexes replaces the tokens of many entities at once (a catch-up):
// the same as SetIndex for each, but the new tokens are written in token
// order, many per statement, so the index's B-trees grow by appending
// rather than by random inserts.
func (tx *Tx) SetIndexes(ctx context.Context, byEntity map[string][][]byte) error {
	type pair struct {
		token  []byte
		entity string
	}
	var pairs []pair
	for entity, tokens := range byEntity {
		op := "set index of " + entity
		if entity == "" {
			return invalid("set index: empty entity id")
		}
		if err := checkTokens(op, tokens); err != nil {
			return err
		}
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM tokens WHERE entity = ?`, entity); err != nil {
			return wrap(op, err)
		}
		for _, t := range tokens {
			pairs = append(pairs, pair{t, entity})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if c := bytes.Compare(pairs[i].token, pairs[j].token); c != 0 {
			return c < 0
		}
		return pairs[i].entity < pairs[j].entity
	})
	const perStatement = 400 // well under SQLite's limit of bound variables
	for start := 0; start < len(pairs); start += perStatement {
		chunk := pairs[start:min(start+perStatement, len(pairs))]
		var q strings.Builder
		q.WriteString(`INSERT INTO tokens (token, entity) VALUES `)
		args := make([]any, 0, 2*len(chunk))
		for i, p := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?)")
			args = append(args, p.token, p.entity)
		}
		q.WriteString(` ON CONFLICT DO NOTHING`)
		if _, err := tx.tx.ExecContext(ctx, q.String(), args...); err != nil {
			return wrap("set indexes", err)
		}
	}
	return nil
}
