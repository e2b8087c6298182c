package crypto

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestShortCodeRoundTrip(t *testing.T) {
	for _, desk := range []string{"192.168.1.10:5290", "127.0.0.1:40123", "server.clinic.lan:5290", "[::1]:5290"} {
		c, err := NewShortCode(desk)
		if err != nil {
			t.Fatalf("NewShortCode(%q): %v", desk, err)
		}
		text := c.String()
		got, err := ParseShortCode(strings.ToLower(strings.ReplaceAll(text, "-", " ")))
		if err != nil || got != c {
			t.Fatalf("ParseShortCode(%q) = %+v, %v; want %+v", text, got, err, c)
		}
		if !IsShortCode(text) || IsShortCode("MH1-AAAA") {
			t.Error("IsShortCode")
		}
		t.Logf("%s: %s (%d characters)", desk, text, len(strings.ReplaceAll(strings.TrimPrefix(text, "MH2-"), "-", "")))
	}
	c, _ := NewShortCode("192.168.1.10:5290")
	if n := len(strings.ReplaceAll(strings.TrimPrefix(c.String(), "MH2-"), "-", "")); n != 28 {
		t.Errorf("a LAN code has %d characters, want 28", n)
	}
}

func TestShortCodeErrors(t *testing.T) {
	c, _ := NewShortCode("192.168.1.10:5290")
	text := c.String()
	swap := []byte(text)
	i := strings.LastIndexByte(text, '-') - 2
	if swap[i] == 'A' {
		swap[i] = 'C'
	} else {
		swap[i] = 'A'
	}
	for name, tc := range map[string]struct {
		text string
		want error
	}{
		"typo":         {string(swap), ErrTokenMistyped},
		"truncated":    {text[:len(text)-5], ErrTokenTruncated},
		"a long token": {"MH1-AAAA", ErrTokenPrefix},
		"other":        {"hello", ErrTokenPrefix},
		"bad char":     {"MH2-AB!C", ErrTokenMistyped},
		"empty":        {"MH2-", ErrTokenTruncated},
	} {
		if _, err := ParseShortCode(tc.text); !errors.Is(err, tc.want) || !errors.Is(err, ErrMalformedToken) {
			t.Errorf("%s: ParseShortCode(%q) = %v, want %v", name, tc.text, err, tc.want)
		}
	}
}

func TestShortCodeSeal(t *testing.T) {
	tok, err := NewToken(strings.Repeat("ab", 16), "physician", strings.Repeat("cd", 20), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tok.IPFSSecret, tok.Desk, tok.Invite = strings.Repeat("9", 64), "127.0.0.1:5290", "inv-TOKEN_1"
	c, _ := NewShortCode("127.0.0.1:5290")
	sealed, err := c.Seal(tok)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Open(sealed)
	if err != nil || got.String() != tok.String() {
		t.Fatalf("Open = %+v, %v", got, err)
	}
	other, _ := NewShortCode("127.0.0.1:5290")
	if _, err := other.Open(sealed); !errors.Is(err, ErrShortCodeSeal) {
		t.Errorf("another code opened it: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := c.Open(sealed); !errors.Is(err, ErrShortCodeSeal) {
		t.Errorf("an altered seal opened: %v", err)
	}
	if len(c.ID()) != 32 || c.ID() == other.ID() {
		t.Errorf("ids %q %q", c.ID(), other.ID())
	}
}

func FuzzParseShortCode(f *testing.F) {
	c, _ := NewShortCode("192.168.1.10:5290")
	f.Add(c.String())
	c, _ = NewShortCode("server.clinic.lan:1234")
	f.Add(c.String())
	f.Add("MH2-")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseShortCode(s)
		if err != nil {
			return
		}
		again, err := ParseShortCode(c.String())
		if err != nil || again != c {
			t.Fatalf("%q parses to %+v, whose text %q parses to %+v, %v", s, c, c.String(), again, err)
		}
		_, _ = c.Open([]byte(s))
	})
}
