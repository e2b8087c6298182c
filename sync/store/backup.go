package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/mattn/go-sqlite3"
)

// backupPages is how many pages one step of an online backup copies
// before the context is checked again (8 MiB a step with the 8 KiB pages
// of a new profile, 4 MiB with the 4 KiB pages of one made before).
const backupPages = 1024

// Backup writes a consistent copy of the database to the new file dest
// (mode 0600) with SQLite's online backup API, from a read connection, so
// the workstation keeps working meanwhile. It copies what the file holds:
// envelopes and sealed state, never a key. dest must not exist.
func (db *DB) Backup(ctx context.Context, dest string) (err error) {
	abs, err := filepath.Abs(dest)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(abs)
		}
	}()
	dst, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: abs}).EscapedPath())
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer dst.Close()
	dconn, err := dst.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer dconn.Close()
	sconn, err := db.readers.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer sconn.Close()
	return dconn.Raw(func(d any) error {
		return sconn.Raw(func(s any) error {
			to, ok1 := d.(*sqlite3.SQLiteConn)
			from, ok2 := s.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return errors.New("store: backup: not SQLite connections")
			}
			b, err := to.Backup("main", from, "main")
			if err != nil {
				return fmt.Errorf("store: backup: %w", err)
			}
			for {
				done, err := b.Step(backupPages)
				if err != nil {
					b.Close()
					return fmt.Errorf("store: backup: %w", err)
				}
				if done {
					return wrap("backup", b.Finish())
				}
				if err := ctx.Err(); err != nil {
					b.Close()
					return err
				}
			}
		})
	})
}
