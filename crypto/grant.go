// grant.go protects a scope epoch key on its way to one member: the key is
// encrypted to the member's public key and signed by the granter, as one
// OpenPGP message. The signature carries a critical "medihaven grant v1"
// notation, so a grant is never mistaken for a chat message or the other way
// round, and the plaintext names the recipient's fingerprint, so a grant
// re-encrypted to someone else by its recipient is refused.
//
// Plaintext: "MHG1", recipient fingerprint (1-byte length + ASCII), then the
// scope key's binary form (see ScopeKey.MarshalBinary).

package crypto

import (
	"errors"
	"fmt"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

const (
	grantMagic   = "MHG1"
	grantContext = "medihaven grant v1"
	// maxGrantSize bounds a grant's plaintext.
	maxGrantSize = 256
)

// SealGrant encrypts k to the member holding to, signed by the granter by.
func SealGrant(k ScopeKey, to *PublicKey, by *Identity) ([]byte, error) {
	if to == nil {
		return nil, errors.New("crypto: sealing a grant: no recipient key was given")
	}
	if !isName(k.Scope) {
		return nil, fmt.Errorf("crypto: sealing a grant: %q is not a scope name", k.Scope)
	}
	plain := appendStr8([]byte(grantMagic), to.Fingerprint())
	plain = k.appendBinary(plain)
	defer wipe(plain)
	return to.encryptWithContext(plain, by, pgp.NewSigningContext(grantContext, true))
}

// OpenGrant decrypts a grant sealed for me and checks that from made it.
// A grant for someone else gives ErrCannotOpen; a grant not signed by from,
// or altered, gives ErrBadSignature or ErrCannotOpen; bytes that are not a
// grant give ErrMalformed.
func OpenGrant(sealed []byte, me *Identity, from *PublicKey) (ScopeKey, error) {
	if me == nil {
		return ScopeKey{}, errors.New("crypto: opening a grant: no staff key was given")
	}
	plain, err := me.decryptFrom(sealed, from, pgp.NewVerificationContext(grantContext, true, 0), maxGrantSize)
	if err != nil {
		return ScopeKey{}, fmt.Errorf("crypto: opening a grant: %w", err)
	}
	defer wipe(plain)
	d := decoder{b: plain}
	if string(d.bytes(len(grantMagic))) != grantMagic {
		d.fail("not a grant")
	}
	recipient := d.str8()
	k, _ := d.scopeKey()
	if err := d.end(); err != nil {
		return ScopeKey{}, fmt.Errorf("crypto: opening a grant: %w", err)
	}
	if recipient != me.Fingerprint() {
		return ScopeKey{}, fmt.Errorf("%w: this grant was made for another staff member", ErrCannotOpen)
	}
	return k, nil
}
