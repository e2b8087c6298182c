package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/mattn/go-sqlite3"
)

// Errors callers match with errors.Is. Each one names what happened; the
// ones that can reach a person also say what to do.
var (
	// ErrNotFound means the row asked for is not stored.
	ErrNotFound = errors.New("store: not found")
	// ErrFork means a device's chain already holds a different envelope at
	// that sequence number: the device's log was forked or tampered with.
	ErrFork = errors.New("store: device chain fork")
	// ErrConflict means an envelope with the same id but other bytes is
	// already stored.
	ErrConflict = errors.New("store: another envelope with this id is already stored")
	// ErrInvalid means an argument cannot be stored as given (an empty id,
	// a number too large for the database, an unknown state).
	ErrInvalid = errors.New("store: invalid value")
	// ErrNotStore means the file is not a Medihaven profile database.
	ErrNotStore = errors.New("store: this file is not a Medihaven profile database; choose the profile folder Medihaven created")
	// ErrNewer means the profile was written by a newer Medihaven than this one.
	ErrNewer = errors.New("store: this profile was written by a newer Medihaven; update Medihaven to open it")
	// ErrReadOnly means a write was attempted in a View transaction.
	ErrReadOnly = errors.New("store: cannot write in a read-only transaction")
	// ErrBusy means another program kept the database locked for too long.
	ErrBusy = errors.New("store: the profile database is busy; close other programs using it and try again")
	// ErrDamaged means SQLite found the file corrupt.
	ErrDamaged = errors.New("store: the profile database is damaged; restore it from a backup or set up the workstation again")
	// ErrDiskFull means the disk (or the database size limit) is full.
	ErrDiskFull = errors.New("store: the disk is full; free some space and try again")
)

// wrap turns a driver error into a store error that names the operation:
// sql.ErrNoRows becomes ErrNotFound, SQLite's result codes become the
// sentinels above, and the driver's error stays in the chain for the log.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", ErrNotFound, op)
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		if kind := sentinelFor(se.Code); kind != nil {
			return fmt.Errorf("%w: %s: %w", kind, op, err)
		}
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// sentinelFor maps SQLite's primary result codes to our sentinels.
func sentinelFor(code sqlite3.ErrNo) error {
	switch code {
	case sqlite3.ErrNotADB:
		return ErrNotStore
	case sqlite3.ErrReadonly:
		return ErrReadOnly
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		return ErrBusy
	case sqlite3.ErrCorrupt:
		return ErrDamaged
	case sqlite3.ErrFull:
		return ErrDiskFull
	}
	return nil
}

// invalid reports an argument that cannot be stored.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
