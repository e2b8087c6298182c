package crypto

import (
	"bytes"
	"errors"
	"testing"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

func TestWrapDeviceKey(t *testing.T) {
	alice, bob := testIdentity(t, "Alice"), testIdentity(t, "Bob")
	k, _ := NewDeviceKey()
	const device = "0123456789abcdef0123456789abcdef"
	wrapped, err := WrapDeviceKey(&k, alice, device)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wrapped, k[:]) {
		t.Fatal("the wrapped form holds the key in clear")
	}
	got, err := UnwrapDeviceKey(wrapped, alice, device)
	if err != nil || got != k {
		t.Fatalf("UnwrapDeviceKey = (%v, %v)", got == k, err)
	}

	// Someone else's wrap: Bob's key encrypted to Alice and signed by Bob,
	// in the right format, as a program that can write the keyring plants it.
	plain := appendStr8([]byte(deviceWrapMagic), device)
	plain = append(plain, k[:]...)
	planted, err := alice.Public().encryptWithContext(plain, bob, pgp.NewSigningContext(deviceWrapContext, true))
	if err != nil {
		t.Fatal(err)
	}
	// Alice's own signature, but for another use (a grant's context, none).
	grant, err := alice.Public().encryptWithContext(plain, alice, pgp.NewSigningContext(grantContext, true))
	if err != nil {
		t.Fatal(err)
	}
	untagged, err := alice.Public().Encrypt(plain, alice)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(wrapped)
	tampered[len(tampered)-5] ^= 1
	tests := []struct {
		name    string
		wrapped []byte
		id      *Identity
		device  string
		want    error
	}{
		{"another member", wrapped, bob, device, ErrCannotOpen},
		{"another device", wrapped, alice, "fedcba9876543210fedcba9876543210", ErrCannotOpen},
		{"signed by someone else", planted, alice, device, ErrBadSignature},
		{"signed for another use", grant, alice, device, ErrBadSignature},
		{"signed for no use", untagged, alice, device, ErrBadSignature},
		{"tampered", tampered, alice, device, nil},
		{"the key in clear", k[:], alice, device, nil},
		{"empty", nil, alice, device, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UnwrapDeviceKey(tt.wrapped, tt.id, tt.device)
			if err == nil {
				t.Fatal("opened")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if !got.Wiped() {
				t.Fatal("a refused unwrap returned key bytes")
			}
		})
	}
	if _, err := UnwrapDeviceKey(wrapped, nil, device); err == nil {
		t.Error("opened without an identity")
	}
	if _, err := WrapDeviceKey(&k, nil, device); err == nil {
		t.Error("wrapped without an identity")
	}
	if _, err := WrapDeviceKey(&k, alice, ""); err == nil {
		t.Error("wrapped for no device")
	}
}

func TestWipedDeviceKeySealsNothing(t *testing.T) {
	k, _ := NewDeviceKey()
	sealed, err := k.Seal([]byte("chat history"), []byte("chat:1"))
	if err != nil {
		t.Fatal(err)
	}
	id := testIdentity(t, "Alice")
	k.Wipe()
	if !k.Wiped() || k != (DeviceKey{}) {
		t.Fatal("Wipe left key bytes")
	}
	for _, key := range []DeviceKey{k, {}} {
		if _, err := key.Seal([]byte("x"), nil); !errors.Is(err, ErrCleared) {
			t.Errorf("Seal with a wiped key: %v, want ErrCleared", err)
		}
		if _, err := key.Open(sealed, []byte("chat:1")); !errors.Is(err, ErrCleared) {
			t.Errorf("Open with a wiped key: %v, want ErrCleared", err)
		}
		if _, err := WrapDeviceKey(&key, id, "dev"); !errors.Is(err, ErrCleared) {
			t.Errorf("WrapDeviceKey of a wiped key: %v, want ErrCleared", err)
		}
	}
}

func BenchmarkWrapDeviceKey(b *testing.B) {
	id := testIdentity(b, "Alice")
	k, _ := NewDeviceKey()
	for b.Loop() {
		if _, err := WrapDeviceKey(&k, id, "dev"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrapDeviceKey(b *testing.B) {
	id := testIdentity(b, "Alice")
	k, _ := NewDeviceKey()
	w, err := WrapDeviceKey(&k, id, "dev")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := UnwrapDeviceKey(w, id, "dev"); err != nil {
			b.Fatal(err)
		}
	}
}
