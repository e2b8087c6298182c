// envelope.go protects every change a workstation makes. An envelope is a
// clear header (ids and counters only, nothing identifying a patient), a
// payload encrypted with the scope's epoch key (an OpenPGP symmetrically
// encrypted, integrity-protected packet, AES-256, via a gopenpgp session
// key), and the author's detached OpenPGP signature over every byte before
// it. The signature carries a critical "medihaven envelope v1" notation, so it
// is valid for envelopes only: a signature made by Identity.Sign cannot be
// passed off as an envelope's, nor the other way round. Envelopes are
// immutable: the same raw bytes are stored locally and on IPFS, and Hash
// names them.
//
// Raw format, version 1 (all integers big-endian):
//
//	"MHE1"                      magic and version (4 bytes)
//	header length (2 bytes)     then the header:
//	    ID       1-byte length + ASCII   32 lowercase hex
//	    Entity   1-byte length + ASCII   1..128 of [a-z0-9._:-]
//	    Kind     1-byte length + ASCII   [a-z][a-z0-9._-]{0,31}
//	    Scope    1-byte length + ASCII   same shape as Kind
//	    Epoch    4 bytes
//	    Author   1-byte length + ASCII   40 or 64 lowercase hex
//	    Device   1-byte length + ASCII   32 lowercase hex
//	    Seq      8 bytes                 1-based
//	    Lamport  8 bytes
//	    Prev     1-byte length + ASCII   "" when Seq is 1, else 64 lowercase hex
//	    Time     8 bytes                 unix milliseconds, not negative
//	ciphertext length (4 bytes), ciphertext (at least 1 byte)
//	signature length (2 bytes), signature (1..1024 bytes)
//
// The signed bytes are everything from the magic to the end of the
// ciphertext. The whole is at most MaxEnvelopeSize; nothing may follow the
// signature. Each header value has exactly one encoding, so ParseEnvelope of
// Raw gives back the same Raw, and Verify also requires the signature packet
// to be written exactly as Seal writes it (see canonical.go): no byte of Raw
// can change without Verify failing.

package crypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

const (
	envelopeMagic   = "MHE1"
	envelopeContext = "medihaven envelope v1"

	// MaxEnvelopeSize bounds an envelope's raw bytes.
	MaxEnvelopeSize = 1 << 20

	// MaxPayloadSize bounds the payload sealed in one envelope.
	MaxPayloadSize = MaxEnvelopeSize - 8<<10

	// maxHeaderSize bounds the encoded header (the largest valid one is
	// about 420 bytes).
	maxHeaderSize = 512
)

// Header is an envelope's clear part. It holds ids and counters only,
// never a name or other identifying text.
type Header struct {
	ID      string // event id: 32 lowercase hex (see NewEventID)
	Entity  string // entity id: random hex, or a fingerprint or token id
	Kind    string // e.g. "patient", "appointment", "member", "grant", "enroll"
	Scope   string // e.g. "directory", "frontdesk", "clinical", "admin", "enroll", "grant"
	Epoch   uint32 // the scope key's epoch
	Author  string // author's key fingerprint
	Device  string // device id: 32 lowercase hex
	Seq     uint64 // per-device sequence, from 1
	Lamport uint64 // Lamport clock
	Prev    string // Hash of this device's previous envelope; "" when Seq is 1
	Time    int64  // unix milliseconds
}

// Envelope is one sealed, signed event. Ciphertext and Signature share
// memory with Raw: treat all three as read-only.
type Envelope struct {
	Header     Header
	Ciphertext []byte
	Signature  []byte
	Raw        []byte // the exact bytes stored locally and on IPFS
}

// NewEventID returns a new random event id (16 bytes as 32 lowercase hex).
// Use it for entity ids and device ids too.
func NewEventID() string { return randomHex(16) }

// Check reports whether every field of h has its required shape.
func (h Header) Check() error {
	var reason string
	switch {
	case !isLowerHex(h.ID, 32):
		reason = "the event id is not 32 lowercase hex digits"
	case !isEntityID(h.Entity):
		reason = "the entity id is not 1 to 128 of a-z, 0-9, '.', '_', ':', '-'"
	case !isName(h.Kind):
		reason = "the kind is not a short lowercase name"
	case !isName(h.Scope):
		reason = "the scope is not a short lowercase name"
	case !isFingerprint(h.Author):
		reason = "the author is not a key fingerprint in lowercase hex"
	case !isLowerHex(h.Device, 32):
		reason = "the device id is not 32 lowercase hex digits"
	case h.Seq == 0:
		reason = "the sequence number starts at 1"
	case h.Seq == 1 && h.Prev != "":
		reason = "a device's first event has no previous hash"
	case h.Seq > 1 && !isLowerHex(h.Prev, 64):
		reason = "the previous hash is not 64 lowercase hex digits"
	case h.Seq > math.MaxInt64:
		reason = "the sequence number is larger than a store can hold"
	case h.Lamport > math.MaxInt64:
		reason = "the Lamport clock is larger than a store can hold"
	case h.Time < 0:
		reason = "the time is before 1970"
	default:
		return nil
	}
	return fmt.Errorf("%w: %s", ErrMalformed, reason)
}

