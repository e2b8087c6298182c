package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/atomicfile"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// ErrLockedOut means too many wrong passphrases were typed in a row.
var ErrLockedOut = errors.New("app: too many wrong passphrases")

// SecuritySettings are the clinic's workstation rules, set by an
// administrator and kept in the directory so every workstation follows them.
type SecuritySettings struct {
	// IdleLock locks a workstation after this long without input.
	IdleLock time.Duration
	// MaxAttempts wrong passphrases in a row lock the login out for a delay
	// that doubles with every further wrong one.
	MaxAttempts int
}

// Defaults and bounds of the security settings.
var DefaultSecurity = SecuritySettings{IdleLock: 10 * time.Minute, MaxAttempts: 5}

const (
	lockoutFile     = "lockout.json"
	firstLockout    = 30 * time.Second
	longestLockout  = 30 * time.Minute
	entitySecurity  = roles.SecurityID // directory: the security settings
	minIdleLock     = time.Minute
	maxIdleLock     = 8 * time.Hour
	minMaxAttempts  = 3
	maxMaxAttempts  = 20
	defaultAttempts = 5
)

// Check reports whether the settings are within bounds, in plain words.
func (c SecuritySettings) Check() error {
	if c.IdleLock < minIdleLock || c.IdleLock > maxIdleLock {
		return fmt.Errorf("%w: the idle lock must be between 1 minute and 8 hours", ErrInvalidInput)
	}
	if c.MaxAttempts < minMaxAttempts || c.MaxAttempts > maxMaxAttempts {
		return fmt.Errorf("%w: the number of passphrase attempts must be between %d and %d", ErrInvalidInput, minMaxAttempts, maxMaxAttempts)
	}
	return nil
}

// SecuritySettings returns the clinic's settings (the defaults until an
// administrator sets them). Only settings an administrator wrote count:
// every member may write the directory scope.
func (s *Session) SecuritySettings(ctx context.Context) (SecuritySettings, error) {
	r, err := s.can(roles.ReadDirectory)
	if err != nil {
		return DefaultSecurity, err
	}
	return securitySettings(ctx, r)
}

func securitySettings(ctx context.Context, r *replica.Replica) (SecuritySettings, error) {
	var rows []store.Envelope
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		var err error
		rows, err = tx.EnvelopesForEntity(ctx, entitySecurity)
		return err
	})
	if err != nil {
		return DefaultSecurity, fmt.Errorf("app: security settings: %w", err)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Lamport != rows[j].Lamport {
			return rows[i].Lamport > rows[j].Lamport
		}
		return rows[i].Device > rows[j].Device
	})
	keys := map[uint32]crypto.ScopeKey{}
	for _, k := range r.Keys(roles.Directory) {
		keys[k.Epoch] = k
	}
	for _, e := range rows {
		m, ok := r.Member(e.Author)
		k, have := keys[e.Epoch]
		if e.State != store.Applied || !ok || m.Role != roles.Administrator || !have {
			continue
		}
		env, err := crypto.ParseEnvelope(e.Raw)
		if err != nil {
			continue
		}
		plain, err := env.Open(k)
		if err != nil {
			continue
		}
		var fields replica.Fields
		if json.Unmarshal(plain, &fields) != nil {
			continue
		}
		f := records.SecurityFromState(records.StateOf(fields))
		c := SecuritySettings{IdleLock: time.Duration(f.IdleMinutes) * time.Minute, MaxAttempts: f.MaxAttempts}
		if c.Check() == nil {
			return c, nil
		}
	}
	return DefaultSecurity, nil
}

// SetSecuritySettings changes the clinic's security settings; every
// workstation follows them after its next sync. The change is audited (it
// is an event like every change).
func (s *Session) SetSecuritySettings(ctx context.Context, c SecuritySettings) error {
	r, err := s.can(roles.SetSecurity)
	if err != nil {
		return err
	}
	if c.IdleLock%time.Minute != 0 {
		c.IdleLock = c.IdleLock.Round(time.Minute)
	}
	if err := c.Check(); err != nil {
		return err
	}
	fields, err := records.Security{IdleMinutes: int(c.IdleLock / time.Minute), MaxAttempts: c.MaxAttempts}.Fields()
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: entitySecurity, Kind: records.KindSecurity, Scope: roles.Directory, Fields: fields}); err != nil {
		return fmt.Errorf("app: save the security settings: %w", err)
	}
	s.rememberLockout(ctx, r)
	return nil
}

