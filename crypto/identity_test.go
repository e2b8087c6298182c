package crypto

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

func TestIdentityLockUnlock(t *testing.T) {
	pass := []byte("correct horse battery staple")
	id, locked, err := NewIdentity("Dr. Ana Souza", pass)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(locked, []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----")) {
		t.Fatalf("locked key is not armored: %.40q", locked)
	}
	if !isLowerHex(id.Fingerprint(), 40) {
		t.Fatalf("fingerprint %q is not 40 lowercase hex", id.Fingerprint())
	}
	if got := id.Public().Name(); got != "Dr. Ana Souza" {
		t.Errorf("Name() = %q", got)
	}
	again, err := UnlockIdentity(locked, pass)
	if err != nil {
		t.Fatalf("UnlockIdentity: %v", err)
	}
	if again.Fingerprint() != id.Fingerprint() {
		t.Fatalf("fingerprint changed: %s != %s", again.Fingerprint(), id.Fingerprint())
	}
	sig, err := again.Sign([]byte("prescription 42"))
	if err != nil {
		t.Fatal(err)
	}
	if err := id.Public().Verify([]byte("prescription 42"), sig); err != nil {
		t.Fatalf("signature by the unlocked copy does not verify: %v", err)
	}

	// Changing the passphrase: the new one opens, the old one does not.
	newPass := []byte("another passphrase")
	relocked, err := again.Lock(newPass)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UnlockIdentity(relocked, newPass); err != nil {
		t.Fatalf("new passphrase: %v", err)
	}
	if _, err := UnlockIdentity(relocked, pass); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase: got %v, want ErrWrongPassphrase", err)
	}
}

func TestUnlockIdentityRefuses(t *testing.T) {
	pass := []byte("pass")
	alice := testIdentity(t, "Alice")
	locked, err := alice.Lock(pass)
	if err != nil {
		t.Fatal(err)
	}
	public, err := alice.Public().Armored()
	if err != nil {
		t.Fatal(err)
	}
	unprotected, err := alice.key.Armor() // private key, no passphrase
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		locked     []byte
		passphrase []byte
		want       error
	}{
		{"wrong passphrase", locked, []byte("Pass"), ErrWrongPassphrase},
		{"empty passphrase", locked, nil, ErrEmptyPassphrase},
		{"empty key", nil, pass, ErrMalformed},
		{"garbage", []byte("not a key at all"), pass, ErrMalformed},
		{"truncated", locked[:len(locked)/2], pass, ErrMalformed},
		{"public key only", []byte(public), pass, ErrMalformed},
		{"key without passphrase", []byte(unprotected), pass, ErrMalformed},
		{"too large", bytes.Repeat([]byte{'A'}, maxKeySize+1), pass, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := UnlockIdentity(tt.locked, tt.passphrase)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got (%v, %v), want %v", id, err, tt.want)
			}
		})
	}
}

