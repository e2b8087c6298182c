// token.go encodes the registration token: the one string an administrator
// hands to a newcomer (typed, pasted or scanned as a QR code). It carries a
// one-time secret, so the whole string is a secret until redeemed; it is
// checksummed so a mistyped character is caught before anything is sent.
//
// Text form: "MH1-" then RFC 4648 base32 (A-Z, 2-7; no padding) of the
// binary form. Parsing ignores surrounding and inner spaces and dashes and
// letter case, and reads 0, 1 and 8 as O, I and B.
//
// Binary form, version 1 (integers big-endian):
//
//	version (1 byte) = 1; total length (2 bytes)
//	ID (8 bytes); Clinic (16 bytes); Issuer (1-byte length, 20 or 32 bytes)
//	Expires (8 bytes, unix seconds); Secret (32 bytes)
//	Role, IPFS, XMPP, Domain, Invite, IPFSSecret, Desk (each 1-byte length + ASCII)
//	XMPP certificate pin (1-byte length: 0, or 32 bytes of SHA-256)
//	flags (1 byte): bit 0, the XMPP server lets a workstation create its
//	account in-band (a demo or loopback server)
//	checksum (4 bytes): the first 4 bytes of SHA-256 of everything before

package crypto

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Token is a registration token: what a new workstation needs to join a
// clinic under a role.
type Token struct {
	ID      string    // 16 lowercase hex
	Clinic  string    // clinic id: 32 lowercase hex
	Role    string    // role name, e.g. "physician"
	Issuer  string    // issuing administrator's key fingerprint: the newcomer's trust anchor
	Expires time.Time // UTC, whole seconds
	Secret  [32]byte  // one-time secret
	IPFS    string    // clinic Kubo API address (multiaddr or host:port); may be empty
	XMPP    string    // clinic XMPP server host:port; may be empty
	Domain  string    // XMPP domain; may be empty
	Invite  string    // XMPP pre-authenticated account invite; may be empty
	// IPFSSecret is the bearer secret of the clinic's Kubo API ("" when
	// it asks none): the token is the only way it reaches a newcomer.
	IPFSSecret string
	// Desk is the clinic server's join desk, host:port, where the token's
	// short code resolves and where a newcomer asks whether it was
	// approved; may be empty.
	Desk string
	// XMPPCertPin is the SHA-256 of the XMPP server's certificate (64
	// lowercase hex), for a server with a self-signed certificate; "" when
	// the system's certificate authorities vouch for it.
	XMPPCertPin string
	// OpenRegistration: the workstation creates its XMPP account in-band.
	OpenRegistration bool
}

// ErrMalformedToken means a string is not a valid registration token. It
// always wraps one of the ErrToken reasons below, which say why.
var ErrMalformedToken = errors.New("crypto: this is not a valid registration token")

// Reasons a registration token is refused; each is wrapped together with
// ErrMalformedToken, whose message comes first.
var (
	ErrTokenPrefix    = errors.New("it does not start with MH1-")
	ErrTokenMistyped  = errors.New("a character was mistyped; compare it with the original")
	ErrTokenTruncated = errors.New("it is incomplete; copy the whole token")
	ErrTokenVersion   = errors.New("it was made by a newer Medihaven; update this workstation first")
	ErrTokenField     = errors.New("one of its fields is invalid; ask the administrator for a new token")
)

const (
	tokenVersion  = 1
	tokenChecksum = 4
	// maxTokenText bounds the text parsed.
	maxTokenText = 4096
	// maxTokenField bounds each address and the invite.
	maxTokenField = 255
)

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewToken returns a token for a newcomer to clinic in role, issued by the
// administrator with key fingerprint issuer, valid until expires, with a
// random ID and Secret. Set IPFS, XMPP, Domain and Invite afterwards.
func NewToken(clinic, role, issuer string, expires time.Time) (Token, error) {
	t := Token{
		ID:      randomHex(8),
		Clinic:  clinic,
		Role:    role,
		Issuer:  issuer,
		Expires: expires.UTC().Truncate(time.Second),
	}
	_, _ = rand.Read(t.Secret[:]) // crypto/rand.Read never fails (Go 1.24+).
	if err := t.Check(); err != nil {
		return Token{}, err
	}
	return t, nil
}

// Expired reports whether the token is no longer valid at now.
func (t Token) Expired(now time.Time) bool { return !now.Before(t.Expires) }

