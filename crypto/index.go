// index.go protects search terms. A blind index stores, instead of a
// patient's name, birth date or phone number, a keyed HMAC-SHA256 token of
// the normalised term, under a key derived (HKDF-SHA256) from the scope key.
// Only holders of the scope can compute the token for a term they type, so
// only they can search; the tokens alone reveal nothing but equality.

package crypto

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// IndexTokenSize is the length of a blind-index token in bytes.
const IndexTokenSize = 16

// IndexKey is the key of one scope's blind indexes.
type IndexKey [32]byte

// DeriveIndexKey derives the blind-index key of k's scope and epoch.
func DeriveIndexKey(k ScopeKey) IndexKey {
	var ik IndexKey
	// hkdf.Key fails only when asked for more than 255*32 bytes.
	b, _ := hkdf.Key(sha256.New, k.Secret[:], nil, "medihaven blind index v1 "+k.Scope, len(ik))
	copy(ik[:], b)
	wipe(b)
	return ik
}

// String hides the key, so it cannot leak into a log.
func (IndexKey) String() string { return "IndexKey(hidden)" }

// GoString hides the key from %#v too.
func (k IndexKey) GoString() string { return k.String() }

// Token returns the 16-byte blind-index token of term in field:
// HMAC-SHA256(key, field + 0x00 + Normalize(term)), truncated. field names
// the index (e.g. "name", "birth", "phone") and must not contain 0x00.
func (k IndexKey) Token(field, term string) []byte {
	return k.Tokener().Token(field, term)
}

// Tokener returns what makes many tokens with k: HMAC is keyed once for
// all of them (issue 17: keying it for each token was an eighth of what a
// catch-up allocates). A Tokener is for one goroutine.
func (k IndexKey) Tokener() *Tokener {
	return &Tokener{mac: hmac.New(sha256.New, k[:])}
}

// Tokener makes blind-index tokens with one key (IndexKey.Tokener).
type Tokener struct {
	mac hash.Hash
	in  []byte
	sum [sha256.Size]byte
}

// Token returns the token of term in field, as IndexKey.Token does.
func (t *Tokener) Token(field, term string) []byte {
	t.mac.Reset() // back to the keyed state, kept after the first use
	t.in = append(append(append(t.in[:0], field...), 0), Normalize(term)...)
	t.mac.Write(t.in)
	return bytes.Clone(t.mac.Sum(t.sum[:0])[:IndexTokenSize])
}

// letterFolds spells letters that have no decomposition in plain Latin.
var letterFolds = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d",
	'ð': "d", 'þ': "th", 'ı': "i", 'ħ': "h",
}

// Normalize prepares a term for a blind index, so that what a receptionist
// types finds what another typed: compatibility forms are unified (NFKD),
// accents and other marks are dropped ("Zoë" → "zoe", "Ø" → "o", "ß" →
// "ss"), letters are lower-cased, apostrophes vanish ("O'Brien" →
// "obrien"), any other run of spaces, punctuation or symbols becomes one
// space, and the ends are trimmed. Normalize(Normalize(s)) == Normalize(s).
func Normalize(term string) string {
	if normalASCII(term) {
		return term
	}
	return normalize(term)
}

// normalize is Normalize without its shortcut.
func normalize(term string) string {
	var b strings.Builder
	b.Grow(len(term))
	space := true // at the start, or just wrote a space
	// Invalid UTF-8 (never in a stored name) is a separator: left in, it
	// keeps the normaliser from decomposing the letter after it.
	for _, r := range norm.NFKD.String(strings.ToValidUTF8(term, " ")) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\'', r == '\u2019', r == '\u02bc', r == '`':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if s, ok := letterFolds[r]; ok {
				b.WriteString(s)
			} else {
				b.WriteRune(r)
			}
			space = false
		case !space:
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// normalASCII reports whether term is already what Normalize makes of it,
// in the common case it can tell at a glance: lower-case ASCII letters and
// digits, words parted by single spaces, no space at either end (NFKD
// leaves these bytes as they are and nothing folds them). A catch-up
// makes millions of tokens of terms the index already normalised (name
// prefixes, phone digits, birth dates): the normaliser ran a second time
// on each of them.
func normalASCII(term string) bool {
	if term == "" || term[0] == ' ' || term[len(term)-1] == ' ' {
		return term == ""
	}
	for i := 0; i < len(term); i++ {
		switch c := term[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == ' ' && term[i-1] != ' ':
		default:
			return false
		}
	}
	return true
}

// NamePrefixes returns, for search as you type, the prefixes of every word
// of the normalised name from minLetters letters up to the whole word,
// without repeats. A word shorter than minLetters is returned whole, so "Li"
// stays findable. minLetters below 1 counts as 1.
func NamePrefixes(name string, minLetters int) []string {
	minLetters = max(minLetters, 1)
	var out []string
	seen := make(map[string]bool)
	for _, word := range strings.Fields(Normalize(name)) {
		runes := []rune(word)
		for n := min(minLetters, len(runes)); n <= len(runes); n++ {
			p := string(runes[:n])
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}
