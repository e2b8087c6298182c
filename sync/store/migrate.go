package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// migrationFiles holds the schema, one numbered script per version:
// migrations/0001_init.sql, 0002_....sql, applied in order. A script is
// never edited once released; a change is a new script.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// applicationID marks a SQLite file as a Medihaven profile database
// ('MHVN'); migrations/0001_init.sql sets it.
const applicationID = 0x4D48564E

// migration is one schema script and the user_version it brings the file to.
type migration struct {
	version int
	name    string
	script  string
}

// migrations returns the embedded scripts in version order. Their numbers
// must run 1, 2, 3 without gaps, so a file's user_version says exactly
// which scripts it has.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("store: list migrations: %w", err)
	}
	ms := make([]migration, 0, len(names)) // fs.Glob returns names sorted
	for i, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			return nil, fmt.Errorf("store: migration %s: want a name starting %04d_", base, i+1)
		}
		script, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", base, err)
		}
		ms = append(ms, migration{version: v, name: base, script: string(script)})
	}
	return ms, nil
}

// identity is what a file says about itself.
type identity struct {
	appID   int64
	version int
	objects int // tables, indexes, triggers and views in the schema
}

const identityQuery = `SELECT
	(SELECT application_id FROM pragma_application_id),
	(SELECT user_version FROM pragma_user_version),
	(SELECT count(*) FROM sqlite_schema)`

func readIdentity(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (identity, error) {
	var id identity
	err := q.QueryRowContext(ctx, identityQuery).Scan(&id.appID, &id.version, &id.objects)
	return id, wrap("read schema version", err)
}

// check says whether a file with this identity is one this binary can open:
// an empty database, or ours at a version it knows.
func (id identity) check(known int) error {
	switch {
	case id.empty():
		return nil // a new, empty file
	case id.appID != applicationID:
		return ErrNotStore
	case id.version > known:
		return fmt.Errorf("%w (its schema is version %d, this Medihaven knows up to %d)", ErrNewer, id.version, known)
	}
	return nil
}

// identify checks, without writing anything, that the file at dsn is one
// Open may migrate and use, and reports whether it is new (empty).
func identify(ctx context.Context, dsn string) (fresh bool, err error) {
	ms, err := migrations()
	if err != nil {
		return false, err
	}
	probe, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return false, wrap("identify", err)
	}
	defer probe.Close()
	id, err := readIdentity(ctx, probe)
	if err != nil {
		return false, err
	}
	return id.empty(), id.check(len(ms))
}

// empty reports whether the file holds nothing yet.
func (id identity) empty() bool { return id.appID == 0 && id.version == 0 && id.objects == 0 }

// migrate applies every script the file lacks, each in its own transaction
// together with the user_version that records it, so a crash leaves the
// file at one version or the next, never in between. The identity is read
// again inside each transaction, so two processes opening a new file at
// once apply each script once.
func migrate(ctx context.Context, writer *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		err := run(ctx, writer.BeginTx, &names{}, "migrate", nil, nil, func(tx *Tx) error {
			id, err := readIdentity(ctx, tx.tx)
			if err != nil {
				return err
			}
			if err := id.check(len(ms)); err != nil {
				return err
			}
			if id.version >= m.version {
				return nil
			}
			if _, err := tx.tx.ExecContext(ctx, m.script); err != nil {
				return wrap("migrate: "+m.name, err)
			}
			// PRAGMA takes no parameters; m.version is our own integer.
			_, err = tx.tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return wrap("migrate: "+m.name+": set version", err)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
