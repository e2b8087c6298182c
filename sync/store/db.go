package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/mattn/go-sqlite3"
)

// Connection settings: WAL so readers never wait for the writer, a busy
// timeout instead of SQLITE_BUSY, immediate write transactions so two
// writers queue at BEGIN instead of failing at their first write, and a
// commit on the disk before it returns (synchronous=FULL) unless the
// transaction's writes can be fetched again (UpdateRefetchable). The
// writer's connection takes no lock of its own at each call into SQLite
// (_mutex=no): database/sql never uses a connection from two goroutines at
// once (issue 17: those locks were ~4% of the serial store work of a
// catch-up).
const (
	writerParams = "_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on&_synchronous=FULL&_txlock=immediate&_cache_size=-32768&_stmt_cache_size=128&_mutex=no"
	readerParams = "mode=ro&_busy_timeout=5000&_foreign_keys=on&_cache_size=-16384&_stmt_cache_size=64"
)

// DB is one workstation profile's database: a single writer connection and
// a pool of read-only connections on the same file. It is safe for
// concurrent use.
type DB struct {
	path    string
	writer  *sql.DB
	readers *sql.DB
	names   names // numbers of kinds, scopes and devices (names.go)
	// synchronous is the writer connection's setting (syncDurable or
	// syncRefetchable; "" when unknown), read and set only while holding
	// that one connection.
	synchronous string
	// sealer seals every write transaction before it commits (seal.go).
	sealer sealerSlot
	// hooked: the writer's connection that has the seal's row triggers
	// (sealrows.go); fold: its fold of the marks of the rows the write
	// transaction under way wrote or removed (sealmark.go).
	hooked *sqlite3.SQLiteConn
	fold   rowFold
	foldMu sync.Mutex // held from a fold's begin to its end
	// schemaAltered: what Open found (TakeSchemaAltered).
	schemaMu      sync.Mutex
	schemaAltered []string
}

// The writer's synchronous settings: FULL syncs the write-ahead log at
// every commit; NORMAL only at checkpoints, so a power cut (not a crash
// of the app) may roll back the commits since the last sync, never half
// of one.
const (
	syncDurable     = "FULL"
	syncRefetchable = "NORMAL"
)

// Tx is one transaction, from Update (read-write) or View (read-only). It
// is valid only inside the function it was given to; a write through a
// View's Tx fails with ErrReadOnly.
type Tx struct {
	tx sqlTx
	// names is the database's cache of numbered names; learned holds the
	// names this transaction numbered, kept in the cache once it commits.
	names   *names
	learned map[string]int64
	// entities holds the entity numbers this transaction looked up or
	// gave (names.go): a record's number is read once per transaction.
	entities map[string]int64
	// fresh holds the numbers this transaction gave, and what their
	// records do not have yet (noState, noTokens): a new record's state
	// and index terms are not looked for.
	fresh map[int64]uint8
	// adding holds the new envelopes AddEnvelope has not written yet.
	adding adding
	// body is the number the next envelope's bytes are stored under (0:
	// not read yet; bodies).
	body int64
	// unplaced holds what ReadPlaced found not stored, for Placed.
	unplaced unplaced
	// bindings holds the bindings ReadBindings read and this transaction
	// wrote, by entity (a zero Binding: none).
	bindings map[string]Binding
	// binding holds the bindings PutBinding has not written yet.
	binding binding
	// view: a View's transaction, on a reader.
	view bool
	// seal: what this write transaction changed that the seal follows
	// (seal.go).
	seal sealState
}

// sqlTx is a transaction's SQL. Each statement first writes the bindings
// PutBinding holds (bindings.go), so every statement of the transaction
// sees them, as it would had each been written at once.
type sqlTx struct {
	*sql.Tx
	owner *Tx
}

func (s sqlTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := s.owner.writeBindings(ctx); err != nil {
		return nil, err
	}
	return s.Tx.ExecContext(ctx, query, args...)
}