// lockout is what a workstation remembers of wrong passphrases, in a small
// file of the profile folder (it names nobody). It is kept in clear because
// it must be read before any key is unlocked; deleting it only resets the
// delay of the login screen, not the strength of the passphrase.
type lockout struct {
	Failures    int   `json:"failures"`
	Until       int64 `json:"until"`        // unix ms; no login before it
	MaxAttempts int   `json:"max_attempts"` // the clinic's setting, cached at the last login
}

func readLockout(dir string) lockout {
	var l lockout
	if b, err := os.ReadFile(filepath.Join(dir, lockoutFile)); err == nil {
		json.Unmarshal(b, &l) //nolint:errcheck // a damaged file reads as no failures
	}
	if l.MaxAttempts < minMaxAttempts || l.MaxAttempts > maxMaxAttempts {
		l.MaxAttempts = defaultAttempts
	}
	return l
}

func (l lockout) write(dir string) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, lockoutFile), b, 0o600)
}

// delay is how long the login stays shut after failures wrong passphrases:
// nothing below the limit, then 30 s doubling per further failure, at most 30 min.
func (l lockout) delay() time.Duration {
	over := l.Failures - l.MaxAttempts
	if over < 0 {
		return 0
	}
	d := firstLockout
	for i := 0; i < over && d < longestLockout; i++ {
		d *= 2
	}
	return min(d, longestLockout)
}

func waitWords(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Round(time.Second)/time.Second))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// guardedUnlock is unlock behind the lockout: refused while the delay runs,
// counting wrong passphrases, and clearing the count on success.
func (s *Session) guardedUnlock(ctx context.Context, passphrase []byte) error {
	dir, now := s.prof.Dir, s.env.Now()
	l := readLockout(dir)
	if until := time.UnixMilli(l.Until); now.Before(until) {
		return fmt.Errorf("%w: the login is paused; try again in %s", ErrLockedOut, waitWords(until.Sub(now)))
	}
	err := s.unlock(ctx, passphrase)
	switch {
	case errors.Is(err, ErrWrongPassphrase):
		l.Failures++
		if d := l.delay(); d > 0 {
			l.Until = now.Add(d).UnixMilli()
			err = fmt.Errorf("%w: %d wrong passphrases in a row, so the login is paused for %s", ErrLockedOut, l.Failures, waitWords(d))
		} else if left := l.MaxAttempts - l.Failures; left <= 2 {
			err = fmt.Errorf("%w (after %d more wrong, the login pauses)", err, left)
		}
		if werr := l.write(dir); werr != nil {
			return errors.Join(err, fmt.Errorf("app: remember the wrong passphrase: %w", werr))
		}
	case err == nil:
		s.rememberLockout(ctx, s.rep)
	}
	return err
}

// rememberLockout clears the count of wrong passphrases and caches the
// clinic's limit for the next login (read before the directory can be).
func (s *Session) rememberLockout(ctx context.Context, r *replica.Replica) {
	l := readLockout(s.prof.Dir)
	c, err := securitySettings(ctx, r)
	if err != nil {
		c = DefaultSecurity
	}
	if l.Failures == 0 && l.Until == 0 && l.MaxAttempts == c.MaxAttempts {
		return
	}
	l = lockout{MaxAttempts: c.MaxAttempts}
	l.write(s.prof.Dir) //nolint:errcheck // best effort: a missing file means no failures
}

// IdleLockAfter is how long this workstation may stay without input before
// the window locks it: the clinic's setting, or the default when it cannot
// be read (a locked session).
func (s *Session) IdleLockAfter(ctx context.Context) time.Duration {
	c, err := s.SecuritySettings(ctx)
	if err != nil {
		return DefaultSecurity.IdleLock
	}
	return c.IdleLock
}
