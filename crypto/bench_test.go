package crypto

import (
	"crypto/rand"
	"testing"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// Each benchmark of ours sits beside the raw gopenpgp operation it wraps,
// so the ratio shows in one run (target: within 1.5x). Records are 2 KiB.

func benchPayload() []byte {
	b := make([]byte, 2048)
	_, _ = rand.Read(b)
	return b
}

func BenchmarkSeal(b *testing.B) {
	alice := testIdentity(b, "Alice")
	k := testScopeKey(b, "clinical", 1)
	h, payload := testHeader(alice, k), benchPayload()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := Seal(h, payload, k, alice); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawSessionKeyEncryptSign(b *testing.B) {
	alice := testIdentity(b, "Alice")
	k := testScopeKey(b, "clinical", 1)
	payload := benchPayload()
	sk := pgp.NewSessionKeyFromToken(k.Secret[:], "aes256")
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := sk.EncryptAndSign(pgp.NewPlainMessage(payload), alice.ring); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenVerify(b *testing.B) {
	alice := testIdentity(b, "Alice")
	k := testScopeKey(b, "clinical", 1)
	payload := benchPayload()
	env, err := Seal(testHeader(alice, k), payload, k, alice)
	if err != nil {
		b.Fatal(err)
	}
	pub := alice.Public()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		e, err := ParseEnvelope(env.Raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Verify(pub); err != nil {
			b.Fatal(err)
		}
		if _, err := e.Open(k); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawSessionKeyDecryptVerify(b *testing.B) {
	alice := testIdentity(b, "Alice")
	k := testScopeKey(b, "clinical", 1)
	payload := benchPayload()
	sk := pgp.NewSessionKeyFromToken(k.Secret[:], "aes256")
	ct, err := sk.EncryptAndSign(pgp.NewPlainMessage(payload), alice.ring)
	if err != nil {
		b.Fatal(err)
	}
	pub := alice.Public().ring
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := sk.DecryptAndVerify(ct, pub, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealGrant(b *testing.B) {
	alice, bob := testIdentity(b, "Alice"), testIdentity(b, "Bob")
	k := testScopeKey(b, "clinical", 1)
	for b.Loop() {
		if _, err := SealGrant(k, bob.Public(), alice); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenGrant(b *testing.B) {
	alice, bob := testIdentity(b, "Alice"), testIdentity(b, "Bob")
	sealed, err := SealGrant(testScopeKey(b, "clinical", 1), bob.Public(), alice)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := OpenGrant(sealed, bob, alice.Public()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnlockIdentity is deliberately slow: the S2K makes guessing a
// stolen locked key's passphrase expensive. The key is locked at the real
// cost, not the test binaries' (kdfcost.go).
func BenchmarkUnlockIdentity(b *testing.B) {
	pass := []byte("passphrase")
	defer func(c kdfCost) { newKeyKDF = c }(newKeyKDF)
	newKeyKDF = realKDF
	locked, err := testIdentity(b, "Alice").Lock(pass)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := UnlockIdentity(locked, pass); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIndexToken(b *testing.B) {
	k := DeriveIndexKey(testScopeKey(b, "frontdesk", 1))
	for b.Loop() {
		k.Token("name", "Zoë Souza-Müller")
	}
}

func BenchmarkDeviceKeySeal(b *testing.B) {
	k, _ := NewDeviceKey()
	payload := benchPayload()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := k.Seal(payload, []byte("row:1")); err != nil {
			b.Fatal(err)
		}
	}
}
