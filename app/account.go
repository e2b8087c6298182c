package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/medihaven/medihaven/crypto"
)

// ChangePassphrase changes the passphrase that unlocks this workstation:
// the identity is locked again under next and, for a keystore file, the
// file is sealed again under next, in one atomic write each, so a crash
// leaves the old passphrase or the new one working, never neither. old is
// checked as a login checks it (wrong ones count towards the lockout).
// The device and scope keys do not change: they are wrapped to the
// identity, not to the passphrase.
func (s *Session) ChangePassphrase(ctx context.Context, old, next []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rep == nil {
		return fmt.Errorf("%w: unlock it with your passphrase first", ErrLocked)
	}
	if len(old) == 0 {
		return fmt.Errorf("%w: enter your current passphrase", ErrInvalidInput)
	}
	if err := checkPassphrase(next); err != nil {
		return err
	}
	if bytes.Equal(old, next) {
		return fmt.Errorf("%w: the new passphrase is the same as the current one; choose another", ErrInvalidInput)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p, now := s.prof, s.env.Now()
	l := readLockout(p.Dir)
	if until := time.UnixMilli(l.Until); now.Before(until) {
		return fmt.Errorf("%w: try again in %s", ErrLockedOut, waitWords(until.Sub(now)))
	}
	err := s.relock(p, old, next)
	switch {
	case errors.Is(err, ErrWrongPassphrase):
		l.Failures++
		if d := l.delay(); d > 0 {
			l.Until = now.Add(d).UnixMilli()
		}
		if werr := l.write(p.Dir); werr != nil {
			return errors.Join(err, fmt.Errorf("app: remember the wrong passphrase: %w", werr))
		}
	case err == nil && l.Failures > 0:
		l.Failures, l.Until = 0, 0
		l.write(p.Dir) //nolint:errcheck // best effort: the count only delays a login
	}
	return err
}

// relock unlocks the identity with old and stores it locked with next.
func (s *Session) relock(p Profile, old, next []byte) error {
	wrong := fmt.Errorf("%w: your current passphrase is not right; check it and try again", ErrWrongPassphrase)
	ks, err := s.env.OpenKeystore(p, old)
	if errors.Is(err, crypto.ErrWrongPassphrase) {
		return wrong
	}
	if err != nil {
		return fmt.Errorf("app: open this workstation's keys: %w", err)
	}
	locked, err := ks.Get(nameIdentity)
	crypto.CloseKeystore(ks)
	if errors.Is(err, crypto.ErrNotFound) {
		return errKeyMissing
	}
	if err != nil {
		return fmt.Errorf("app: read your key: %w", err)
	}
	id, err := crypto.UnlockIdentity(locked, old)
	if errors.Is(err, crypto.ErrWrongPassphrase) {
		return wrong
	}
	if err != nil {
		return fmt.Errorf("app: unlock your key: %w", err)
	}
	defer id.Clear()
	if id.Fingerprint() != s.rep.Fingerprint() {
		return errKeyMissing
	}
	relocked, err := id.Lock(next)
	if err != nil {
		return fmt.Errorf("app: lock your key with the new passphrase: %w", err)
	}
	if p.Keystore == KeystoreFile {
		err = crypto.RekeyFileKeystore(filepath.Join(p.Dir, keysFile), old, next, map[string][]byte{nameIdentity: relocked})
	} else {
		if ks, err = s.env.OpenKeystore(p, next); err == nil {
			err = ks.Set(nameIdentity, relocked)
			crypto.CloseKeystore(ks)
		}
	}
	if err != nil {
		return fmt.Errorf("app: save your key with the new passphrase (the current one still works): %w", err)
	}
	return nil
}

// NoteStaffName writes the logged-in member's name into the profile, for
// the login screen, when it is not there yet or changed.
func (s *Session) NoteStaffName() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.name == "" || s.prof.Staff == s.name {
		return nil
	}
	p := s.prof
	p.Staff = s.name
	if err := p.write(); err != nil {
		return err
	}
	s.prof = p
	return nil
}
