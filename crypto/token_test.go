package crypto

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"
)

func testToken(t *testing.T) Token {
	t.Helper()
	tok, err := NewToken(NewEventID(), "physician", testIdentity(t, "Alice").Fingerprint(),
		time.Date(2026, 3, 1, 12, 30, 15, 999, time.FixedZone("CET", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	tok.IPFS = "/ip4/127.0.0.1/tcp/5001"
	tok.XMPP = "127.0.0.1:5222"
	tok.Domain = "clinic.example"
	tok.Invite = "Xk3_p9-QwErTy"
	return tok
}

func sameToken(a, b Token) bool {
	return a.ID == b.ID && a.Clinic == b.Clinic && a.Role == b.Role && a.Issuer == b.Issuer &&
		a.Expires.Equal(b.Expires) && a.Secret == b.Secret && a.IPFS == b.IPFS &&
		a.XMPP == b.XMPP && a.Domain == b.Domain && a.Invite == b.Invite &&
		a.XMPPCertPin == b.XMPPCertPin && a.OpenRegistration == b.OpenRegistration
}

func TestTokenRoundTrip(t *testing.T) {
	tok := testToken(t)
	if tok.Expires.Location() != time.UTC || tok.Expires.Nanosecond() != 0 {
		t.Fatalf("Expires %v is not UTC whole seconds", tok.Expires)
	}
	minimal := tok
	minimal.IPFS, minimal.XMPP, minimal.Domain, minimal.Invite = "", "", "", ""
	minimal.XMPPCertPin, minimal.OpenRegistration = "", false
	pinned := tok
	pinned.XMPPCertPin, pinned.OpenRegistration = strings.Repeat("ab", 32), true
	s := tok.String()
	if !strings.HasPrefix(s, "MH1-") || strings.ContainsAny(s[4:], "=-018 ") {
		t.Fatalf("String() = %q", s)
	}
	spaced := "  " + strings.ToLower(s[:40]) + "\n" + s[40:80] + " - " + s[80:] + "\t"
	lookalike := "MH1-" + strings.NewReplacer("O", "0", "I", "1", "B", "8").Replace(s[4:])
	tests := []struct {
		name string
		text string
		want Token
	}{
		{"as written", s, tok},
		{"without servers", minimal.String(), minimal},
		{"with a certificate pin and open registration", pinned.String(), pinned},
		{"lower case, spaces, line breaks and dashes", spaced, tok},
		{"0, 1 and 8 for O, I and B", lookalike, tok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseToken(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if !sameToken(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if got.String() != tt.want.String() {
				t.Fatal("String of the parsed token differs")
			}
		})
	}
	if !tok.Expired(tok.Expires) || tok.Expired(tok.Expires.Add(-time.Second)) {
		t.Fatal("Expired is wrong at the boundary")
	}
}

func TestParseTokenMalformed(t *testing.T) {
	tok := testToken(t)
	s := tok.String()
	bin, err := tok.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// reencode frames a binary token after edit, with a correct checksum.
	reencode := func(edit func(b []byte) []byte) string {
		b := edit(append([]byte(nil), bin[:len(bin)-tokenChecksum]...))
		b[1], b[2] = byte((len(b)+tokenChecksum)>>8), byte(len(b)+tokenChecksum)
		sum := sha256Sum(b)
		return "MH1-" + tokenEncoding.EncodeToString(append(b, sum[:tokenChecksum]...))
	}
	roleAt := 3 + 8 + 16 + 1 + 20 + 8 + 32 // where the role's length byte is
	tests := []struct {
		name string
		text string
		want error
	}{
		{"empty", "", ErrTokenTruncated},
		{"blank", " \n", ErrTokenTruncated},
		{"no prefix", s[4:], ErrTokenPrefix},
		{"other prefix", "MX1-" + s[4:], ErrTokenPrefix},
		{"prefix without dash", "MH1" + s[4:], ErrTokenPrefix},
		{"newer version", "MH2-" + s[4:], ErrTokenVersion},
		{"cut short", s[:len(s)-10], ErrTokenTruncated},
		{"half", s[:len(s)/2], ErrTokenTruncated},
		{"prefix only", "MH1-", ErrTokenTruncated},
		{"one character changed", s[:30] + flip(s[30]) + s[31:], ErrTokenMistyped},
		{"two characters swapped", swapped(s), ErrTokenMistyped},
		{"a character that never appears", s[:30] + "!" + s[31:], ErrTokenMistyped},
		{"extra character", s + "A", ErrTokenMistyped},
		{"far too long", "MH1-" + strings.Repeat("A", maxTokenText), ErrTokenField},
		{"unknown inner version", reencode(func(b []byte) []byte { b[0] = 2; return b }), ErrTokenVersion},
		{"upper-case role", reencode(func(b []byte) []byte { b[roleAt+1] = 'P'; return b }), ErrTokenField},
		{"trailing field bytes", reencode(func(b []byte) []byte { return append(b, 0) }), ErrTokenField},
		{"zero secret", reencode(func(b []byte) []byte {
			clear(b[roleAt-32 : roleAt])
			return b
		}), ErrTokenField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseToken(tt.text)
			if !errors.Is(err, ErrMalformedToken) || !errors.Is(err, tt.want) {
				t.Fatalf("got (%+v, %v), want ErrMalformedToken and %v", got, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), ErrMalformedToken.Error()+": ") {
				t.Fatalf("message %q does not start with the plain sentence", err)
			}
		})
	}
}

// flip returns another base32 character than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// TestTokenEveryTypoCaught changes each character of a token in turn, to
// every other base32 character, and expects a refusal each time.
func TestTokenEveryTypoCaught(t *testing.T) {
	s := testToken(t).String()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	for i := 4; i < len(s); i++ {
		for _, c := range []byte(alphabet) {
			if c == s[i] {
				continue
			}
			typo := s[:i] + string(c) + s[i+1:]
			if _, err := ParseToken(typo); err == nil {
				t.Fatalf("character %d changed to %c: accepted", i, c)
			}
		}
	}
}

func TestNewTokenRefuses(t *testing.T) {
	fp := testIdentity(t, "Alice").Fingerprint()
	later := time.Now().Add(time.Hour)
	tests := []struct {
		name, clinic, role, issuer string
		expires                    time.Time
	}{
		{"clinic not hex", "clinic", "physician", fp, later},
		{"empty role", NewEventID(), "", fp, later},
		{"role with spaces", NewEventID(), "head nurse", fp, later},
		{"issuer not a fingerprint", NewEventID(), "physician", "alice", later},
		{"no expiry", NewEventID(), "physician", fp, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := NewToken(tt.clinic, tt.role, tt.issuer, tt.expires)
			if !errors.Is(err, ErrTokenField) {
				t.Fatalf("got (%+v, %v), want ErrTokenField", tok, err)
			}
		})
	}
	bad := testToken(t)
	bad.XMPP = "no port"
	if bad.String() != "" {
		t.Fatal("String of an invalid token is not empty")
	}
	for _, pin := range []string{"ab", strings.Repeat("AB", 32), strings.Repeat("g", 64), strings.Repeat("ab", 33)} {
		pinned := testToken(t)
		pinned.XMPPCertPin = pin
		if pinned.Check() == nil {
			t.Errorf("certificate pin %q accepted", pin)
		}
	}
	for _, xmpp := range []string{"host", "host:0", "host:65536", "host:05222", ":5222", "host:port"} {
		bad.XMPP = xmpp
		if bad.Check() == nil {
			t.Errorf("XMPP %q accepted", xmpp)
		}
	}
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// swapped exchanges the first two neighbouring characters after the prefix
// that differ (the token is random: two equal neighbours would swap to the
// same string).
func swapped(s string) string {
	for i := 30; i+1 < len(s); i++ {
		if s[i] != s[i+1] {
			return s[:i] + string(s[i+1]) + string(s[i]) + s[i+2:]
		}
	}
	panic("token has no two different neighbouring characters")
}

// TestEnrollmentMAC: the binding names one token, one key and one device;
// changing any of them, or the secret, breaks it.
func TestEnrollmentMAC(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	const id, fp, dev = "0123456789abcdef", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	mac := EnrollmentMAC(secret, id, fp, dev)
	if len(mac) != sha256.Size || !CheckEnrollmentMAC(secret, id, fp, dev, mac) {
		t.Fatalf("a genuine binding does not check (%d bytes)", len(mac))
	}
	if sealing := TokenKey(secret); string(mac) == string(sealing.Secret[:]) {
		t.Fatal("the binding key is the sealing key")
	}
	other := []byte(strings.Repeat("o", 32))
	for name, ok := range map[string]bool{
		"secret":      CheckEnrollmentMAC(other, id, fp, dev, mac),
		"token":       CheckEnrollmentMAC(secret, "fedcba9876543210", fp, dev, mac),
		"fingerprint": CheckEnrollmentMAC(secret, id, strings.Repeat("c", 40), dev, mac),
		"device":      CheckEnrollmentMAC(secret, id, fp, strings.Repeat("d", 32), mac),
		"shifted":     CheckEnrollmentMAC(secret, id, fp[:39], "a"+dev, mac),
		"empty":       CheckEnrollmentMAC(secret, id, fp, dev, nil),
		"truncated":   CheckEnrollmentMAC(secret, id, fp, dev, mac[:16]),
	} {
		if ok {
			t.Errorf("another %s checks", name)
		}
	}
}