// Check reports whether every field has its required shape.
func (t Token) Check() error {
	var reason string
	switch {
	case !isLowerHex(t.ID, 16):
		reason = "the token id is not 16 lowercase hex digits"
	case !isLowerHex(t.Clinic, 32):
		reason = "the clinic id is not 32 lowercase hex digits"
	case !isName(t.Role):
		reason = "the role is not a short lowercase name"
	case !isFingerprint(t.Issuer):
		reason = "the issuer is not a key fingerprint in lowercase hex"
	case t.Expires.Unix() <= 0 || t.Expires.Nanosecond() != 0:
		reason = "the expiry is not a whole second after 1970"
	case t.Secret == [32]byte{}:
		reason = "the secret is empty"
	case !isPrintable(t.IPFS, maxTokenField):
		reason = "the IPFS address is not printable ASCII without spaces"
	case !isHostPort(t.XMPP):
		reason = "the XMPP server is not host:port"
	case !isPrintable(t.Domain, maxTokenField):
		reason = "the XMPP domain is not printable ASCII without spaces"
	case !isPrintable(t.Invite, maxTokenField):
		reason = "the invite is not printable ASCII without spaces"
	case !isPrintable(t.IPFSSecret, maxTokenField):
		reason = "the IPFS secret is not printable ASCII without spaces"
	case !isHostPort(t.Desk):
		reason = "the join desk is not host:port"
	case t.XMPPCertPin != "" && !isLowerHex(t.XMPPCertPin, 64):
		reason = "the certificate pin is not 64 lowercase hex digits"
	default:
		return nil
	}
	return fmt.Errorf("%w: %w: %s", ErrMalformedToken, ErrTokenField, reason)
}

// isHostPort accepts "" or host:port with a port from 1 to 65535.
func isHostPort(s string) bool {
	if s == "" {
		return true
	}
	if !isPrintable(s, maxTokenField) {
		return false
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && n > 0 && port == strconv.FormatUint(n, 10)
}

// MarshalBinary encodes a token that passes Check.
func (t Token) MarshalBinary() ([]byte, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	id, _ := hex.DecodeString(t.ID) // shapes checked above
	clinic, _ := hex.DecodeString(t.Clinic)
	issuer, _ := hex.DecodeString(t.Issuer)
	b := []byte{tokenVersion, 0, 0} // total length filled in below
	b = append(b, id...)
	b = append(b, clinic...)
	b = append(b, byte(len(issuer)))
	b = append(b, issuer...)
	b = binary.BigEndian.AppendUint64(b, uint64(t.Expires.Unix()))
	b = append(b, t.Secret[:]...)
	for _, s := range []string{t.Role, t.IPFS, t.XMPP, t.Domain, t.Invite, t.IPFSSecret, t.Desk} {
		b = appendStr8(b, s)
	}
	pin, _ := hex.DecodeString(t.XMPPCertPin)
	b = append(b, byte(len(pin)))
	b = append(b, pin...)
	var flags byte
	if t.OpenRegistration {
		flags |= 1
	}
	b = append(b, flags)
	binary.BigEndian.PutUint16(b[1:3], uint16(len(b)+tokenChecksum))
	sum := sha256.Sum256(b)
	return append(b, sum[:tokenChecksum]...), nil
}

// String returns the token's text form, "MH1-" and base32, or "" if the
// token does not pass Check. The text holds the secret: show it only to the
// administrator issuing it.
func (t Token) String() string {
	b, err := t.MarshalBinary()
	if err != nil {
		return ""
	}
	return "MH1-" + tokenEncoding.EncodeToString(b)
}

// tokenError wraps ErrMalformedToken and a reason, with optional detail.
func tokenError(reason error, detail string) error {
	if detail == "" {
		return fmt.Errorf("%w: %w", ErrMalformedToken, reason)
	}
	return fmt.Errorf("%w: %w (%s)", ErrMalformedToken, reason, detail)
}

// ParseToken reads a token's text form. Errors match ErrMalformedToken and
// one reason: ErrTokenPrefix, ErrTokenMistyped, ErrTokenTruncated,
// ErrTokenVersion or ErrTokenField.
func ParseToken(s string) (Token, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	switch {
	case s == "":
		return Token{}, tokenError(ErrTokenTruncated, "it is empty")
	case len(s) > maxTokenText:
		return Token{}, tokenError(ErrTokenField, "it is far too long")
	}
	body, err := tokenBody(s)
	if err != nil {
		return Token{}, err
	}
	b, err := tokenEncoding.DecodeString(body)
	if err != nil {
		var corrupt base32.CorruptInputError
		if errors.As(err, &corrupt) && int(corrupt) >= len(body)-1 {
			return Token{}, tokenError(ErrTokenTruncated, "")
		}
		return Token{}, tokenError(ErrTokenMistyped, "")
	}
	if len(b) < 3 || len(b) < int(binary.BigEndian.Uint16(b[1:3])) {
		return Token{}, tokenError(ErrTokenTruncated, "")
	}
	if tokenEncoding.EncodeToString(b) != body {
		return Token{}, tokenError(ErrTokenMistyped, "the last character")
	}
	return decodeToken(b)
}

// tokenBody checks the "MH<version>-" prefix and returns the base32 body
// with spaces and dashes removed and look-alike digits read as letters.
func tokenBody(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, "MH")
	if !ok {
		return "", tokenError(ErrTokenPrefix, "")
	}
	version, body, ok := strings.Cut(rest, "-")
	if !ok || version == "" || strings.Trim(version, "0123456789") != "" {
		return "", tokenError(ErrTokenPrefix, "")
	}
	if version != "1" {
		return "", tokenError(ErrTokenVersion, "version "+version)
	}
	var out strings.Builder
	for _, r := range body {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\r' || r == '\n':
		case r == '0':
			out.WriteByte('O')
		case r == '1':
			out.WriteByte('I')
		case r == '8':
			out.WriteByte('B')
		case (r >= 'A' && r <= 'Z') || (r >= '2' && r <= '7'):
			out.WriteRune(r)
		default:
			return "", tokenError(ErrTokenMistyped, fmt.Sprintf("%q is never part of a token", r))
		}
	}
	return out.String(), nil
}