// appendBinary appends the header's canonical encoding; h must pass Check.
func (h Header) appendBinary(b []byte) []byte {
	b = appendStr8(b, h.ID)
	b = appendStr8(b, h.Entity)
	b = appendStr8(b, h.Kind)
	b = appendStr8(b, h.Scope)
	b = binary.BigEndian.AppendUint32(b, h.Epoch)
	b = appendStr8(b, h.Author)
	b = appendStr8(b, h.Device)
	b = binary.BigEndian.AppendUint64(b, h.Seq)
	b = binary.BigEndian.AppendUint64(b, h.Lamport)
	b = appendStr8(b, h.Prev)
	return binary.BigEndian.AppendUint64(b, uint64(h.Time))
}

// header reads a header and checks its shape.
func (d *decoder) header() Header {
	h := Header{
		ID:      d.str8(),
		Entity:  d.str8(),
		Kind:    d.str8(),
		Scope:   d.str8(),
		Epoch:   d.u32(),
		Author:  d.str8(),
		Device:  d.str8(),
		Seq:     d.u64(),
		Lamport: d.u64(),
		Prev:    d.str8(),
		Time:    int64(d.u64()),
	}
	if d.err == nil {
		if err := h.Check(); err != nil {
			d.err = err
		}
	}
	return h
}

// Seal encrypts payload with k and signs the envelope as author. h.Scope
// and h.Epoch must be k's, and h.Author author's fingerprint
// (ErrHeaderMismatch otherwise).
func Seal(h Header, payload []byte, k ScopeKey, author *Identity) (*Envelope, error) {
	if h.Scope != k.Scope || h.Epoch != k.Epoch {
		return nil, fmt.Errorf("%w: the header is for %s/%d but the key is %s", ErrHeaderMismatch, h.Scope, h.Epoch, k)
	}
	if len(payload) > MaxPayloadSize {
		return nil, fmt.Errorf("crypto: a change is at most %d bytes; this one is %d", MaxPayloadSize, len(payload))
	}
	sk := pgp.NewSessionKeyFromToken(k.Secret[:], "aes256")
	defer sk.Clear()
	ct, err := sk.Encrypt(pgp.NewPlainMessage(payload))
	if err != nil {
		return nil, fmt.Errorf("crypto: encrypting a change: %w", err)
	}
	return SealRaw(h, ct, author)
}

// SealRaw signs an envelope whose payload is already encrypted (a grant's
// payload is a SealGrant message) and stores it as is.
func SealRaw(h Header, payload []byte, author *Identity) (*Envelope, error) {
	if author == nil {
		return nil, errors.New("crypto: sealing a change: no author key was given")
	}
	if h.Author != author.Fingerprint() {
		return nil, fmt.Errorf("%w: the header names author %q but the key is %s", ErrHeaderMismatch, h.Author, author.Fingerprint())
	}
	if err := h.Check(); err != nil {
		return nil, fmt.Errorf("crypto: sealing a change: %w", err)
	}
	if len(payload) == 0 || len(payload) > MaxEnvelopeSize {
		return nil, fmt.Errorf("crypto: a sealed payload is 1 to %d bytes; this one is %d", MaxEnvelopeSize, len(payload))
	}
	raw := make([]byte, 0, len(envelopeMagic)+2+maxHeaderSize+4+len(payload)+2+160)
	raw = append(raw, envelopeMagic...)
	raw = append(raw, 0, 0) // header length, filled in below
	headerStart := len(raw)
	raw = h.appendBinary(raw)
	binary.BigEndian.PutUint16(raw[headerStart-2:], uint16(len(raw)-headerStart))
	raw = binary.BigEndian.AppendUint32(raw, uint32(len(payload)))
	ctStart := len(raw)
	raw = append(raw, payload...)
	signedLen := len(raw)

	sig, err := author.signWithContext(raw, pgp.NewSigningContext(envelopeContext, true))
	if err != nil {
		return nil, err
	}
	if len(sig) > maxSignatureSize {
		return nil, fmt.Errorf("crypto: the author's signature is %d bytes, more than %d", len(sig), maxSignatureSize)
	}
	if signedLen+2+len(sig) > MaxEnvelopeSize {
		return nil, fmt.Errorf("crypto: a sealed change is at most %d bytes; this one is %d", MaxEnvelopeSize, signedLen+2+len(sig))
	}
	raw = binary.BigEndian.AppendUint16(raw, uint16(len(sig)))
	raw = append(raw, sig...)
	return &Envelope{
		Header:     h,
		Ciphertext: raw[ctStart:signedLen:signedLen],
		Signature:  raw[signedLen+2:],
		Raw:        raw,
	}, nil
}

