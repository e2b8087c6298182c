// device.go protects what a workstation keeps on its own disk (cached
// grants, chat history, current state) with the device key: 32 random bytes
// kept in the OS keyring, never in the profile folder, so a copied profile
// alone reveals nothing. Sealing is AES-256-GCM with a random 96-bit nonce
// written before the ciphertext; ad (e.g. the table and row id) is bound as
// additional data, so a sealed value moved to another row does not open.

package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
)

// DeviceKey is a workstation's local sealing key.
type DeviceKey [32]byte

// NewDeviceKey returns a new random device key.
func NewDeviceKey() (DeviceKey, error) {
	var k DeviceKey
	_, _ = rand.Read(k[:]) // crypto/rand.Read never fails (Go 1.24+).
	return k, nil
}

// DeviceKeyFromBytes reads a device key as stored in a Keystore.
func DeviceKeyFromBytes(b []byte) (DeviceKey, error) {
	var k DeviceKey
	if len(b) != len(k) {
		return k, fmt.Errorf("%w: a device key is %d bytes, this one is %d", ErrMalformed, len(k), len(b))
	}
	copy(k[:], b)
	return k, nil
}

// String hides the key, so it cannot leak into a log.
func (DeviceKey) String() string { return "DeviceKey(hidden)" }

// GoString hides the key from %#v too.
func (k DeviceKey) GoString() string { return k.String() }

// Seal encrypts plain bound to ad: nonce (12 bytes) then ciphertext and tag.
func (k DeviceKey) Seal(plain, ad []byte) ([]byte, error) {
	aead, err := newGCM(k[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	_, _ = rand.Read(out) // crypto/rand.Read never fails (Go 1.24+).
	return aead.Seal(out, out, plain, ad), nil
}

// Open decrypts what Seal made with the same key and ad; anything else
// gives ErrCannotOpen.
func (k DeviceKey) Open(sealed, ad []byte) ([]byte, error) {
	aead, err := newGCM(k[:])
	if err != nil {
		return nil, err
	}
	return gcmOpen(aead, sealed, ad)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("crypto: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("crypto: %w", err)
	}
	return aead, nil
}

// gcmOpen opens nonce || ciphertext.
func gcmOpen(aead cipher.AEAD, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("%w: the sealed value is too short", ErrCannotOpen)
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: wrong key, wrong place, or altered", ErrCannotOpen)
	}
	return plain, nil
}
