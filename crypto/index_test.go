package crypto

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Souza", "souza"},
		{"  SOUZA  ", "souza"},
		{"Zoë", "zoe"},
		{"José  María\tGarcía", "jose maria garcia"},
		{"Ångström", "angstrom"},
		{"Dvořák", "dvorak"},
		{"Łukasz Øberg", "lukasz oberg"},
		{"Straße", "strasse"},
		{"Ærøskøbing", "aeroskobing"},
		{"O'Brien", "obrien"},
		{"D’Angelo", "dangelo"},
		{"Jean-Pierre", "jean pierre"},
		{"ＡＢＣ", "abc"},      // full-width
		{"ﬁsher", "fisher"}, // ligature
		{"Müller\u00a0Lüdenscheidt", "muller ludenscheidt"},
		{"+41 (0)79 123-45-67", "41 0 79 123 45 67"},
		{"1980-02-03", "1980 02 03"},
		{"Ελένη", "ελενη"},
		{"...", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Normalize(tt.in)
			if got != tt.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Fatalf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

// TestNormalASCII: the terms Normalize returns as they are (normalASCII)
// are those the full normaliser leaves as they are, and no others of
// these.
func TestNormalASCII(t *testing.T) {
	tests := []struct {
		in   string
		fast bool
	}{
		{"", true},
		{"souza", true},
		{"jose maria garcia", true},
		{"41 0 79", true},
		{"0791234567", true},
		{"Souza", false},
		{" souza", false},
		{"souza ", false},
		{"jose  maria", false},
		{"1980-02-03", false},
		{"o'brien", false},
		{"zoë", false},
		{"a\tb", false},
		{"a\x00b", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := normalASCII(tt.in); got != tt.fast {
				t.Fatalf("normalASCII(%q) = %v, want %v", tt.in, got, tt.fast)
			}
			if full := normalize(tt.in); tt.fast && full != tt.in {
				t.Fatalf("normalize(%q) = %q: taken as normalised, it is not", tt.in, full)
			}
		})
	}
}

func TestNamePrefixes(t *testing.T) {
	tests := []struct {
		name string
		min  int
		want []string
	}{
		{"Ana Souza", 3, []string{"ana", "sou", "souz", "souza"}},
		{"Zoë Li", 2, []string{"zo", "zoe", "li"}},
		{"Li", 3, []string{"li"}},
		{"Anna Anna", 3, []string{"ann", "anna"}},
		{"Jean-Pierre", 4, []string{"jean", "pier", "pierr", "pierre"}},
		{"Bo", 0, []string{"b", "bo"}},
		{"", 3, nil},
		{"  ", 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NamePrefixes(tt.name, tt.min); !slices.Equal(got, tt.want) {
				t.Fatalf("NamePrefixes(%q, %d) = %q, want %q", tt.name, tt.min, got, tt.want)
			}
		})
	}
}

func TestIndexToken(t *testing.T) {
	frontdesk := testScopeKey(t, "frontdesk", 1)
	k := DeriveIndexKey(frontdesk)
	other := DeriveIndexKey(testScopeKey(t, "frontdesk", 1))
	sameSecretOtherScope := frontdesk
	sameSecretOtherScope.Scope = "clinical"

	tok := k.Token("name", "Souza")
	if len(tok) != IndexTokenSize {
		t.Fatalf("token is %d bytes", len(tok))
	}
	tests := []struct {
		name  string
		token []byte
		same  bool
	}{
		{"same term", k.Token("name", "Souza"), true},
		{"same term, other spelling", k.Token("name", "  SOUZA "), true},
		{"same key derived again", DeriveIndexKey(frontdesk).Token("name", "Souza"), true},
		{"other term", k.Token("name", "Silva"), false},
		{"other field", k.Token("phone", "Souza"), false},
		{"other key", other.Token("name", "Souza"), false},
		{"same secret, other scope", DeriveIndexKey(sameSecretOtherScope).Token("name", "Souza"), false},
		{"field and term boundary", k.Token("nam", "eSouza"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(tt.token, tok) != tt.same {
				t.Fatalf("equal = %v, want %v", !tt.same, tt.same)
			}
		})
	}
	if s := k.String() + k.GoString(); bytes.Contains([]byte(s), k[:4]) {
		t.Fatal("String shows the key")
	}
}

// TestTokenerIsToken: a Tokener used for many tokens in a row gives each
// the token of its definition, HMAC-SHA256(key, field 0x00
// Normalize(term)) truncated, as a fresh HMAC would.
func TestTokenerIsToken(t *testing.T) {
	k := DeriveIndexKey(testScopeKey(t, "frontdesk", 1))
	tk := k.Tokener()
	var kept [][]byte
	for _, tt := range []struct{ field, term string }{
		{"frontdesk/name", "Souza"},
		{"frontdesk/name", ""},
		{"frontdesk/name", "José  María"},
		{"", "Souza"},
		{"frontdesk/phone", "+1 555 010 2233"},
		{"frontdesk/name", "Souza"},
		{"frontdesk/birth", "1970-01-01 and a term longer than one block of SHA-256, so the state is more than the key's"},
	} {
		mac := hmac.New(sha256.New, k[:])
		mac.Write([]byte(tt.field + "\x00" + Normalize(tt.term)))
		want := mac.Sum(nil)[:IndexTokenSize]
		got := tk.Token(tt.field, tt.term)
		if !bytes.Equal(got, want) || !bytes.Equal(k.Token(tt.field, tt.term), want) {
			t.Fatalf("%q %q: Tokener %x, Token %x, want %x", tt.field, tt.term, got, k.Token(tt.field, tt.term), want)
		}
		kept = append(kept, got)
	}
	if !bytes.Equal(kept[0], kept[5]) || len(kept[0]) != IndexTokenSize || cap(kept[0]) != IndexTokenSize {
		t.Fatalf("a token is not its own 16 bytes: %x, cap %d", kept[0], cap(kept[0]))
	}
}
