// shortcode.go is a registration token's short form, read over the phone
// in groups of four: the address of the clinic server's join desk and an
// 80-bit key. The full token waits at the desk sealed (AES-256-GCM) under
// a key derived from it, filed under an id derived from it, so the desk
// and anyone on the way learn nothing of the token, and a code that
// resolves proves it: only the holder of the key sealed what it opens.
//
// Text form: "MH2-" then RFC 4648 base32 in groups of four, of:
//
//	header (1 byte): 0x20 | flags; flag 1: the host is an IPv4 address
//	(4 bytes), else a name (1-byte length + ASCII); flag 2: a port follows
//	host (2 bytes, big-endian), else DefaultDeskPort
//	key (10 bytes)
//	checksum (2 bytes): the first 2 bytes of SHA-256 of everything before
//
// With an IPv4 address and the default port that is 28 characters.

package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// DefaultDeskPort is the join desk's port when a short code names none.
const DefaultDeskPort = 5290

const (
	shortVersion  = 0x20
	shortIPv4     = 1
	shortPort     = 2
	shortKeyLen   = 10
	shortChecksum = 2
	maxShortText  = 200
)

// ShortCode is a registration token's short form.
type ShortCode struct {
	Desk string // the join desk, host:port
	Key  [shortKeyLen]byte
}

// NewShortCode returns a short code with a fresh random key for the desk
// at host:port.
func NewShortCode(desk string) (ShortCode, error) {
	c := ShortCode{Desk: desk}
	_, _ = rand.Read(c.Key[:]) // crypto/rand.Read never fails (Go 1.24+).
	if _, err := c.MarshalBinary(); err != nil {
		return ShortCode{}, err
	}
	return c, nil
}

// IsShortCode reports whether s looks like a short code (rather than a
// whole token): it starts with MH2.
func IsShortCode(s string) bool {
	return strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s)), "MH2")
}

// MarshalBinary encodes the code.
func (c ShortCode) MarshalBinary() ([]byte, error) {
	host, port, err := net.SplitHostPort(c.Desk)
	n, perr := strconv.ParseUint(port, 10, 16)
	if err != nil || perr != nil || n == 0 || host == "" || len(host) > 253 || !isPrintable(host, 253) {
		return nil, fmt.Errorf("%w: %w: the join desk %q is not host:port", ErrMalformedToken, ErrTokenField, c.Desk)
	}
	b := []byte{shortVersion}
	if ip := net.ParseIP(host).To4(); ip != nil {
		b[0] |= shortIPv4
		b = append(b, ip...)
	} else {
		b = appendStr8(b, host)
	}
	if n != DefaultDeskPort {
		b[0] |= shortPort
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	}
	b = append(b, c.Key[:]...)
	sum := sha256.Sum256(b)
	return append(b, sum[:shortChecksum]...), nil
}

// String is the text form, "MH2-" and base32 in groups of four; "" for a
// code that does not encode.
func (c ShortCode) String() string {
	b, err := c.MarshalBinary()
	if err != nil {
		return ""
	}
	text := tokenEncoding.EncodeToString(b)
	var out strings.Builder
	out.WriteString("MH2")
	for i := 0; i < len(text); i += 4 {
		out.WriteByte('-')
		out.WriteString(text[i:min(i+4, len(text))])
	}
	return out.String()
}