func TestNewIdentityRefuses(t *testing.T) {
	tests := []struct {
		name, staff string
		passphrase  []byte
	}{
		{"empty passphrase", "Ana", nil},
		{"empty name", "", []byte("p")},
		{"blank name", "  \t", []byte("p")},
		{"brackets", "Ana (GP)", []byte("p")},
		{"angle brackets", "Ana <ana@example.org>", []byte("p")},
		{"control character", "Ana\x00Souza", []byte("p")},
		{"invalid UTF-8", "Ana\xff", []byte("p")},
		{"too long", strings.Repeat("a", maxStaffNameLen+1), []byte("p")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := NewIdentity(tt.staff, tt.passphrase); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestSignVerify(t *testing.T) {
	alice, bob := testIdentity(t, "Alice"), testIdentity(t, "Bob")
	data := []byte("chart export 2026-01-01")
	sig, err := alice.Sign(data)
	if err != nil {
		t.Fatal(err)
	}
	envelopeSig, err := alice.signWithContext(data, pgp.NewSigningContext(envelopeContext, true))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  *PublicKey
		data []byte
		sig  []byte
		ok   bool
	}{
		{"signer's key", alice.Public(), data, sig, true},
		{"other data", alice.Public(), []byte("chart export 2026-01-02"), sig, false},
		{"other staff member", bob.Public(), data, sig, false},
		{"truncated signature", alice.Public(), data, sig[:len(sig)-1], false},
		{"empty signature", alice.Public(), data, nil, false},
		{"garbage signature", alice.Public(), data, bytes.Repeat([]byte{0x88}, 100), false},
		{"signature made for envelopes", alice.Public(), data, envelopeSig, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.key.Verify(tt.data, tt.sig)
			if tt.ok && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify: got %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestEncryptDecrypt(t *testing.T) {
	alice, bob, carol := testIdentity(t, "Alice"), testIdentity(t, "Bob"), testIdentity(t, "Carol")
	plain := []byte("Patient in room 3 is ready.")
	msg, err := bob.Public().Encrypt(plain, alice)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(msg, plain) {
		t.Fatal("the message holds the plaintext")
	}
	tampered := bytes.Clone(msg)
	tampered[len(tampered)-5] ^= 0x01
	unsigned, err := bob.Public().ring.Encrypt(pgp.NewPlainMessage(plain), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		me   *Identity
		msg  []byte
		from *PublicKey
		want error // nil: opens
	}{
		{"recipient, right sender", bob, msg, alice.Public(), nil},
		{"recipient, wrong sender", bob, msg, carol.Public(), ErrBadSignature},
		{"recipient, no sender", bob, msg, nil, ErrBadSignature},
		{"someone else", carol, msg, alice.Public(), ErrCannotOpen},
		{"the sender", alice, msg, alice.Public(), ErrCannotOpen},
		{"altered", bob, tampered, alice.Public(), ErrCannotOpen},
		{"unsigned", bob, unsigned.GetBinary(), alice.Public(), ErrBadSignature},
		{"empty", bob, nil, alice.Public(), ErrMalformed},
		{"garbage", bob, []byte("hello"), alice.Public(), ErrCannotOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.me.Decrypt(tt.msg, tt.from)
			if tt.want == nil {
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("got (%q, %v), want %q", got, err, plain)
				}
				return
			}
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("got (%q, %v), want %v", got, err, tt.want)
			}
		})
	}
}

func TestEncryptNeedsSigner(t *testing.T) {
	if _, err := testIdentity(t, "Bob").Public().Encrypt([]byte("x"), nil); err == nil {
		t.Fatal("encrypted without a signer")
	}
}

func TestClear(t *testing.T) {
	id, err := generateIdentity("Temp", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	fp := id.Fingerprint()
	id.Clear()
	id.Clear() // twice is fine
	if id.Fingerprint() != fp || id.Public() == nil {
		t.Fatal("the public part was lost")
	}
	if _, err := id.Sign([]byte("x")); !errors.Is(err, ErrCleared) {
		t.Errorf("Sign: %v", err)
	}
	if _, err := id.Lock([]byte("p")); !errors.Is(err, ErrCleared) {
		t.Errorf("Lock: %v", err)
	}
	if _, err := id.Decrypt([]byte("x"), id.Public()); !errors.Is(err, ErrCleared) {
		t.Errorf("Decrypt: %v", err)
	}
	if _, err := id.Public().Encrypt([]byte("x"), id); !errors.Is(err, ErrCleared) {
		t.Errorf("Encrypt signed by a cleared identity: %v", err)
	}
}

func TestParsePublicKey(t *testing.T) {
	alice := testIdentity(t, "Alice")
	pub := alice.Public()
	armored, err := pub.Armored()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(armored, "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
		t.Fatalf("not armored: %.40q", armored)
	}
	private, err := alice.key.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input []byte
		ok    bool
	}{
		{"binary", pub.Bytes(), true},
		{"armored", []byte(armored), true},
		{"armored with blank lines around", []byte("\n\n" + armored + "\n"), true},
		{"private key", private, false},
		{"empty", nil, false},
		{"garbage", []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----"), false},
		{"truncated", pub.Bytes()[:40], false},
		{"two keys", append(pub.Bytes(), testIdentity(t, "Bob").Public().Bytes()...), false},
		{"too large", bytes.Repeat([]byte{0}, maxKeySize+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKey(tt.input)
			if !tt.ok {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("got (%v, %v), want ErrMalformed", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Fingerprint() != pub.Fingerprint() || !bytes.Equal(got.Bytes(), pub.Bytes()) {
				t.Fatal("the parsed key differs")
			}
		})
	}
}

// An Identity is shared by the UI and the sync loop: sign, seal, open and
// decrypt at once, then clear while others may still be at work.
func TestIdentityConcurrentUse(t *testing.T) {
	id, err := GenerateIdentity("Shared")
	if err != nil {
		t.Fatal(err)
	}
	bob := testIdentity(t, "Bob")
	k := testScopeKey(t, "frontdesk", 1)
	msg, err := id.Public().Encrypt([]byte("hi"), bob)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10 {
				if _, err := id.Sign([]byte("x")); err != nil && !errors.Is(err, ErrCleared) {
					t.Error(err)
				}
				if _, err := Seal(testHeader(id, k), []byte("x"), k, id); err != nil && !errors.Is(err, ErrCleared) {
					t.Error(err)
				}
				if _, err := id.Decrypt(msg, bob.Public()); err != nil && !errors.Is(err, ErrCleared) {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() { id.Clear() })
	wg.Wait()
}
