package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestMain runs the crash helper when asked to (see TestCrashMidTransaction)
// and removes the database shared by the benchmarks.
func TestMain(m *testing.M) {
	if path := os.Getenv("STORE_CRASH_HELPER"); path != "" {
		crashHelper(path, os.Getenv("STORE_CRASH_MODE"))
		return
	}
	code := m.Run()
	removeBenchDB()
	os.Exit(code)
}

// openTest opens a new profile database in a temporary folder.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "profile", "medihaven.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func update(t testing.TB, db *DB, fn func(tx *Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func view(t testing.TB, db *DB, fn func(tx *Tx) error) {
	t.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "medihaven.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{
		{dir, 0o700 | os.ModeDir},
		{path, 0o600},
		{path + "-wal", 0o600},
		{path + "-shm", 0o600},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != c.mode {
			t.Errorf("%s: mode %v, want %v", c.path, fi.Mode(), c.mode)
		}
	}
	var mode string
	if err := db.writer.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestMigrationsAreNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, m := range ms {
		if m.version != i+1 {
			t.Errorf("%s has version %d, want %d", m.name, m.version, i+1)
		}
	}
}

func TestReopenKeepsDataAndVersion(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "medihaven.db")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open %d: %v", round, err)
		}
		id, err := readIdentity(ctx, db.writer)
		if err != nil {
			t.Fatal(err)
		}
		if id.appID != applicationID || id.version != len(ms) {
			t.Errorf("round %d: application_id %#x version %d, want %#x %d", round, id.appID, id.version, applicationID, len(ms))
		}
		if round == 0 {
			update(t, db, func(tx *Tx) error { return tx.SetMeta(ctx, "device", []byte("d1")) })
		}
		view(t, db, func(tx *Tx) error {
			v, err := tx.Meta(ctx, "device")
			if err != nil || string(v) != "d1" {
				t.Errorf("round %d: meta device = %q, %v", round, v, err)
			}
			return nil
		})
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPageSize: a new profile is made with 8 KB pages, in WAL mode; one
// made before with 4 KB pages keeps them and opens.
func TestPageSize(t *testing.T) {
	ctx := t.Context()
	pageOf := func(db *DB) (size int, mode string) {
		t.Helper()
		if err := db.writer.QueryRowContext(ctx, `SELECT page_size, journal_mode FROM pragma_page_size, pragma_journal_mode`).Scan(&size, &mode); err != nil {
			t.Fatal(err)
		}
		return size, mode
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	old := sqliteFile(t, `PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; `+ms[0].script+`; PRAGMA user_version = 1`)
	for _, tt := range []struct {
		name, path string
		want       int
	}{
		{"new", filepath.Join(t.TempDir(), "new.db"), pageSize},
		{"made with 4 KB pages", old, 4096},
	} {
		for round := range 2 {
			db, err := Open(ctx, tt.path)
			if err != nil {
				t.Fatalf("%s, open %d: %v", tt.name, round, err)
			}
			if size, mode := pageOf(db); size != tt.want || mode != "wal" {
				t.Errorf("%s, open %d: page size %d in %s mode, want %d in wal", tt.name, round, size, mode, tt.want)
			}
			update(t, db, func(tx *Tx) error { return tx.SetMeta(ctx, "k", []byte("v")) })
			db.Close()
		}
	}
}

// sqliteFile makes a SQLite file by running script on it.
func sqliteFile(t *testing.T, script string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "other.db")
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(script); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWriterKeepsTempFilesInMemory: the writer's connection keeps its
// temporary files, statement journals among them, in memory
// (temp_store = 2, MEMORY), also after the pool makes it again; the
// readers keep SQLite's default (0).
func TestWriterKeepsTempFilesInMemory(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	tempStore := func(pool *sql.DB) int {
		t.Helper()
		var n int
		if err := pool.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := tempStore(db.writer); got != 2 {
		t.Errorf("writer: temp_store %d, want 2 (memory)", got)
	}
	db.writer.SetMaxIdleConns(0) // the next use opens a new connection
	db.writer.SetMaxIdleConns(1)
	if got := tempStore(db.writer); got != 2 {
		t.Errorf("writer's new connection: temp_store %d, want 2 (memory)", got)
	}
	if got := tempStore(db.readers); got != 0 {
		t.Errorf("readers: temp_store %d, want 0 (SQLite's default)", got)
	}
}

func TestOpenRefusesForeignFiles(t *testing.T) {
	textFile := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "notes.txt")
		if err := os.WriteFile(path, bytes.Repeat([]byte("not a database\n"), 100), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name string
		file func(t *testing.T) string
		want error
	}{
		{"text file", textFile, ErrNotStore},
		{"other program's database", func(t *testing.T) string {
			return sqliteFile(t, `CREATE TABLE contacts (name TEXT)`)
		}, ErrNotStore},
		{"other application id", func(t *testing.T) string {
			return sqliteFile(t, `PRAGMA application_id = 42`)
		}, ErrNotStore},
		{"other program's user_version", func(t *testing.T) string {
			return sqliteFile(t, `PRAGMA user_version = 3`)
		}, ErrNotStore},
		{"newer Medihaven", func(t *testing.T) string {
			return sqliteFile(t, fmt.Sprintf(`PRAGMA application_id = %d; PRAGMA user_version = 999; CREATE TABLE meta (k)`, applicationID))
		}, ErrNewer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.file(t)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			db, err := Open(t.Context(), path)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
			t.Log(err)
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("Open changed a file it refused")
			}
		})
	}
}