// frame is the position of an envelope's parts in its raw bytes.
type frame struct {
	header     Header
	headerRaw  []byte
	ciphertext []byte
	signature  []byte
	signedLen  int
}

// parseFrame reads raw strictly; the parts alias raw.
func parseFrame(raw []byte) (frame, error) {
	var f frame
	if len(raw) > MaxEnvelopeSize {
		return f, fmt.Errorf("%w: an envelope is at most %d bytes", ErrMalformed, MaxEnvelopeSize)
	}
	d := decoder{b: raw}
	if string(d.bytes(len(envelopeMagic))) != envelopeMagic {
		return f, d.fail("not a Medihaven envelope (version 1)")
	}
	n := int(d.u16())
	if n > maxHeaderSize {
		return f, d.fail("the header is too long")
	}
	f.headerRaw = d.bytes(n)
	if d.err != nil {
		return f, d.err
	}
	hd := decoder{b: f.headerRaw}
	f.header = hd.header()
	if err := hd.end(); err != nil {
		return f, err
	}
	f.ciphertext = d.bytes(int(d.u32()))
	f.signedLen = d.off
	if d.err == nil && len(f.ciphertext) == 0 {
		d.fail("the payload is empty")
	}
	f.signature = d.bytes(int(d.u16()))
	if d.err == nil && len(f.signature) == 0 {
		d.fail("the signature is missing")
	}
	if d.err == nil && len(f.signature) > maxSignatureSize {
		d.fail("the signature is too long")
	}
	return f, d.end()
}

// ParseEnvelope reads an envelope strictly: size limits, exact framing, no
// trailing bytes, header fields of the right shape (ErrMalformed otherwise).
// It does not check the signature: call Verify. The envelope keeps its own
// copy of raw.
func ParseEnvelope(raw []byte) (*Envelope, error) {
	own := bytes.Clone(raw)
	f, err := parseFrame(own)
	if err != nil {
		return nil, err
	}
	return &Envelope{Header: f.header, Ciphertext: f.ciphertext, Signature: f.signature, Raw: own}, nil
}

// Verify checks that author signed this envelope and that its fields are
// its raw bytes. author's fingerprint must be Header.Author. Any mismatch
// gives ErrBadSignature (or ErrMalformed if the fields were changed after
// parsing).
func (e *Envelope) Verify(author *PublicKey) error {
	if author == nil {
		return fmt.Errorf("%w: no author key was given to check it against", ErrBadSignature)
	}
	if author.Fingerprint() != e.Header.Author {
		return fmt.Errorf("%w: the envelope names author %q, not %s", ErrBadSignature, e.Header.Author, author.Fingerprint())
	}
	f, err := parseFrame(e.Raw)
	if err != nil {
		return err
	}
	if f.header != e.Header || !bytes.Equal(f.ciphertext, e.Ciphertext) || !bytes.Equal(f.signature, e.Signature) {
		return fmt.Errorf("%w: the envelope's fields differ from its raw bytes", ErrMalformed)
	}
	return author.verifyEnvelopeSignature(e.Raw[:f.signedLen], f.signature)
}

// Open decrypts the payload with k. A key for another scope or epoch, a
// wrong key, an envelope made by SealRaw, or an altered ciphertext gives
// ErrCannotOpen; that is expected for scopes this workstation does not hold.
// Open does not check the signature: call Verify first.
func (e *Envelope) Open(k ScopeKey) ([]byte, error) {
	if k.Scope != e.Header.Scope || k.Epoch != e.Header.Epoch {
		return nil, fmt.Errorf("%w: it was sealed for %s/%d, the key is %s", ErrCannotOpen, e.Header.Scope, e.Header.Epoch, k)
	}
	sk := pgp.NewSessionKeyFromToken(k.Secret[:], "aes256")
	defer sk.Clear()
	r, err := sk.DecryptStream(bytes.NewReader(e.Ciphertext), nil, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCannotOpen, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, MaxPayloadSize+1))
	if err != nil {
		wipe(plain)
		return nil, fmt.Errorf("%w: %w", ErrCannotOpen, err)
	}
	if len(plain) > MaxPayloadSize {
		wipe(plain)
		return nil, fmt.Errorf("%w: the payload is larger than %d bytes", ErrMalformed, MaxPayloadSize)
	}
	return plain, nil
}

// Hash returns the lowercase hex SHA-256 of Raw: the envelope's name in the
// next envelope's Prev.
func (e *Envelope) Hash() string {
	sum := sha256.Sum256(e.Raw)
	return hex.EncodeToString(sum[:])
}
