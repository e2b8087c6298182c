// identity.go protects a staff member's private OpenPGP key. The key is an
// EdDSA (Ed25519) signing primary with a cv25519 encryption subkey, as
// gopenpgp's GenerateKey(name, "", "x25519", 0) makes. At rest it exists only
// locked: armored, each secret key encrypted with AES-256 under an iterated
// and salted SHA-256 S2K at the largest count OpenPGP allows (65,011,712
// bytes), which GnuPG can also unlock. In memory it is unlocked once, kept in
// a gopenpgp KeyRing for fast signing and decryption, and wiped by Clear.

package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	"github.com/ProtonMail/gopenpgp/v2/armor"
	"github.com/ProtonMail/gopenpgp/v2/constants"
	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

const (
	// keyBackdate is how far before "now" a new key says it was created.
	// A colleague whose clock runs behind ours would otherwise see a key
	// "from the future" and refuse to encrypt to it.
	keyBackdate = 24 * time.Hour

	// maxSubkeys bounds the subkeys of a key we accept, which bounds the
	// S2K work a crafted locked key could ask for.
	maxSubkeys = 8

	// maxStaffNameLen bounds the name in a staff key's user id.
	maxStaffNameLen = 128
)

// Identity is a staff member's unlocked OpenPGP key, kept in memory while
// they work. It is safe for concurrent use. Call Clear when they sign out.
type Identity struct {
	public *PublicKey

	mu   sync.RWMutex
	key  *pgp.Key     // unlocked; nil after Clear
	ring *pgp.KeyRing // holds key; nil after Clear
	sess sessions     // session keys of recent messages (sessions.go)
}

// NewIdentity creates a new key for the staff member called name and
// returns it unlocked, together with a copy locked with passphrase (armored)
// for the keystore. An empty passphrase is refused with ErrEmptyPassphrase.
func NewIdentity(name string, passphrase []byte) (id *Identity, locked []byte, err error) {
	if len(passphrase) == 0 {
		return nil, nil, ErrEmptyPassphrase
	}
	id, err = generateIdentity(name, time.Now())
	if err != nil {
		return nil, nil, err
	}
	locked, err = id.Lock(passphrase)
	if err != nil {
		id.Clear()
		return nil, nil, err
	}
	return id, locked, nil
}

// NewStaffIdentity is NewIdentity for a staff member: the key's user id
// carries their name and role, "Dr Ana Souza (Medihaven physician)", so a
// GnuPG keyring holding the clinic's keys tells them apart. Brackets and
// control characters, which a user id cannot hold, become spaces.
func NewStaffIdentity(name, role string, passphrase []byte) (id *Identity, locked []byte, err error) {
	if len(passphrase) == 0 {
		return nil, nil, ErrEmptyPassphrase
	}
	name = userIDText(name, maxStaffNameLen)
	if name == "" {
		name = "Medihaven staff"
	}
	comment := ""
	if role = userIDText(role, 32); role != "" {
		comment = "Medihaven " + role
	}
	if id, err = generateIdentityWith(name, comment, time.Now()); err != nil {
		return nil, nil, err
	}
	if locked, err = id.Lock(passphrase); err != nil {
		id.Clear()
		return nil, nil, err
	}
	return id, locked, nil
}

// userIDText is s with what a user id cannot hold as spaces, folded, at
// most max bytes.
func userIDText(s string, max int) string {
	s = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if strings.ContainsRune("()<>", r) || unicode.IsControl(r) || !utf8.ValidRune(r) {
			return ' '
		}
		return r
	}, s)), " ")
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return strings.TrimSpace(s)
}

// GenerateIdentity creates a new key for the staff member called name and
// returns it unlocked only: it exists in memory until Lock stores a copy.
// NewIdentity does both at once; this is for callers who lock later (after
// the passphrase is confirmed) and for tests, where locking costs time.
func GenerateIdentity(name string) (*Identity, error) {
	return generateIdentity(name, time.Now())
}

// generateIdentity makes a new unlocked identity whose keys say they were
// created keyBackdate before now.
func generateIdentity(name string, now time.Time) (*Identity, error) {
	return generateIdentityWith(name, "", now)
}

// generateIdentityWith is generateIdentity with a user id comment.
func generateIdentityWith(name, comment string, now time.Time) (*Identity, error) {
	if err := checkStaffName(name); err != nil {
		return nil, err
	}
	created := now.Add(-keyBackdate)
	// The same settings as gopenpgp's GenerateKey(name, "", "x25519", 0),
	// with the creation time passed in rather than taken from a global.
	cfg := &packet.Config{
		Algorithm:              packet.PubKeyAlgoEdDSA,
		Time:                   func() time.Time { return created },
		DefaultHash:            stdcrypto.SHA256,
		DefaultCipher:          packet.CipherAES256,
		DefaultCompressionAlgo: packet.CompressionZLIB,
	}
	entity, err := openpgp.NewEntity(name, comment, "", cfg)
	if err != nil {
		return nil, fmt.Errorf("crypto: creating a staff key: %w", err)
	}
	key, err := pgp.NewKeyFromEntity(entity)
	if err != nil {
		return nil, fmt.Errorf("crypto: creating a staff key: %w", err)
	}
	return newIdentity(key)
}