func TestOpenBadPath(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{"", dir} {
		if db, err := Open(t.Context(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

func TestOpenOddFileName(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "a?b#c%d é&mode=ro.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	update(t, db, func(tx *Tx) error { return tx.SetMeta(ctx, "k", []byte("v")) })
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at its path: %v", err)
	}
}

func TestUpdateKeepsNothingWhenFnFails(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	failure := errors.New("the receptionist cancelled")
	writeAll := func(tx *Tx) {
		if _, err := tx.PutEnvelope(ctx, testEnvelope("d1", 1)); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			tx.PutEntity(ctx, Entity{ID: "e1", Kind: "patient", State: []byte{1}}),
			tx.SetIndex(ctx, "e1", [][]byte{tok("x")}),
			tx.SetMeta(ctx, "device", []byte("d1")),
			tx.PutSecret(ctx, "grant/clinical", []byte{2}),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name string
		fn   func(tx *Tx) error
	}{
		{"error", func(tx *Tx) error { writeAll(tx); return failure }},
		{"panic", func(tx *Tx) error { writeAll(tx); panic(failure) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := func() (err error) {
				defer func() {
					if p := recover(); p != nil {
						err = p.(error)
					}
				}()
				return db.Update(ctx, tt.fn)
			}()
			if err != failure {
				t.Fatalf("Update returned %v, want fn's error itself", err)
			}
			assertEmpty(t, db)
		})
	}
}

// assertEmpty checks that no table holds a row.
func assertEmpty(t *testing.T, db *DB) {
	t.Helper()
	for _, table := range []string{"meta", "envelopes", "heads", "entities", "entity_numbers", "postings", "entity_tokens", "secrets"} {
		var n int
		if err := db.readers.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s holds %d rows", table, n)
		}
	}
}

func TestViewIsReadOnly(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	err := db.View(ctx, func(tx *Tx) error { return tx.SetMeta(ctx, "k", []byte("v")) })
	if !errors.Is(err, ErrReadOnly) {
		t.Errorf("write in View: %v, want ErrReadOnly", err)
	}
}

func TestCancelledContext(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for name, run := range map[string]func(context.Context, func(*Tx) error) error{"Update": db.Update, "View": db.View} {
		called := false
		err := run(ctx, func(tx *Tx) error { called = true; return nil })
		if !errors.Is(err, context.Canceled) || called {
			t.Errorf("%s with a cancelled context: %v (fn called: %v), want context.Canceled", name, err, called)
		}
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "x.db")); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context: %v, want context.Canceled", err)
	}
}

