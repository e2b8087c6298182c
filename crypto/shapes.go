// Shape checks for the identifiers that travel in clear (envelope headers,
// grants, tokens). They keep patient-identifying text out of clear fields and
// make every parser strict: one value has exactly one encoding.

package crypto

import (
	"crypto/rand"
	"encoding/hex"
)

// randomHex returns n random bytes as lowercase hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b)
}

// isLowerHex reports whether s is exactly n lowercase hex digits.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isFingerprint reports whether s is an OpenPGP v4 (40 hex) or v6 (64 hex)
// fingerprint in lowercase.
func isFingerprint(s string) bool {
	return isLowerHex(s, 40) || isLowerHex(s, 64)
}

// maxNameLen bounds kinds, scopes and roles.
const maxNameLen = 32

// isName reports whether s is a short code name such as a kind, scope or role:
// a lowercase letter followed by lowercase letters, digits, '.', '_' or '-'.
func isName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isLowerAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// maxEntityLen bounds entity ids.
const maxEntityLen = 128

// isEntityID reports whether s is an opaque entity id: 1 to 128 of lowercase
// letters, digits, '.', '_', ':' or '-'. Entity ids are random hex, key
// fingerprints or token ids; never names or other identifying text.
func isEntityID(s string) bool {
	if len(s) == 0 || len(s) > maxEntityLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLowerAlnum(c) && c != '.' && c != '_' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
}

// isPrintable reports whether s is at most max bytes of printable ASCII
// without spaces (addresses, domains, invite tokens).
func isPrintable(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// wipe overwrites b with zeros.
func wipe(b []byte) {
	clear(b)
}
