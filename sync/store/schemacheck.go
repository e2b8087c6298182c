package store

// The file's triggers (session 23, h-sealc23): a trigger stored in the
// file runs on Medihaven's own connection, inside its sealed writes, and
// what it writes is marked like any write of the store's
// (sealrows.go): one added by whoever edits the file while Medihaven is
// closed (an allergy's row deleted at the next event stored) would be
// sealed as the store's own. Open keeps only the triggers the store's
// migrations write, as they write them: any other is dropped, and one of
// its own that was changed or dropped is written again, before the first
// write (TestAttackS23sFileTriggerWritesUnderTheSeal). What it found is
// TakeSchemaAltered.

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ownTriggers is, by name, the SQL of every trigger the migrations write,
// as a new store holds them (a store migrated in memory, once a process).
var ownTriggers = sync.OnceValues(func() (map[string]string, error) {
	ctx := context.Background()
	mem, err := sql.Open("sqlite3", "file:medihaven-own-schema?mode=memory")
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	mem.SetMaxOpenConns(1)
	mem.SetConnMaxIdleTime(0)
	if err := migrate(ctx, mem); err != nil {
		return nil, err
	}
	return triggersOf(ctx, mem)
})

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// triggersOf is, by name, the SQL of the main schema's triggers.
func triggersOf(ctx context.Context, q querier) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, sql FROM main.sqlite_schema WHERE type = 'trigger'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name string
		var q sql.NullString
		if err := rows.Scan(&name, &q); err != nil {
			return nil, err
		}
		out[name] = q.String
	}
	return out, rows.Err()
}

// sameSQL compares two triggers' SQL up to case, spacing and quotes.
func sameSQL(a, b string) bool {
	norm := func(s string) string {
		s = strings.NewReplacer(`"`, "", "`", "", "[", "", "]", "").Replace(strings.ToLower(s))
		return strings.Join(strings.Fields(s), " ")
	}
	return norm(a) == norm(b)
}

// keepOwnTriggers drops every trigger of the file that is not one of the
// store's own as its migrations write it, writes those missing or changed
// again, and returns their names (none: the file is as the store left it).
func keepOwnTriggers(ctx context.Context, writer *sql.DB) ([]string, error) {
	own, err := ownTriggers()
	if err != nil {
		return nil, fmt.Errorf("store: the schema's own triggers: %w", err)
	}
	tx, err := writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrap("check triggers", err)
	}
	defer tx.Rollback() //nolint:errcheck // committed below, or the error is the one to report
	found, err := triggersOf(ctx, tx)
	if err != nil {
		return nil, wrap("check triggers", err)
	}
	var altered []string
	for name, q := range found {
		if want, ok := own[name]; ok && sameSQL(q, want) {
			continue
		}
		altered = append(altered, name)
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER main."`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return nil, wrap("drop trigger "+name, err)
		}
	}
	for name, want := range own {
		if q, ok := found[name]; ok && sameSQL(q, want) {
			continue
		}
		if _, ok := found[name]; !ok {
			altered = append(altered, name)
		}
		if _, err := tx.ExecContext(ctx, want); err != nil {
			return nil, wrap("write trigger "+name+" again", err)
		}
	}
	if len(altered) == 0 {
		return nil, nil
	}
	sort.Strings(altered)
	return altered, wrap("check triggers", tx.Commit())
}