func (s sqlTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := s.owner.writeBindings(ctx); err != nil {
		return nil, err
	}
	return s.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext cannot return the bindings' write failing: it is kept,
// and the transaction's next write and its commit return it.
func (s sqlTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s.owner.writeBindings(ctx) //nolint:errcheck // kept in binding.err
	return s.Tx.QueryRowContext(ctx, query, args...)
}

// Open opens the profile database at path, creating the file (mode 0600)
// and its parent folders (mode 0700) if needed, and brings its schema up to
// date. It fails with ErrNotStore when the file is not a Medihaven profile
// database and with ErrNewer when a newer Medihaven wrote it; in both cases
// the file is left as it was.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, invalid("open: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// Create the file ourselves: SQLite would create it world-readable, and
	// its -wal and -shm files copy the mode of the database file.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}

	uri := "file:" + (&url.URL{Path: abs}).EscapedPath()
	// Look before writing anything: a file that is not ours must not be
	// switched to WAL or migrated.
	fresh, err := identify(ctx, uri+"?"+readerParams)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	if fresh {
		if err := setPageSize(ctx, uri+"?_busy_timeout=5000"); err != nil {
			return nil, wrap("open "+path, err)
		}
	}

	db := &DB{path: abs, synchronous: syncDurable}
	if db.writer, err = openPool(ctx, writerDriver, uri+"?"+writerParams, 1); err != nil {
		return nil, wrap("open "+path, err)
	}
	if err := migrate(ctx, db.writer); err != nil {
		db.writer.Close()
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	if db.schemaAltered, err = keepOwnTriggers(ctx, db.writer); err != nil {
		db.writer.Close()
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	if db.readers, err = openPool(ctx, &sqlite3.SQLiteDriver{}, uri+"?"+readerParams, max(4, runtime.NumCPU())); err != nil {
		db.writer.Close()
		return nil, wrap("open "+path, err)
	}
	return db, nil
}

// pageSize is the page size of a new profile database. Envelope rows are
// about 1.1 KB: a 4 KB page holds three and leaves a fifth of itself
// empty, an 8 KB page holds seven (issue 17: 200 bytes less per patient).
// SQLite fixes the page size when it writes the file's first page, and a
// file in WAL mode cannot change it, so profiles made before keep theirs.
const pageSize = 8192

// setPageSize gives a new, empty database file its page size, before the
// writer's connection turns it to WAL mode.
func setPageSize(ctx context.Context, dsn string) error {
	conn, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d; PRAGMA journal_mode = WAL", pageSize))
	return err
}

// writerDriver makes the writer's connections: with temporary files kept
// in memory (temp_store = MEMORY), which the writer's DSN cannot say.
// Each statement on the envelope table copies the pages it changes into
// a statement journal (its triggers make it a multi-table write, which
// SQLite must be able to undo alone), and SQLite writes a statement
// journal past 64 KiB to a temporary file: a catch-up's statements of 64
// envelopes wrote most of their pages there, 14 of the 21 KB written an
// envelope in benchscale's newcomer apply at 10,000 patients. In memory a
// statement's journal lives until the statement ends (a few MB). The
// write-ahead log's file is cut back to walSizeLimit once a checkpoint
// has emptied it (bulk.go lets it grow during bulk writes).
var writerDriver = &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
	_, err := c.Exec(fmt.Sprintf("PRAGMA temp_store = MEMORY; PRAGMA journal_size_limit = %d", walSizeLimit), nil)
	return err
}}

// connector opens connections to dsn with a driver of its own settings.
type connector struct {
	driver *sqlite3.SQLiteDriver
	dsn    string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.driver }

