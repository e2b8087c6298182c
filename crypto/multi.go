// multi.go encrypts one message to several staff members at once (a chat
// message to the clinic room, or to a colleague and to the sender's own
// archive copy) and opens such a message even when its signature does not
// match, so that the caller can show it marked as unverified instead of
// dropping it. It never decides trust: the caller gets the signature's
// verdict next to the plaintext.

package crypto

import (
	"bytes"
	"fmt"
	"io"
	"time"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// MaxRecipients bounds the recipients of one message: a clinic's staff.
const MaxRecipients = 256

// EncryptToMany encrypts plain to every key in to and signs it with signer,
// as one binary OpenPGP message (one session key wrapped to each
// recipient) that each of them, and GnuPG, can open. Messages to the same
// set of recipients share a session key for a while (sessions.go).
func EncryptToMany(plain []byte, signer *Identity, to ...*PublicKey) ([]byte, error) {
	switch {
	case signer == nil:
		return nil, fmt.Errorf("crypto: encrypting a message: no signing staff key was given")
	case len(to) == 0:
		return nil, fmt.Errorf("crypto: encrypting a message: no recipient was given")
	case len(to) > MaxRecipients:
		return nil, fmt.Errorf("crypto: a message goes to at most %d staff members; this one to %d", MaxRecipients, len(to))
	case len(plain) > MaxMessageSize:
		return nil, fmt.Errorf("crypto: a message is at most %d bytes; this one is %d", MaxMessageSize, len(plain))
	}
	for _, p := range to {
		if p == nil {
			return nil, fmt.Errorf("crypto: encrypting a message: a recipient key is missing")
		}
	}
	var out []byte
	err := signer.unlocked(func(_ *pgp.Key, signRing *pgp.KeyRing) error {
		sk, packets, err := signer.sess.outgoing(recipientSet(to), func() (*pgp.KeyRing, error) { return recipientRing(to) }, time.Now())
		if err != nil {
			return fmt.Errorf("crypto: encrypting a message: %w", err)
		}
		data, err := sk.EncryptAndSign(pgp.NewPlainMessage(plain), signRing)
		if err != nil {
			return fmt.Errorf("crypto: encrypting a message: %w", err)
		}
		out = append(bytes.Clone(packets), data...)
		return nil
	})
	return out, err
}

// recipientRing is one key ring of the keys in to, each once.
func recipientRing(to []*PublicKey) (*pgp.KeyRing, error) {
	ring, err := pgp.NewKeyRing(nil)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range to {
		if seen[p.fingerprint] {
			continue
		}
		seen[p.fingerprint] = true
		for _, k := range p.ring.GetKeys() {
			if err := ring.AddKey(k); err != nil {
				return nil, fmt.Errorf("crypto: encrypting to %s: %w", p.fingerprint, err)
			}
		}
	}
	return ring, nil
}

// Opened is a message opened by OpenSigned.
type Opened struct {
	// Plain is the message as written.
	Plain []byte
	// Signature is nil when the expected sender signed the message exactly
	// as it is; otherwise an error wrapping ErrBadSignature saying why not.
	Signature error
}

// OpenSigned decrypts a message for this staff member and checks it against
// from, the key of the staff member it claims to come from (nil when the
// sender is not known). Unlike Decrypt it returns the plaintext of a message
// whose signature does not match, with the verdict in Opened.Signature, so
// that it can be shown marked as unverified. A message that is not for this
// staff member, or is damaged, gives ErrCannotOpen or ErrMalformed.
func (id *Identity) OpenSigned(msg []byte, from *PublicKey) (Opened, error) {
	if len(msg) == 0 || int64(len(msg)) > MaxMessageSize+maxMessageOverhead {
		return Opened{}, fmt.Errorf("%w: a message is 1 byte to %d bytes long", ErrMalformed, MaxMessageSize+maxMessageOverhead)
	}
	var verify *pgp.KeyRing
	if from != nil {
		verify = from.ring
	}
	var out Opened
	err := id.unlocked(func(_ *pgp.Key, ring *pgp.KeyRing) error {
		split, err := pgp.NewPGPMessage(msg).SplitMessage()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCannotOpen, err)
		}
		sk, err := id.sess.incoming(split.KeyPacket, func() (*pgp.SessionKey, error) {
			return ring.DecryptSessionKey(split.KeyPacket)
		})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCannotOpen, err)
		}
		r, err := sk.DecryptStream(bytes.NewReader(split.DataPacket), verify, 0)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCannotOpen, err)
		}
		plain, err := io.ReadAll(io.LimitReader(r, MaxMessageSize+1))
		if err != nil {
			wipe(plain)
			return fmt.Errorf("%w: %w", ErrCannotOpen, err)
		}
		if len(plain) > MaxMessageSize {
			wipe(plain)
			return fmt.Errorf("%w: the message is larger than %d bytes", ErrMalformed, MaxMessageSize)
		}
		out.Plain = plain
		switch {
		case from == nil:
			out.Signature = fmt.Errorf("%w: the sender is not in the staff directory", ErrBadSignature)
		default:
			if err := r.VerifySignature(); err != nil {
				out.Signature = fmt.Errorf("%w: %w", ErrBadSignature, err)
			}
		}
		return nil
	})
	return out, err
}