// TestConcurrentReadersAndWriters writes from two handles on the same file
// (as two processes would) while readers read: no SQLITE_BUSY may surface,
// and every View sees one consistent snapshot.
func TestConcurrentReadersAndWriters(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	other, err := Open(ctx, db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	const writes = 100
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	done := make(chan struct{})
	for w, handle := range []*DB{db, other} {
		wg.Go(func() {
			device := fmt.Sprintf("d%d", w)
			for seq := uint64(1); seq <= writes; seq++ {
				err := handle.Update(ctx, func(tx *Tx) error {
					e := testEnvelope(device, seq)
					e.State = Applied // heads count only what is vouched for
					_, err := tx.PutEnvelope(ctx, e)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				err := db.View(ctx, func(tx *Tx) error {
					counts, err := tx.CountEnvelopes(ctx)
					if err != nil {
						return err
					}
					heads, err := tx.Heads(ctx)
					if err != nil {
						return err
					}
					var sum uint64
					for _, h := range heads {
						sum += h.Seq
					}
					if sum != uint64(counts[Applied]) {
						return fmt.Errorf("heads add up to %d, count says %d: not one snapshot", sum, counts[Applied])
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	view(t, db, func(tx *Tx) error {
		counts, err := tx.CountEnvelopes(ctx)
		if counts[Applied] != 2*writes {
			t.Errorf("stored %d envelopes, want %d", counts[Applied], 2*writes)
		}
		return err
	})
}

// TestLongWriteBlocksNoReader holds a write transaction open: a View
// still reads (the last committed state), and a writer from a second
// handle on the file, as from a second process, waits its turn instead of
// failing with SQLITE_BUSY.
func TestLongWriteBlocksNoReader(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	other, err := Open(ctx, db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	inside, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.Update(ctx, func(tx *Tx) error {
			if err := tx.SetMeta(ctx, "writer", []byte("first")); err != nil {
				return err
			}
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	view(t, db, func(tx *Tx) error {
		if _, err := tx.Meta(ctx, "writer"); !errors.Is(err, ErrNotFound) {
			t.Errorf("View saw an uncommitted write: %v", err)
		}
		return nil
	})
	second := make(chan error, 1)
	go func() {
		second <- other.Update(ctx, func(tx *Tx) error { return tx.SetMeta(ctx, "writer", []byte("second")) })
	}()
	// Give the second writer time to reach its BEGIN and wait there; the
	// test passes either way, but only then does it test the waiting.
	time.Sleep(200 * time.Millisecond)
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatalf("second writer: %v", err)
	}
	view(t, db, func(tx *Tx) error {
		v, err := tx.Meta(ctx, "writer")
		if err != nil || string(v) != "second" {
			t.Errorf("writer = %q, %v; want the second writer's value", v, err)
		}
		return nil
	})
}

// TestCrashMidTransaction kills a process in the middle of a write
// transaction and after a commit it never closed: the first leaves
// nothing, the second keeps everything, and the file stays sound.
func TestCrashMidTransaction(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "medihaven.db")
	for _, mode := range []string{"commit", "crash"} {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "STORE_CRASH_HELPER="+path, "STORE_CRASH_MODE="+mode, "LANG=en_US.UTF-8")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 3 {
			t.Fatalf("helper %s: %v\n%s", mode, err, out)
		}
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.writer.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	view(t, db, func(tx *Tx) error {
		if _, err := tx.Envelope(ctx, testEnvelope("d1", 1).ID); err != nil {
			t.Errorf("committed envelope lost: %v", err)
		}
		if _, err := tx.Envelope(ctx, testEnvelope("d1", 2).ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("envelope of the crashed transaction: %v, want ErrNotFound", err)
		}
		if _, err := tx.Meta(ctx, "crashed"); !errors.Is(err, ErrNotFound) {
			t.Errorf("meta of the crashed transaction: %v, want ErrNotFound", err)
		}
		return nil
	})
}

// crashHelper runs in a child process and exits with status 3 without
// closing anything: after committing one envelope ("commit"), or halfway
// through a transaction ("crash").
func crashHelper(path, mode string) {
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	switch mode {
	case "commit":
		err = db.Update(ctx, func(tx *Tx) error {
			_, err := tx.PutEnvelope(ctx, testEnvelope("d1", 1))
			return err
		})
		if err == nil {
			os.Exit(3)
		}
	case "crash":
		err = db.Update(ctx, func(tx *Tx) error {
			if _, err := tx.PutEnvelope(ctx, testEnvelope("d1", 2)); err != nil {
				return err
			}
			if err := tx.SetMeta(ctx, "crashed", []byte("yes")); err != nil {
				return err
			}
			os.Exit(3)
			return nil
		})
	}
	fmt.Fprintln(os.Stderr, mode, err)
	os.Exit(1)
}

// FuzzOpen opens arbitrary bytes as a profile database: Open must refuse
// or open them, never panic, and never change a file it refuses.
func FuzzOpen(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("SQLite format 3\x00"))
	f.Add(bytes.Repeat([]byte("not a database\n"), 40))
	header := make([]byte, 4096)
	copy(header, "SQLite format 3\x00\x10\x00\x01\x01\x00\x40\x20\x20")
	f.Add(header)
	// A real profile database with a little in it, for the mutator to damage.
	path := filepath.Join(f.TempDir(), "seed.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		f.Fatal(err)
	}
	putEnvelopes(f, db, testEnvelope("d1", 1), testEnvelope("d1", 2))
	if err := db.Close(); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.db")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(t.Context(), path)
		if err != nil {
			after, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if !bytes.Equal(after, content) && !errors.Is(err, ErrDamaged) {
				t.Errorf("Open refused (%v) but changed the file", err)
			}
			return
		}
		ctx := t.Context()
		if err := db.Update(ctx, func(tx *Tx) error { return tx.SetMeta(ctx, "k", []byte("v")) }); err != nil {
			t.Logf("write after open: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Logf("close: %v", err)
		}
	})
}
