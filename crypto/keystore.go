// keystore.go is where a workstation keeps its secrets (the locked staff
// key, the device key). The normal home is the desktop's OS keyring (Secret
// Service, via zalando/go-keyring), which stores values base64-encoded under
// one service name. When no keyring runs, Medihaven says so plainly
// (ErrNoSecretService) and never falls back silently: the passphrase-protected
// file of filekeystore.go is an explicit opt-in.

package crypto

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sync"

	"github.com/zalando/go-keyring"
)

var (
	// ErrNotFound means the keystore holds no secret of that name.
	ErrNotFound = errors.New("crypto: no such secret is stored on this workstation")

	// ErrNoSecretService means the desktop's OS keyring cannot be reached.
	ErrNoSecretService = errors.New("crypto: no OS keyring (Secret Service) is running on this desktop: install and unlock gnome-keyring, or start Medihaven with --keystore file to keep keys in a passphrase-protected file")
)

// Keystore keeps a workstation's secrets by name.
type Keystore interface {
	// Get returns the secret stored under name, or ErrNotFound.
	Get(name string) ([]byte, error)
	// Set stores secret under name, replacing any earlier one.
	Set(name string, secret []byte) error
	// Delete removes the secret stored under name, or returns ErrNotFound.
	Delete(name string) error
}

// CloseKeystore wipes whatever ks keeps in memory (the file keystore holds
// its derived key and every secret once opened) and makes it unusable. The
// secrets stay where they are stored. Keystores that keep nothing in memory
// of their own (the OS keyring) are left as they are.
func CloseKeystore(ks Keystore) {
	if c, ok := ks.(interface{ close() }); ok {
		c.close()
	}
}

// checkSecretName refuses empty names.
func checkSecretName(name string) error {
	if name == "" {
		return errors.New("crypto: a secret needs a name")
	}
	return nil
}

// memoryKeystore keeps secrets in a map.
type memoryKeystore struct {
	mu      sync.Mutex
	secrets map[string][]byte
}

// NewMemoryKeystore returns a Keystore that keeps secrets in memory only,
// for tests of other packages.
func NewMemoryKeystore() Keystore {
	return &memoryKeystore{secrets: make(map[string][]byte)}
}

func (m *memoryKeystore) Get(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.secrets[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return append([]byte(nil), s...), nil
}

func (m *memoryKeystore) Set(name string, secret []byte) error {
	if err := checkSecretName(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	wipe(m.secrets[name])
	m.secrets[name] = append([]byte(nil), secret...)
	return nil
}

func (m *memoryKeystore) Delete(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.secrets[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	wipe(s)
	delete(m.secrets, name)
	return nil
}

// osKeystore keeps secrets in the OS keyring under one service name.
type osKeystore struct {
	service string
}

// NewOSKeystore returns a Keystore over the desktop's OS keyring (Secret
// Service on Linux), keeping secrets under service (e.g. "medihaven" plus the
// profile id). If no keyring is reachable, every call returns an error
// matching ErrNoSecretService, without waiting. A keyring that is locked may
// show its own unlock prompt and wait for the person to answer it.
func NewOSKeystore(service string) Keystore {
	return osKeystore{service: service}
}

func (o osKeystore) Get(name string) ([]byte, error) {
	v, err := keyring.Get(o.service, name)
	if err != nil {
		return nil, o.mapError(name, err)
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%w: the OS keyring entry %q is not base64: %w", ErrMalformed, name, err)
	}
	return b, nil
}

func (o osKeystore) Set(name string, secret []byte) error {
	if err := checkSecretName(name); err != nil {
		return err
	}
	return o.mapError(name, keyring.Set(o.service, name, base64.StdEncoding.EncodeToString(secret)))
}

func (o osKeystore) Delete(name string) error {
	return o.mapError(name, keyring.Delete(o.service, name))
}

// mapError turns go-keyring's errors into ours. Every failure other than a
// missing entry or an oversized value means the keyring could not be used
// (no session bus, no Secret Service, a locked or dismissed keyring).
func (o osKeystore) mapError(name string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("crypto: the secret %q is too big for the OS keyring: %w", name, err)
	default:
		return &noSecretServiceError{cause: err}
	}
}

// noSecretServiceError reads as ErrNoSecretService's one sentence and keeps
// the keyring's own error in its chain for the log.
type noSecretServiceError struct{ cause error }

func (e *noSecretServiceError) Error() string   { return ErrNoSecretService.Error() }
func (e *noSecretServiceError) Unwrap() []error { return []error{ErrNoSecretService, e.cause} }