// openPool opens a connection pool of at most n connections made by d
// and checks that one connection works.
func openPool(ctx context.Context, d *sqlite3.SQLiteDriver, dsn string, n int) (*sql.DB, error) {
	pool := sql.OpenDB(connector{d, dsn})
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// Close closes every connection. Transactions still running fail.
func (db *DB) Close() error {
	return errors.Join(
		wrap("close readers", db.readers.Close()),
		wrap("close writer", db.writer.Close()),
	)
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Update runs fn in one write transaction and commits it if fn returns nil.
// If fn returns an error (or panics) nothing it wrote is kept, and that
// error is returned as it is. Write transactions run one at a time; fn must
// not call Update itself, and a View inside it does not see its writes.
//
// The commit is on the disk when Update returns, a power cut included:
// what a workstation writes itself (its own events, the keys it made, its
// chat queue, its settings) exists nowhere else until it is pushed, and a
// chain that lost events it had already pushed would fork.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return db.update(ctx, syncDurable, fn)
}

// UpdateRefetchable is Update for writes that can be fetched again:
// others' envelopes applied from IPFS, and what applying them derives.
// Its commit is in the write-ahead log when it returns but reaches the
// disk only at the next checkpoint or Update (synchronous=NORMAL), which
// spares a catch-up a disk flush per Apply: a power cut, not a crash of
// the app, may roll back such commits since then, never half of one, and
// the workstation fetches what they held again.
func (db *DB) UpdateRefetchable(ctx context.Context, fn func(tx *Tx) error) error {
	return db.update(ctx, syncRefetchable, fn)
}

// update runs fn in a write transaction on the writer's connection, set
// to the synchronous setting level first (outside a transaction: SQLite
// refuses to change it inside one).
func (db *DB) update(ctx context.Context, level string, fn func(tx *Tx) error) error {
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return wrap("update: begin", err)
	}
	defer conn.Close()
	if db.synchronous != level {
		db.synchronous = "" // unknown until the setting is made
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = "+level); err != nil {
			return wrap("update: begin", err)
		}
		db.synchronous = level
	}
	sealer := db.currentSealer()
	var rows *rowFold
	if sealer != nil {
		if err := conn.Raw(func(dc any) error { return db.hookRows(dc.(*sqlite3.SQLiteConn)) }); err != nil {
			return err
		}
		// A sealer whose keys were wiped (the store is closing) folds
		// nothing, as its marks were zero before.
		if key, ok := sealer.RowKey(); ok {
			// Held until the fold ends: a write whose connection the
			// driver closed on a cancelled context may still be ending
			// its fold when the next write begins on a new connection.
			db.foldMu.Lock()
			defer db.foldMu.Unlock()
			db.fold.begin(&key)
			clear(key[:])
			defer db.fold.end()
			rows = &db.fold
		}
	}
	return run(ctx, conn.BeginTx, &db.names, "update", sealer, rows, fn)
}

// View runs fn in one read-only transaction: fn sees a single consistent
// snapshot of the database, and never waits for a writer.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	return run(ctx, db.readers.BeginTx, &db.names, "view", nil, nil, fn)
}

func run(ctx context.Context, begin func(context.Context, *sql.TxOptions) (*sql.Tx, error), cache *names, op string, sealer Sealer, rows *rowFold, fn func(tx *Tx) error) error {
	tx, err := begin(ctx, nil)
	if err != nil {
		return wrap(op+": begin", err)
	}
	committing := false
	defer func() {
		// Also reached when fn panics: the panic goes on, the writes do not.
		if !committing {
			tx.Rollback() //nolint:errcheck // fn's error or panic is the one to report
		}
	}()
	t := &Tx{names: cache, view: op == "view"}
	t.tx = sqlTx{tx, t}
	t.seal.sealer, t.seal.rows = sealer, rows
	if sealer != nil {
		if err := t.beginSeal(ctx); err != nil {
			return err
		}
	}
	if err := fn(t); err != nil {
		return err
	}
	if err := t.writeBindings(ctx); err != nil {
		return err
	}
	if err := t.writeAdded(ctx); err != nil {
		return err
	}
	var sealed func()
	if sealer != nil {
		var err error
		if sealed, err = sealer.Seal(ctx, t); err != nil {
			return err
		}
	}
	committing = true
	if err := tx.Commit(); err != nil {
		return wrap(op+": commit", err)
	}
	cache.keep(t.learned)
	if sealed != nil {
		sealed()
	}
	return nil
}

// dbInt converts a uint64 counter to SQLite's signed 64-bit integer.
func dbInt(name string, v uint64) (int64, error) {
	if v > math.MaxInt64 {
		return 0, invalid("%s %d is larger than the store can hold", name, v)
	}
	return int64(v), nil
}

// sqlLimit turns "0 or less means no limit" into SQLite's LIMIT -1.
func sqlLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// blob keeps empty byte slices from being stored as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// changedOne turns "no row changed" into sql.ErrNoRows, which wrap reports
// as ErrNotFound.
func changedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// Size returns the bytes the database's pages take (what the file holds
// once its write-ahead log is checkpointed), less its free pages.
func (db *DB) Size(ctx context.Context) (int64, error) {
	var n int64
	err := db.readers.QueryRowContext(ctx, `SELECT (SELECT page_count - freelist_count FROM pragma_page_count, pragma_freelist_count) * (SELECT page_size FROM pragma_page_size)`).Scan(&n)
	return n, wrap("size", err)
}

// TakeSchemaAltered names the triggers Open found in the file that the
// store's migrations did not write as they are, and dropped or wrote
// again (schemacheck.go); none for a file as the store left it. Only the
// first call says them (the replica says them once).
func (db *DB) TakeSchemaAltered() []string {
	db.schemaMu.Lock()
	defer db.schemaMu.Unlock()
	out := db.schemaAltered
	db.schemaAltered = nil
	return out
}
