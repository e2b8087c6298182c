// device.go protects what a workstation keeps on its own disk (cached
// grants, chat history, current state) with the device key: 32 random bytes
// kept in the keystore, never in the profile folder, so a copied profile
// alone reveals nothing. Sealing is AES-256-GCM with a random 96-bit nonce
// written before the ciphertext; ad (e.g. the table and row id) is bound as
// additional data, so a sealed value moved to another row does not open.
//
// The keystore never holds the device key in clear: WrapDeviceKey encrypts
// it to the staff member's own OpenPGP key and signs it, so it opens only
// with the identity the passphrase unlocks (see WrapDeviceKey for why no
// second key derivation is spent on it). A wiped key (all zeros) seals and
// opens nothing, so a component still holding a locked session's key fails
// instead of sealing with a key anyone knows.

package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
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

// Wipe overwrites the key with zeros: afterwards it seals and opens nothing.
func (k *DeviceKey) Wipe() { clear(k[:]) }

// Wiped reports whether the key is all zeros (wiped, or never set).
func (k DeviceKey) Wiped() bool {
	var zero DeviceKey
	return subtle.ConstantTimeCompare(k[:], zero[:]) == 1
}

// errWiped is what a wiped device key answers.
var errWiped = fmt.Errorf("%w: the workstation's device key was wiped when the session locked", ErrCleared)

// String hides the key, so it cannot leak into a log.
func (DeviceKey) String() string { return "DeviceKey(hidden)" }

// GoString hides the key from %#v too.
func (k DeviceKey) GoString() string { return k.String() }

// Seal encrypts plain bound to ad: nonce (12 bytes) then ciphertext and tag.
func (k DeviceKey) Seal(plain, ad []byte) ([]byte, error) {
	s, err := k.Sealer()
	if err != nil {
		return nil, err
	}
	return s.Seal(plain, ad), nil
}

// Sealer returns what seals many values with k as Seal does, AES-GCM set
// up once for them all (issue 17: a catch-up seals 200,000 records' states,
// and setting it up for each was half of what sealing one cost). It holds
// the key's expanded form: the caller keeps it for one batch of work
// (replica: one worker of one fold, inside an Apply, which Wipe waits for)
// and drops it then; it does not see a later Wipe of k.
func (k DeviceKey) Sealer() (*DeviceSealer, error) {
	if k.Wiped() {
		return nil, errWiped
	}
	aead, err := newGCM(k[:])
	if err != nil {
		return nil, err
	}
	return &DeviceSealer{aead: aead}, nil
}

// DeviceSealer seals with one device key (DeviceKey.Sealer); for one
// goroutine.
type DeviceSealer struct{ aead cipher.AEAD }

// Seal encrypts plain bound to ad, as DeviceKey.Seal does.
func (s *DeviceSealer) Seal(plain, ad []byte) []byte {
	out := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	_, _ = rand.Read(out) // crypto/rand.Read never fails (Go 1.24+).
	return s.aead.Seal(out, out, plain, ad)
}

// Open decrypts what Seal made with the same key and ad; anything else
// gives ErrCannotOpen.
func (k DeviceKey) Open(sealed, ad []byte) ([]byte, error) {
	if k.Wiped() {
		return nil, errWiped
	}
	aead, err := newGCM(k[:])
	if err != nil {
		return nil, err
	}
	return gcmOpen(aead, sealed, ad)
}

const (
	deviceWrapMagic   = "MHD1"
	deviceWrapContext = "medihaven device key v1"
	// maxDeviceWrap bounds a wrapped device key's plaintext.
	maxDeviceWrap = 256
)

// WrapDeviceKey seals k for the keystore: encrypted to the staff member's
// own key and signed by it (with a critical "medihaven device key v1"
// notation), naming the workstation's device id. Only the identity that the
// passphrase unlocks opens it, so a copy of the profile folder plus a dump
// of the keyring reveals nothing without the passphrase.
//
// Why not a second Argon2id run over the passphrase: the keystore holds the
// locked identity next to the wrapped key, so whoever guesses passphrases
// offline attacks the identity's S2K anyway; a second KDF would add ~80 ms
// to every login on a 2-core desktop and no strength. Tying the key to the
// identity also means a passphrase change needs no rewrap, and the signature
// means a key planted in the keystore by someone else is refused.
//
// Plaintext: "MHD1", device id (1-byte length + bytes), the 32 key bytes.
func WrapDeviceKey(k *DeviceKey, id *Identity, device string) ([]byte, error) {
	if id == nil {
		return nil, fmt.Errorf("crypto: wrapping the device key: no staff key was given")
	}
	if k.Wiped() {
		return nil, errWiped
	}
	if len(device) == 0 || len(device) > 255 {
		return nil, fmt.Errorf("crypto: wrapping the device key: a device id is 1 to 255 bytes")
	}
	plain := appendStr8([]byte(deviceWrapMagic), device)
	plain = append(plain, k[:]...)
	defer wipe(plain)
	return id.Public().encryptWithContext(plain, id, pgp.NewSigningContext(deviceWrapContext, true))
}

// UnwrapDeviceKey opens what WrapDeviceKey made for this identity and
// device. A wrap made for another staff member or device gives
// ErrCannotOpen; one not signed by this identity (planted), ErrBadSignature
// or ErrCannotOpen; bytes of another shape, ErrMalformed.
func UnwrapDeviceKey(wrapped []byte, id *Identity, device string) (DeviceKey, error) {
	var k DeviceKey
	if id == nil {
		return k, fmt.Errorf("crypto: opening the device key: no staff key was given")
	}
	plain, err := id.decryptFrom(wrapped, id.Public(), pgp.NewVerificationContext(deviceWrapContext, true, 0), maxDeviceWrap)
	if err != nil {
		return k, fmt.Errorf("crypto: opening the device key: %w", err)
	}
	defer wipe(plain)
	d := decoder{b: plain}
	if string(d.bytes(len(deviceWrapMagic))) != deviceWrapMagic {
		d.fail("not a wrapped device key")
	}
	name := d.str8()
	copy(k[:], d.bytes(len(k)))
	if err := d.end(); err != nil {
		k.Wipe()
		return k, fmt.Errorf("crypto: opening the device key: %w", err)
	}
	if name != device {
		k.Wipe()
		return k, fmt.Errorf("%w: this device key belongs to another workstation", ErrCannotOpen)
	}
	if k.Wiped() {
		return k, fmt.Errorf("%w: the wrapped device key is empty", ErrMalformed)
	}
	return k, nil
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
