// publickey.go handles a staff member's public OpenPGP key: the directory
// entry others use to check their signatures and to encrypt to them. It
// protects nothing secret; it refuses private keys so a secret never ends up
// in the directory, and refuses keys that cannot both sign and encrypt.

package crypto

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/gopenpgp/v2/armor"
	"github.com/ProtonMail/gopenpgp/v2/constants"
	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

const (
	// maxKeySize bounds an encoded key, public or locked.
	maxKeySize = 64 << 10

	// maxSignatureSize bounds a detached signature (an Ed25519 one is
	// about 120 bytes, an RSA-4096 one about 550).
	maxSignatureSize = 1 << 10

	// MaxMessageSize bounds the plaintext of a message opened by
	// Identity.Decrypt (chat messages, grants).
	MaxMessageSize = 16 << 20

	// maxMessageOverhead is the room allowed for OpenPGP packets around
	// the plaintext.
	maxMessageOverhead = 16 << 10
)

// PublicKey is a staff member's public key. It is immutable and safe for
// concurrent use.
type PublicKey struct {
	ring        *pgp.KeyRing
	fingerprint string
	name        string
	raw         []byte
}

// ParsePublicKey reads one public key, armored or binary. It refuses private
// keys and keys that cannot both sign and encrypt (ErrMalformed).
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) == 0 || len(b) > maxKeySize {
		return nil, fmt.Errorf("%w: a public key is 1 byte to %d KiB long", ErrMalformed, maxKeySize>>10)
	}
	key, err := readKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: not an OpenPGP key: %w", ErrMalformed, err)
	}
	e := key.GetEntity()
	if e.PrivateKey != nil {
		return nil, fmt.Errorf("%w: this is a private key; share only the public key", ErrMalformed)
	}
	for _, sub := range e.Subkeys {
		if sub.PrivateKey != nil {
			return nil, fmt.Errorf("%w: this key holds a secret subkey; share only the public key", ErrMalformed)
		}
	}
	if len(e.Subkeys) > maxSubkeys {
		return nil, fmt.Errorf("%w: a staff key has at most %d subkeys", ErrMalformed, maxSubkeys)
	}
	at := usableAt(e, time.Now())
	if _, ok := e.SigningKey(at); !ok {
		return nil, fmt.Errorf("%w: this key cannot sign (expired, revoked or wrong kind)", ErrMalformed)
	}
	if _, ok := e.EncryptionKey(at); !ok {
		return nil, fmt.Errorf("%w: this key cannot receive encrypted data (expired, revoked or wrong kind)", ErrMalformed)
	}
	raw, err := key.GetPublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	ring, err := pgp.NewKeyRing(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var name string
	if uid := e.PrimaryIdentity(); uid != nil && uid.UserId != nil {
		name = uid.UserId.Name
	}
	return &PublicKey{
		ring:        ring,
		fingerprint: hex.EncodeToString(e.PrimaryKey.Fingerprint),
		name:        name,
		raw:         raw,
	}, nil
}

// usableAt returns the moment at which to judge whether e's keys are valid:
// now, or just after the newest creation time in e if that is later, so a key
// made on a workstation whose clock runs ahead is not refused.
func usableAt(e *openpgp.Entity, now time.Time) time.Time {
	latest := e.PrimaryKey.CreationTime
	for _, sub := range e.Subkeys {
		if sub.PublicKey.CreationTime.After(latest) {
			latest = sub.PublicKey.CreationTime
		}
		if sub.Sig != nil && sub.Sig.CreationTime.After(latest) {
			latest = sub.Sig.CreationTime
		}
	}
	for _, uid := range e.Identities {
		if uid.SelfSignature != nil && uid.SelfSignature.CreationTime.After(latest) {
			latest = uid.SelfSignature.CreationTime
		}
	}
	if latest.After(now) {
		return latest.Add(time.Second)
	}
	return now
}

// readKey parses one OpenPGP key, armored if it starts with an armor line.
func readKey(b []byte) (*pgp.Key, error) {
	if t := bytes.TrimSpace(b); bytes.HasPrefix(t, []byte("-----BEGIN PGP ")) {
		return pgp.NewKeyFromArmored(string(t))
	}
	return pgp.NewKey(b)
}

// Fingerprint returns the lowercase hex fingerprint of the primary key.
func (p *PublicKey) Fingerprint() string { return p.fingerprint }

// Name returns the name in the key's primary user id, as its owner typed it.
func (p *PublicKey) Name() string { return p.name }

// Bytes returns the binary key. The same key always gives the same bytes,
// and ParsePublicKey(p.Bytes()) gives p back.
func (p *PublicKey) Bytes() []byte { return bytes.Clone(p.raw) }

// Armored returns the key in ASCII armor, as GnuPG imports it.
func (p *PublicKey) Armored() (string, error) {
	s, err := armor.ArmorWithTypeAndCustomHeaders(p.raw, constants.PublicKeyHeader, "", "")
	if err != nil {
		return "", fmt.Errorf("crypto: armoring a public key: %w", err)
	}
	return s, nil
}

// Verify checks a detached signature made by Identity.Sign over data. Any
// mismatch gives ErrBadSignature.
func (p *PublicKey) Verify(data, sig []byte) error {
	return p.verifyWithContext(data, sig, nil)
}

// verifyWithContext checks a detached signature; when vc is not nil the
// signature must carry that use's notation, and when it is nil a signature
// made for a named use is refused.
func (p *PublicKey) verifyWithContext(data, sig []byte, vc *pgp.VerificationContext) error {
	if len(sig) == 0 || len(sig) > maxSignatureSize {
		return fmt.Errorf("%w: a signature is 1 to %d bytes long", ErrBadSignature, maxSignatureSize)
	}
	// verifyTime 0: OpenPGP expiry is not ours to judge; staff are removed
	// from the directory and scope epochs rotate instead.
	err := p.ring.VerifyDetachedWithContext(pgp.NewPlainMessage(data), pgp.NewPGPSignature(sig), 0, vc)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return nil
}

// Encrypt encrypts plain to this staff member and signs it with signer, as
// one binary OpenPGP message that GnuPG can also open.
func (p *PublicKey) Encrypt(plain []byte, signer *Identity) ([]byte, error) {
	return p.encryptWithContext(plain, signer, nil)
}

// encryptWithContext encrypts and signs, naming the use in the signature
// when sc is not nil.
func (p *PublicKey) encryptWithContext(plain []byte, signer *Identity, sc *pgp.SigningContext) ([]byte, error) {
	if signer == nil {
		return nil, fmt.Errorf("crypto: encrypting to %s: no signing staff key was given", p.fingerprint)
	}
	if len(plain) > MaxMessageSize {
		return nil, fmt.Errorf("crypto: a message is at most %d bytes; this one is %d", MaxMessageSize, len(plain))
	}
	var out []byte
	err := signer.unlocked(func(_ *pgp.Key, ring *pgp.KeyRing) error {
		msg, err := p.ring.EncryptWithContext(pgp.NewPlainMessage(plain), ring, sc)
		if err != nil {
			return fmt.Errorf("crypto: encrypting to %s: %w", p.fingerprint, err)
		}
		out = msg.GetBinary()
		return nil
	})
	return out, err
}