// checkStaffName refuses names GnuPG would refuse in a user id, and names
// that are empty, too long or hold control characters.
func checkStaffName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("crypto: the staff member's name is empty; type their name")
	case len(name) > maxStaffNameLen:
		return fmt.Errorf("crypto: the staff member's name is longer than %d bytes; shorten it", maxStaffNameLen)
	case !utf8.ValidString(name):
		return errors.New("crypto: the staff member's name is not valid text; type it again")
	case strings.ContainsAny(name, "()<>"):
		return errors.New("crypto: the staff member's name cannot contain brackets ( ) < >; remove them")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("crypto: the staff member's name contains a control character; type it again")
	}
	return nil
}

// newIdentity wraps an unlocked private key.
func newIdentity(key *pgp.Key) (*Identity, error) {
	ring, err := pgp.NewKeyRing(key)
	if err != nil {
		return nil, fmt.Errorf("%w: the staff key is still locked: %w", ErrMalformed, err)
	}
	pub, err := key.GetPublicKey()
	if err != nil {
		return nil, fmt.Errorf("crypto: reading the staff key: %w", err)
	}
	public, err := ParsePublicKey(pub)
	if err != nil {
		return nil, err
	}
	return &Identity{public: public, key: key, ring: ring}, nil
}

// UnlockIdentity unlocks a key made by NewIdentity or Identity.Lock (armored
// or binary). A passphrase that does not open it gives ErrWrongPassphrase;
// bytes that are not a locked staff key give ErrMalformed.
func UnlockIdentity(locked, passphrase []byte) (*Identity, error) {
	if len(passphrase) == 0 {
		return nil, ErrEmptyPassphrase
	}
	if len(locked) == 0 || len(locked) > maxKeySize {
		return nil, fmt.Errorf("%w: a locked staff key is 1 byte to %d KiB long", ErrMalformed, maxKeySize>>10)
	}
	key, err := readKey(locked)
	if err != nil {
		return nil, fmt.Errorf("%w: not an OpenPGP key: %w", ErrMalformed, err)
	}
	secrets, err := lockedSecrets(key.GetEntity())
	if err != nil {
		return nil, err
	}
	if err := packet.DecryptPrivateKeys(secrets, passphrase); err != nil {
		return nil, ErrWrongPassphrase
	}
	return newIdentity(key)
}

// lockedSecrets returns the secret keys of e, checking that e is a locked
// private key of a sensible shape.
func lockedSecrets(e *openpgp.Entity) ([]*packet.PrivateKey, error) {
	if e.PrivateKey == nil {
		return nil, fmt.Errorf("%w: this is a public key; the locked staff key is needed", ErrMalformed)
	}
	if len(e.Subkeys) == 0 || len(e.Subkeys) > maxSubkeys {
		return nil, fmt.Errorf("%w: a staff key has 1 to %d subkeys", ErrMalformed, maxSubkeys)
	}
	secrets := []*packet.PrivateKey{e.PrivateKey}
	for _, sub := range e.Subkeys {
		if sub.PrivateKey == nil {
			return nil, fmt.Errorf("%w: a subkey's secret part is missing", ErrMalformed)
		}
		secrets = append(secrets, sub.PrivateKey)
	}
	for _, s := range secrets {
		if s.Dummy() {
			return nil, fmt.Errorf("%w: the secret key is stored elsewhere (a smart card stub)", ErrMalformed)
		}
		if !s.Encrypted {
			return nil, fmt.Errorf("%w: the staff key is not protected by a passphrase", ErrMalformed)
		}
	}
	return secrets, nil
}

// Public returns the staff member's public key.
func (id *Identity) Public() *PublicKey { return id.public }

// Fingerprint returns the lowercase hex fingerprint of the primary key.
func (id *Identity) Fingerprint() string { return id.public.Fingerprint() }

// unlocked runs f with the unlocked key ring, or returns ErrCleared.
func (id *Identity) unlocked(f func(key *pgp.Key, ring *pgp.KeyRing) error) error {
	id.mu.RLock()
	defer id.mu.RUnlock()
	if id.ring == nil {
		return ErrCleared
	}
	return f(id.key, id.ring)
}

// Sign returns a detached binary OpenPGP signature of data, which GnuPG can
// verify with the public key.
func (id *Identity) Sign(data []byte) ([]byte, error) {
	return id.signWithContext(data, nil)
}

// signWithContext signs data, adding a critical notation naming the use
// when sc is not nil, so the signature is valid for that use only.
func (id *Identity) signWithContext(data []byte, sc *pgp.SigningContext) ([]byte, error) {
	var sig []byte
	err := id.unlocked(func(_ *pgp.Key, ring *pgp.KeyRing) error {
		s, err := ring.SignDetachedWithContext(pgp.NewPlainMessage(data), sc)
		if err != nil {
			return fmt.Errorf("crypto: signing: %w", err)
		}
		sig = s.GetBinary()
		return nil
	})
	return sig, err
}

