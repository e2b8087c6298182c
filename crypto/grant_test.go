package crypto

import (
	"bytes"
	"errors"
	"testing"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

func TestGrant(t *testing.T) {
	alice, bob, carol := testIdentity(t, "Alice"), testIdentity(t, "Bob"), testIdentity(t, "Carol")
	k := testScopeKey(t, "clinical", 4)
	sealed, err := SealGrant(k, bob.Public(), alice)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, k.Secret[:]) {
		t.Fatal("the grant holds the secret in clear")
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-3] ^= 0x40

	// A grant Bob re-encrypts to Carol still names Bob inside.
	plain := appendStr8([]byte(grantMagic), bob.Fingerprint())
	plain = k.appendBinary(plain)
	forwarded, err := carol.Public().encryptWithContext(plain, alice, pgp.NewSigningContext(grantContext, true))
	if err != nil {
		t.Fatal(err)
	}
	// A chat message that happens to hold a grant's bytes is no grant.
	chat, err := bob.Public().Encrypt(plain, alice)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		sealed []byte
		me     *Identity
		from   *PublicKey
		want   error // nil: opens
	}{
		{"recipient", sealed, bob, alice.Public(), nil},
		{"someone else", sealed, carol, alice.Public(), ErrCannotOpen},
		{"wrong granter", sealed, bob, carol.Public(), ErrBadSignature},
		{"tampered", tampered, bob, alice.Public(), ErrCannotOpen},
		{"forwarded to another member", forwarded, carol, alice.Public(), ErrCannotOpen},
		{"chat message", chat, bob, alice.Public(), ErrBadSignature},
		{"empty", nil, bob, alice.Public(), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OpenGrant(tt.sealed, tt.me, tt.from)
			if tt.want == nil {
				if err != nil || got != k {
					t.Fatalf("got (%v, %v), want %v", got, err, k)
				}
				return
			}
			if !errors.Is(err, tt.want) || got != (ScopeKey{}) {
				t.Fatalf("got (%v, %v), want %v", got, err, tt.want)
			}
		})
	}

	// And a grant is no chat message.
	if _, err := bob.Decrypt(sealed, alice.Public()); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Decrypt of a grant: %v, want ErrBadSignature", err)
	}
}

func TestSealGrantRefuses(t *testing.T) {
	alice, bob := testIdentity(t, "Alice"), testIdentity(t, "Bob")
	good := testScopeKey(t, "clinical", 1)
	if _, err := SealGrant(ScopeKey{Scope: "Clinical Notes"}, bob.Public(), alice); err == nil {
		t.Error("sealed a key with a bad scope name")
	}
	if _, err := SealGrant(good, nil, alice); err == nil {
		t.Error("sealed to nobody")
	}
	if _, err := SealGrant(good, bob.Public(), nil); err == nil {
		t.Error("sealed without a granter")
	}
	if _, err := OpenGrant([]byte("x"), nil, alice.Public()); err == nil {
		t.Error("opened without a staff key")
	}
}

func TestScopeKey(t *testing.T) {
	a := testScopeKey(t, "clinical", 7)
	b := testScopeKey(t, "clinical", 7)
	if a.Secret == b.Secret || a.Secret == [32]byte{} {
		t.Fatal("secrets are not random")
	}
	for _, bad := range []string{"", "Clinical", "1st", "with space", "x123456789012345678901234567890123"} {
		if _, err := NewScopeKey(bad, 1); err == nil {
			t.Errorf("NewScopeKey(%q) accepted", bad)
		}
	}
	bin, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back ScopeKey
	if err := back.UnmarshalBinary(bin); err != nil || back != a {
		t.Fatalf("UnmarshalBinary: %v, %v", back, err)
	}
	for _, bad := range [][]byte{nil, bin[:len(bin)-1], append(bytes.Clone(bin), 0), append([]byte("MHS2"), bin[4:]...)} {
		if err := back.UnmarshalBinary(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("UnmarshalBinary(%x): %v", bad, err)
		}
	}
	for _, s := range []string{a.String(), a.GoString()} {
		if s != "clinical/7" && s != "ScopeKey(clinical/7)" {
			t.Errorf("String shows %q", s)
		}
	}
}

func TestTokenKey(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, 32)
	a, b := TokenKey(secret), TokenKey(secret)
	c := TokenKey(bytes.Repeat([]byte{8}, 32))
	if a != b || a.Secret == c.Secret {
		t.Fatal("TokenKey is not a function of the secret")
	}
	if a.Scope != EnrollScope || a.Epoch != 0 || a.Secret == [32]byte(secret) {
		t.Fatalf("TokenKey = %v", a)
	}
}
