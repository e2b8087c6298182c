// verifysig.go checks an envelope's signature in one pass (issue 17: a
// catch-up verifies every envelope, and gopenpgp's detached verify and the
// exactness check of canonical.go each parsed the signature packet and
// hashed the signed bytes). The rules are gopenpgp's and go-crypto's, as
// Envelope.Verify used them (KeyRing.VerifyDetachedWithContext, time 0:
// no expiry; the envelope context required), read from their code:
//
//   - one signature packet, with an issuer key id, of a hash gopenpgp
//     allows, by a key of the ring that may sign;
//   - the signature verifies over the signed bytes;
//   - no unknown critical notation on it or on the key's self-signatures,
//     the key and its primary identity not revoked;
//   - exactly one human-readable context notation, "medihaven envelope v1";
//
// and canonical.go's: the packet written exactly as Seal writes it, with
// the right hash tag. The signature format does not change: GnuPG checks
// an envelope as before.

package crypto

import (
	"bytes"
	gocrypto "crypto"
	"encoding"
	"errors"
	"fmt"
	"hash"
	"slices"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/gopenpgp/v2/constants"
)

// allowedHashes are the hashes gopenpgp accepts in a detached signature
// (its signature.go).
var allowedHashes = []gocrypto.Hash{gocrypto.SHA224, gocrypto.SHA256, gocrypto.SHA384, gocrypto.SHA512, gocrypto.SHA3_256, gocrypto.SHA3_512}

// verifyEnvelopeSignature checks that p signed signed with sigBytes, an
// envelope's signature packet, and that the packet is exact.
func (p *PublicKey) verifyEnvelopeSignature(signed, sigBytes []byte) error {
	if len(sigBytes) == 0 || len(sigBytes) > maxSignatureSize {
		return fmt.Errorf("%w: a signature is 1 to %d bytes long", ErrBadSignature, maxSignatureSize)
	}
	sig, err := readExactSignature(sigBytes)
	if err != nil {
		return err
	}
	if sig.IssuerKeyId == nil {
		return fmt.Errorf("%w: the signature names no issuer", ErrBadSignature)
	}
	if !slices.Contains(allowedHashes, sig.Hash) {
		return fmt.Errorf("%w: the signature's hash is not allowed", ErrBadSignature)
	}
	var ring openpgp.EntityList
	for _, k := range p.ring.GetKeys() {
		ring = append(ring, k.GetEntity())
	}
	keys := ring.KeysByIdUsage(*sig.IssuerKeyId, packet.KeyFlagSign)
	if len(keys) == 0 {
		return fmt.Errorf("%w: %w", ErrBadSignature, errors.New("signature made by unknown entity"))
	}
	h, err := sig.PrepareVerify()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	h.Write(signed)
	// The signed bytes are hashed once; each use of the digest (the hash
	// tag, each key's check) finishes a copy of it.
	state, canCopy := h.(encoding.BinaryMarshaler)
	var at []byte
	if canCopy {
		at, err = state.MarshalBinary()
		canCopy = err == nil
	}
	digest := func() hash.Hash {
		if canCopy {
			c := sig.Hash.New()
			if u, ok := c.(encoding.BinaryUnmarshaler); ok && u.UnmarshalBinary(at) == nil {
				return c
			}
		}
		c, _ := sig.PrepareVerify() // cannot fail: it did above
		c.Write(signed)
		return c
	}
	if err := packet.VerifyHashTag(digest(), sig); err != nil {
		return fmt.Errorf("%w: the signature's hash tag is wrong", ErrBadSignature)
	}
	for _, key := range keys {
		if err = key.PublicKey.VerifySignature(digest(), sig); err == nil {
			return checkSignatureDetails(&key, sig)
		}
	}
	return fmt.Errorf("%w: %w", ErrBadSignature, err)
}

// readExactSignature reads one v4 binary-document signature packet
// written exactly as Seal writes it (canonical.go).
func readExactSignature(sigBytes []byte) (*packet.Signature, error) {
	r := bytes.NewReader(sigBytes)
	p, err := packet.Read(r)
	if err != nil || r.Len() != 0 {
		return nil, fmt.Errorf("%w: the signature packet is not exact", ErrBadSignature)
	}
	sig, ok := p.(*packet.Signature)
	if !ok || sig.SigType != packet.SigTypeBinary {
		return nil, fmt.Errorf("%w: not a binary-document signature", ErrBadSignature)
	}
	if err := checkExactPacket(sig, sigBytes); err != nil {
		return nil, err
	}
	return sig, nil
}

// checkSignatureDetails is go-crypto's check of a verified message
// signature (checkMessageSignatureDetails) at time 0, where nothing has
// expired, knowing the context notation only, followed by gopenpgp's check
// of the envelope context.
func checkSignatureDetails(key *openpgp.Key, sig *packet.Signature) error {
	now := time.Unix(0, 0)
	primarySelfSignature, primaryIdentity := key.Entity.PrimarySelfSignature()
	bySubkey := key.PublicKey != key.Entity.PrimaryKey
	sigs := []*packet.Signature{sig, primarySelfSignature}
	if bySubkey {
		sigs = append(sigs, key.SelfSignature, key.SelfSignature.EmbeddedSignature)
	}
	for _, s := range sigs {
		if s == nil {
			continue
		}
		for _, n := range s.Notations {
			if n.IsCritical && n.Name != constants.SignatureContextName {
				return fmt.Errorf("%w: unknown critical notation: %s", ErrBadSignature, n.Name)
			}
		}
	}
	if key.Entity.Revoked(now) || (bySubkey && key.Revoked(now)) || (primaryIdentity != nil && primaryIdentity.Revoked(now)) {
		return fmt.Errorf("%w: the signing key is revoked", ErrBadSignature)
	}
	context, found := "", false
	for _, n := range sig.Notations {
		if n.Name != constants.SignatureContextName {
			continue
		}
		if found && context != "" || !n.IsHumanReadable {
			return fmt.Errorf("%w: the signature's context notation is not exact", ErrBadSignature)
		}
		context, found = string(n.Value), true
	}
	if context != envelopeContext {
		return fmt.Errorf("%w: the signature was not made for an envelope", ErrBadSignature)
	}
	return nil
}