// ParseShortCode reads a short code as a person typed it: case, spaces and
// dashes do not matter, and 0, 1 and 8 read as O, I and B. Errors match
// ErrMalformedToken and one of the ErrToken reasons.
func ParseShortCode(s string) (ShortCode, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) > maxShortText {
		return ShortCode{}, tokenError(ErrTokenField, "it is far too long for a short code")
	}
	rest, ok := strings.CutPrefix(s, "MH2")
	if !ok {
		return ShortCode{}, tokenError(ErrTokenPrefix, "")
	}
	body, err := tokenBody("MH1-" + strings.TrimLeft(rest, "- "))
	if err != nil {
		return ShortCode{}, err
	}
	b, err := tokenEncoding.DecodeString(body)
	if err != nil || tokenEncoding.EncodeToString(b) != body {
		return ShortCode{}, shortLengthError(len(body))
	}
	if want := shortLength(b); len(b) < want {
		return ShortCode{}, tokenError(ErrTokenTruncated, "")
	} else if len(b) > want {
		return ShortCode{}, tokenError(ErrTokenMistyped, "")
	}
	payload, sum := b[:len(b)-shortChecksum], b[len(b)-shortChecksum:]
	if want := sha256.Sum256(payload); want[0] != sum[0] || want[1] != sum[1] {
		return ShortCode{}, tokenError(ErrTokenMistyped, "")
	}
	if payload[0]&^(shortIPv4|shortPort) != shortVersion {
		return ShortCode{}, tokenError(ErrTokenVersion, "")
	}
	d := decoder{b: payload[1:]}
	var host string
	if payload[0]&shortIPv4 != 0 {
		host = net.IP(d.bytes(4)).String()
	} else {
		host = d.str8()
	}
	port := uint16(DefaultDeskPort)
	if payload[0]&shortPort != 0 {
		port = uint16(d.u8())<<8 | uint16(d.u8())
	}
	var c ShortCode
	copy(c.Key[:], d.bytes(shortKeyLen))
	if err := d.end(); err != nil || port == 0 || host == "" || !isPrintable(host, 253) {
		return ShortCode{}, tokenError(ErrTokenField, "the code does not fit together")
	}
	c.Desk = net.JoinHostPort(host, strconv.Itoa(int(port)))
	return c, nil
}

// shortLength is the length the header of b announces (at least a header,
// key and checksum).
func shortLength(b []byte) int {
	n := 1 + shortKeyLen + shortChecksum
	if len(b) == 0 {
		return n
	}
	switch {
	case b[0]&shortIPv4 != 0:
		n += 4
	case len(b) > 1:
		n += 1 + int(b[1])
	default:
		n++
	}
	if b[0]&shortPort != 0 {
		n += 2
	}
	return n
}

// shortLengthError tells a code cut short from a mistyped one: base32 of a
// whole number of bytes never has 1, 3 or 6 characters in its last group
// of eight.
func shortLengthError(n int) error {
	switch n % 8 {
	case 1, 3, 6:
		return tokenError(ErrTokenTruncated, "")
	}
	return tokenError(ErrTokenMistyped, "")
}

// ID is the name the sealed token is filed under at the desk: 32 hex
// digits derived from the key (it does not reveal the key).
func (c ShortCode) ID() string {
	id, _ := hkdf.Key(sha256.New, c.Key[:], nil, "medihaven short code id v1", 16)
	return hex.EncodeToString(id)
}

func (c ShortCode) aead() cipher.AEAD {
	key, _ := hkdf.Key(sha256.New, c.Key[:], nil, "medihaven short code key v1", 32)
	defer wipe(key)
	block, _ := aes.NewCipher(key) // a 32-byte key never fails
	g, _ := cipher.NewGCM(block)
	return g
}

// ErrShortCodeSeal means what the desk gave back does not open with the
// code's key: it is not the token this code was made for.
var ErrShortCodeSeal = errors.New("crypto: what the join desk holds under this code is not the token it was made for")

// Seal seals token t for the desk: a random nonce and the AES-256-GCM
// sealed binary token, bound to the code's ID.
func (c ShortCode) Seal(t Token) ([]byte, error) {
	plain, err := t.MarshalBinary()
	if err != nil {
		return nil, err
	}
	g := c.aead()
	nonce := make([]byte, g.NonceSize())
	_, _ = rand.Read(nonce)
	return g.Seal(nonce, nonce, plain, []byte(c.ID())), nil
}

// Open opens what the desk holds under the code's ID and checks that it
// is a whole token.
func (c ShortCode) Open(sealed []byte) (Token, error) {
	g := c.aead()
	if len(sealed) < g.NonceSize()+g.Overhead() {
		return Token{}, ErrShortCodeSeal
	}
	plain, err := g.Open(nil, sealed[:g.NonceSize()], sealed[g.NonceSize():], []byte(c.ID()))
	if err != nil {
		return Token{}, ErrShortCodeSeal
	}
	if len(plain) < 3 {
		return Token{}, ErrShortCodeSeal
	}
	return decodeToken(plain)
}