// Decrypt opens a message made by PublicKey.Encrypt for this staff member
// and checks that from signed it. A message for someone else, or altered,
// gives ErrCannotOpen; a missing or wrong signature gives ErrBadSignature.
func (id *Identity) Decrypt(msg []byte, from *PublicKey) ([]byte, error) {
	return id.decryptFrom(msg, from, nil, MaxMessageSize)
}

// Lock returns the key locked with passphrase and armored, e.g. to change
// the passphrase. The Identity itself stays unlocked.
func (id *Identity) Lock(passphrase []byte) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, ErrEmptyPassphrase
	}
	var locked []byte
	err := id.unlocked(func(key *pgp.Key, _ *pgp.KeyRing) error {
		var err error
		locked, err = lockKey(key, passphrase)
		return err
	})
	return locked, err
}

// lockKey returns an armored copy of key with every secret key encrypted
// under one S2K derivation of passphrase.
//
// The copy is made here rather than with Key.Copy, so that its clear bytes
// and clear secret keys are wiped once it is locked: encrypting a secret
// key only drops the library's reference to it.
func lockKey(key *pgp.Key, passphrase []byte) ([]byte, error) {
	clearBytes, err := key.Serialize()
	if err != nil {
		return nil, fmt.Errorf("crypto: locking the staff key: %w", err)
	}
	dup, err := pgp.NewKey(clearBytes)
	wipe(clearBytes)
	if err != nil {
		return nil, fmt.Errorf("crypto: locking the staff key: %w", err)
	}
	e := dup.GetEntity()
	secrets := []*packet.PrivateKey{e.PrivateKey}
	shadow := &openpgp.Entity{PrivateKey: &packet.PrivateKey{PrivateKey: e.PrivateKey.PrivateKey}}
	for _, sub := range e.Subkeys {
		secrets = append(secrets, sub.PrivateKey)
		shadow.Subkeys = append(shadow.Subkeys, openpgp.Subkey{PrivateKey: &packet.PrivateKey{PrivateKey: sub.PrivateKey.PrivateKey}})
	}
	defer func() {
		if k, err := pgp.NewKeyFromEntity(shadow); err == nil {
			k.ClearPrivateParams()
		}
	}()
	cfg := &packet.Config{
		DefaultCipher: packet.CipherAES256,
		S2KConfig: &s2k.Config{
			S2KMode:  s2k.IteratedSaltedS2K,
			Hash:     stdcrypto.SHA256,
			S2KCount: newKeyKDF.s2kCount, // kdfcost.go
		},
	}
	if err := packet.EncryptPrivateKeys(secrets, passphrase, cfg); err != nil {
		return nil, fmt.Errorf("crypto: locking the staff key: %w", err)
	}
	bin, err := dup.Serialize()
	if err != nil {
		return nil, fmt.Errorf("crypto: locking the staff key: %w", err)
	}
	armored, err := armor.ArmorWithTypeAndCustomHeaders(bin, constants.PrivateKeyHeader, "", "")
	if err != nil {
		return nil, fmt.Errorf("crypto: locking the staff key: %w", err)
	}
	return []byte(armored), nil
}

// Clear wipes the private key from memory (every secret key of the
// unlocked copy is overwritten with zeros, not only dropped). Afterwards the
// Identity still answers Public and Fingerprint; Sign, Decrypt and Lock
// return ErrCleared. It may be called more than once.
func (id *Identity) Clear() {
	id.mu.Lock()
	defer id.mu.Unlock()
	if id.ring != nil {
		id.ring.ClearPrivateParams()
	}
	id.ring, id.key = nil, nil
	id.sess.clear()
}

// decryptFrom opens msg, reading at most limit bytes of plaintext, and
// checks from's signature (made for the use named by vc, if not nil).
func (id *Identity) decryptFrom(msg []byte, from *PublicKey, vc *pgp.VerificationContext, limit int64) ([]byte, error) {
	if from == nil {
		return nil, fmt.Errorf("%w: no sender key was given to check it against", ErrBadSignature)
	}
	if len(msg) == 0 || int64(len(msg)) > limit+maxMessageOverhead {
		return nil, fmt.Errorf("%w: a message is 1 byte to %d bytes long", ErrMalformed, limit+maxMessageOverhead)
	}
	var plain []byte
	err := id.unlocked(func(_ *pgp.Key, ring *pgp.KeyRing) error {
		r, err := ring.DecryptStreamWithContext(bytes.NewReader(msg), from.ring, 0, vc)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCannotOpen, err)
		}
		plain, err = io.ReadAll(io.LimitReader(r, limit+1))
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCannotOpen, err)
		}
		if int64(len(plain)) > limit {
			return fmt.Errorf("%w: the message is larger than %d bytes", ErrMalformed, limit)
		}
		if err := r.VerifySignature(); err != nil {
			return fmt.Errorf("%w: %w", ErrBadSignature, err)
		}
		return nil
	})
	if err != nil {
		wipe(plain)
		return nil, err
	}
	return plain, nil
}