// decodeToken reads the binary form, at least as long as its stated total
// length: checksum, version, fields.
func decodeToken(b []byte) (Token, error) {
	total := int(binary.BigEndian.Uint16(b[1:3]))
	if len(b) > total || total < 3+tokenChecksum {
		return Token{}, tokenError(ErrTokenMistyped, "")
	}
	body, sum := b[:total-tokenChecksum], b[total-tokenChecksum:]
	if want := sha256.Sum256(body); !bytes.Equal(sum, want[:tokenChecksum]) {
		return Token{}, tokenError(ErrTokenMistyped, "")
	}
	if b[0] != tokenVersion {
		return Token{}, tokenError(ErrTokenVersion, fmt.Sprintf("version %d", b[0]))
	}
	d := decoder{b: body[3:]}
	t := Token{
		ID:     hex.EncodeToString(d.bytes(8)),
		Clinic: hex.EncodeToString(d.bytes(16)),
		Issuer: hex.EncodeToString(d.bytes(int(d.u8()))),
	}
	t.Expires = time.Unix(int64(d.u64()), 0).UTC()
	copy(t.Secret[:], d.bytes(len(t.Secret)))
	for _, f := range []*string{&t.Role, &t.IPFS, &t.XMPP, &t.Domain, &t.Invite, &t.IPFSSecret, &t.Desk} {
		*f = d.str8()
	}
	if n := d.u8(); n > 0 {
		t.XMPPCertPin = hex.EncodeToString(d.bytes(int(n)))
	}
	flags := d.u8()
	t.OpenRegistration = flags&1 != 0
	if flags&^1 != 0 {
		return Token{}, tokenError(ErrTokenField, "unknown flags")
	}
	if err := d.end(); err != nil {
		return Token{}, tokenError(ErrTokenField, "the fields do not fit the length")
	}
	if err := t.Check(); err != nil {
		return Token{}, err
	}
	return t, nil
}

// enrollmentBindingLabel is the HKDF label of the key that binds an
// enrollment request to its author; it differs from TokenKey's, so the
// sealing key and the binding key are independent.
const enrollmentBindingLabel = "medihaven enrollment binding v1"

// EnrollmentMAC binds an enrollment request for token tokenID to the
// newcomer's key fingerprint and device id: HMAC-SHA256 under a key derived
// (HKDF-SHA256) from the token's secret. Only someone who knows the secret
// can make it, so a reader of packs who copies a sealed request into an
// envelope signed by another key cannot make it name that key.
func EnrollmentMAC(tokenSecret []byte, tokenID, fingerprint, device string) []byte {
	// hkdf.Key fails only when asked for more than 255*32 bytes.
	key, _ := hkdf.Key(sha256.New, tokenSecret, nil, enrollmentBindingLabel, sha256.Size)
	defer wipe(key)
	m := hmac.New(sha256.New, key)
	msg := []byte("medihaven/enroll/v1\n")
	for _, s := range []string{tokenID, fingerprint, device} {
		msg = binary.BigEndian.AppendUint32(msg, uint32(len(s)))
		msg = append(msg, s...)
	}
	m.Write(msg)
	return m.Sum(nil)
}

// CheckEnrollmentMAC reports, in constant time, whether mac is
// EnrollmentMAC of the same token secret, token id, fingerprint and device.
func CheckEnrollmentMAC(tokenSecret []byte, tokenID, fingerprint, device string, mac []byte) bool {
	return hmac.Equal(mac, EnrollmentMAC(tokenSecret, tokenID, fingerprint, device))
}
