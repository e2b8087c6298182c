// scope.go holds a scope's symmetric key at one epoch: the 256-bit AES key
// that seals every envelope of that scope (directory, frontdesk, clinical,
// admin). Whoever holds it can read the scope; it travels only inside grants
// (encrypted to one member) and rests only under the device key. Its String
// form never shows the secret, so it cannot leak into a log by accident.

package crypto

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// EnrollScope is the scope of a key derived from a registration token.
const EnrollScope = "enroll"

// ScopeKey is a scope's symmetric key at one epoch.
type ScopeKey struct {
	Scope  string
	Epoch  uint32
	Secret [32]byte
}

// NewScopeKey returns a new random key for scope at epoch. scope is a short
// lowercase name such as "clinical".
func NewScopeKey(scope string, epoch uint32) (ScopeKey, error) {
	if !isName(scope) {
		return ScopeKey{}, fmt.Errorf("crypto: %q is not a scope name (lowercase letters, digits, '.', '_', '-'; at most %d)", scope, maxNameLen)
	}
	k := ScopeKey{Scope: scope, Epoch: epoch}
	_, _ = rand.Read(k.Secret[:]) // crypto/rand.Read never fails (Go 1.24+).
	return k, nil
}

// TokenKey derives, with HKDF-SHA256, the key that seals an enrollment
// answering a registration token: only those who know the token's one-time
// secret (the newcomer and the issuing administrators) can open it. Its
// Scope is "enroll" and its Epoch 0.
func TokenKey(tokenSecret []byte) ScopeKey {
	k := ScopeKey{Scope: EnrollScope}
	// hkdf.Key fails only when asked for more than 255*32 bytes.
	secret, _ := hkdf.Key(sha256.New, tokenSecret, nil, "medihaven enrollment key v1", len(k.Secret))
	copy(k.Secret[:], secret)
	wipe(secret)
	return k
}

// String names the key without showing the secret, e.g. "clinical/3".
func (k ScopeKey) String() string { return fmt.Sprintf("%s/%d", k.Scope, k.Epoch) }

// GoString is like String, so %#v does not show the secret either.
func (k ScopeKey) GoString() string { return "ScopeKey(" + k.String() + ")" }

// scopeKeyMagic starts the binary form of a ScopeKey.
const scopeKeyMagic = "MHS1"

// MarshalBinary encodes the key (secret included) for sealing, e.g. under
// the device key: "MHS1", scope length (1 byte), scope, epoch (4 bytes,
// big-endian), secret (32 bytes).
func (k ScopeKey) MarshalBinary() ([]byte, error) {
	if !isName(k.Scope) {
		return nil, fmt.Errorf("%w: %q is not a scope name", ErrMalformed, k.Scope)
	}
	return k.appendBinary(nil), nil
}

func (k ScopeKey) appendBinary(b []byte) []byte {
	b = append(b, scopeKeyMagic...)
	b = append(b, byte(len(k.Scope)))
	b = append(b, k.Scope...)
	b = binary.BigEndian.AppendUint32(b, k.Epoch)
	return append(b, k.Secret[:]...)
}

// UnmarshalBinary decodes what MarshalBinary made, strictly.
func (k *ScopeKey) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	key, err := d.scopeKey()
	if err != nil {
		return err
	}
	if err := d.end(); err != nil {
		return err
	}
	*k = key
	return nil
}

// scopeKey reads a ScopeKey in its binary form.
func (d *decoder) scopeKey() (ScopeKey, error) {
	var k ScopeKey
	if string(d.bytes(len(scopeKeyMagic))) != scopeKeyMagic {
		return k, d.fail("not a scope key")
	}
	k.Scope = d.str8()
	k.Epoch = d.u32()
	copy(k.Secret[:], d.bytes(len(k.Secret)))
	if d.err != nil {
		return ScopeKey{}, d.err
	}
	if !isName(k.Scope) {
		return ScopeKey{}, d.fail("bad scope name")
	}
	return k, nil
}
