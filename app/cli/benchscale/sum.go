package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash"
	"path/filepath"
	"slices"
	"strings"

	"github.com/medihaven/medihaven/sync/replica"
)

// Checking that a change to the apply path leaves the same stored state
// (flag -sum): after `-replay KEEP -dir WORK`, `-replay KEEP -sum WORK`
// opens the replayed profile with the newcomer's keys and prints a digest
// of each part of what the apply built: the records (their states
// decrypted, their clocks), every envelope's verdict, the chains' heads,
// the devices, the bindings, the blind index (by record id, not by the
// numbers the store gave them) and the envelopes' bytes. Two replays of the same kept apply, by
// any code, must print the same lines.

// replaySum prints the digests of the profile replayed into work.
func replaySum(ctx context.Context, dir, work string) error {
	k, id, dk, err := loadKept(dir)
	if err != nil {
		return err
	}
	path := filepath.Join(work, "newcomer.db")
	// The plain tables first, read-only, before the replica opens it.
	plain, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer plain.Close()
	parts := []struct{ name, query string }{
		{"envelopes", `SELECT id, device, seq, state, reason, rule FROM envelopes ORDER BY id`},
		{"heads", `SELECT device, seq, hash, lamport FROM heads ORDER BY device`},
		{"devices", `SELECT device, author FROM devices ORDER BY device`},
		{"bindings", `SELECT i.id, k.name, s.name, b.lamport, d.name, b.seq FROM bindings b
			JOIN entity_numbers i ON i.n = b.entity JOIN names k ON k.n = b.kind JOIN names s ON s.n = b.scope
			JOIN names d ON d.n = b.device ORDER BY i.id`},
		{"postings", `SELECT p.token, i.id FROM postings p JOIN entity_numbers i ON i.n = p.entity ORDER BY p.token, i.id`},
		{"entity_tokens", `SELECT i.id, hex(t.tokens) FROM entity_tokens t JOIN entity_numbers i ON i.n = t.entity ORDER BY i.id`},
		{"entity_rows", `SELECT i.id, k.name, s.name, e.lamport FROM entities e JOIN entity_numbers i ON i.n = e.n
			JOIN names k ON k.n = e.kind JOIN names s ON s.n = e.scope ORDER BY i.id`},
		{"kinds", `SELECT DISTINCT k.name FROM entities e JOIN names k ON k.n = e.kind ORDER BY 1`},
	}
	// The envelopes' bytes, wherever the store keeps them: in the row
	// before store 0013, in envelope_bytes since (so that a binary of
	// either side digests both alike).
	var moved int
	if err := plain.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'envelope_bytes'`).Scan(&moved); err != nil {
		return err
	}
	if moved == 0 {
		parts = append(parts, struct{ name, query string }{"envelope_bytes", `SELECT id, raw FROM envelopes ORDER BY id`})
	} else {
		parts = append(parts, struct{ name, query string }{"envelope_bytes", `SELECT id, (SELECT raw FROM envelope_bytes WHERE n = body) FROM envelopes ORDER BY id`})
	}
	var kinds []string
	for _, p := range parts {
		rows, err := plain.QueryContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		h, n := sha256.New(), 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return err
			}
			line, _ := json.Marshal(vals)
			h.Write(append(line, '\n'))
			n++
			if p.name == "kinds" {
				kinds = append(kinds, asString(vals[0]))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		printSum(p.name, n, h)
	}
	plain.Close()
	db, r, err := openKept(ctx, path, k, id, dk)
	if err != nil {
		return err
	}
	defer db.Close()
	h, n := sha256.New(), 0
	for _, kind := range kinds {
		es, err := r.Entities(ctx, kind)
		if err != nil {
			return err
		}
		slices.SortFunc(es, func(a, b replica.EntityState) int { return strings.Compare(a.ID, b.ID) })
		for _, e := range es {
			line, err := json.Marshal([]any{e.ID, e.Kind, e.Scope, e.Lamport, e.State})
			if err != nil {
				return err
			}
			h.Write(append(line, '\n'))
			n++
		}
	}
	printSum("entity_states", n, h)
	return nil
}

func asString(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}

func printSum(name string, n int, h hash.Hash) {
	fmt.Printf("sum %-14s %7d rows %x\n", name, n, h.Sum(nil)[:12])
}
