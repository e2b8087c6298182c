package crypto

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// Fuzzers for every parser of outside bytes. Seeds are valid values; run
// one with e.g. go test -run=^$ -fuzz=FuzzParseEnvelope -fuzztime=20s ./crypto

func FuzzParseEnvelope(f *testing.F) {
	alice := testIdentity(f, "Alice")
	k := testScopeKey(f, "clinical", 1)
	for _, payload := range []string{"", "x", "a longer payload with some text in it"} {
		env, err := Seal(testHeader(alice, k), []byte(payload), k, alice)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(env.Raw)
	}
	f.Add([]byte(envelopeMagic))
	f.Fuzz(func(t *testing.T, raw []byte) {
		env, err := ParseEnvelope(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		if !bytes.Equal(env.Raw, raw) {
			t.Fatal("Raw differs from the input")
		}
		again, err := ParseEnvelope(env.Raw)
		if err != nil || again.Header != env.Header || !bytes.Equal(again.Raw, env.Raw) {
			t.Fatalf("Parse(Raw) does not round-trip: %v", err)
		}
		if err := env.Header.Check(); err != nil {
			t.Fatalf("parsed an invalid header: %v", err)
		}
		// Must not panic; may succeed only for the untouched seeds.
		if env.Verify(alice.Public()) == nil {
			if _, err := env.Open(k); err != nil {
				t.Fatalf("a verified envelope does not open: %v", err)
			}
		}
	})
}

func FuzzParseToken(f *testing.F) {
	tok, err := NewToken(NewEventID(), "receptionist", testIdentity(f, "Alice").Fingerprint(), time.Unix(1800000000, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok.String())
	tok.IPFS, tok.XMPP, tok.Domain, tok.Invite = "/ip4/127.0.0.1/tcp/5001", "127.0.0.1:5222", "clinic.example", "abc"
	f.Add(tok.String())
	f.Add("MH1-")
	f.Add("mh1-aaaa bbbb")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedToken) {
				t.Fatalf("error %v is not ErrMalformedToken", err)
			}
			return
		}
		if err := tok.Check(); err != nil {
			t.Fatalf("parsed an invalid token: %v", err)
		}
		again, err := ParseToken(tok.String())
		if err != nil || !sameToken(again, tok) {
			t.Fatalf("String/Parse does not round-trip: %v", err)
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	alice := testIdentity(f, "Alice")
	armored, err := alice.Public().Armored()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(alice.Public().Bytes())
	f.Add([]byte(armored))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePublicKey(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		again, err := ParsePublicKey(p.Bytes())
		if err != nil || again.Fingerprint() != p.Fingerprint() || !bytes.Equal(again.Bytes(), p.Bytes()) {
			t.Fatalf("Bytes does not round-trip: %v", err)
		}
	})
}

func FuzzOpenGrant(f *testing.F) {
	alice, bob := testIdentity(f, "Alice"), testIdentity(f, "Bob")
	k := testScopeKey(f, "frontdesk", 2)
	sealed, err := SealGrant(k, bob.Public(), alice)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	chat, err := bob.Public().Encrypt([]byte("hello"), alice)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(chat)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := OpenGrant(b, bob, alice.Public())
		if err == nil && !isName(got.Scope) {
			t.Fatalf("opened a grant with scope %q", got.Scope)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Zoë O'Brien", "Straße", "ＡＢＣ", "\xff\xfe", "İstanbul", "がぎ", "smith 42", "a  b", " ab", "ab ", "a-b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if normalASCII(s) && normalize(s) != s {
			t.Fatalf("%q taken as normalised, but it normalises to %q", s, normalize(s))
		}
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize(%q) = %q, then %q", s, n, again)
		}
		for _, p := range NamePrefixes(s, 2) {
			if p == "" {
				t.Fatal("empty prefix")
			}
		}
	})
}
