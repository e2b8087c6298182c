package crypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestEncryptToMany(t *testing.T) {
	alice, bob, carol, mallory := testIdentity(t, "Alice"), testIdentity(t, "Bob"), testIdentity(t, "Carol"), testIdentity(t, "Mallory")
	plain := []byte("MRN MH0001234: please review the labs")
	msg, err := EncryptToMany(plain, alice, alice.Public(), bob.Public(), carol.Public(), bob.Public())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		reader   *Identity
		from     *PublicKey
		wantOpen error
		verified bool
	}{
		{"recipient, right sender", bob, alice.Public(), nil, true},
		{"another recipient", carol, alice.Public(), nil, true},
		{"the sender's own copy", alice, alice.Public(), nil, true},
		{"recipient, claimed sender is someone else", bob, mallory.Public(), nil, false},
		{"recipient, sender unknown", bob, nil, nil, false},
		{"not a recipient", mallory, alice.Public(), ErrCannotOpen, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.reader.OpenSigned(msg, tc.from)
			if !errors.Is(err, tc.wantOpen) || (tc.wantOpen == nil) != (err == nil) {
				t.Fatalf("OpenSigned error = %v, want %v", err, tc.wantOpen)
			}
			if err != nil {
				return
			}
			if !bytes.Equal(got.Plain, plain) {
				t.Errorf("plain = %q", got.Plain)
			}
			if (got.Signature == nil) != tc.verified {
				t.Errorf("Signature = %v, want verified %v", got.Signature, tc.verified)
			}
			if got.Signature != nil && !errors.Is(got.Signature, ErrBadSignature) {
				t.Errorf("Signature = %v, want ErrBadSignature", got.Signature)
			}
		})
	}
	// Decrypt (strict) agrees.
	if _, err := bob.Decrypt(msg, alice.Public()); err != nil {
		t.Errorf("Decrypt of a multi-recipient message: %v", err)
	}

	for _, tc := range []struct {
		name   string
		signer *Identity
		to     []*PublicKey
	}{
		{"no signer", nil, []*PublicKey{bob.Public()}},
		{"no recipient", alice, nil},
		{"nil recipient", alice, []*PublicKey{nil}},
	} {
		if _, err := EncryptToMany(plain, tc.signer, tc.to...); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	for _, bad := range [][]byte{nil, []byte("not a message"), msg[:len(msg)/2]} {
		if _, err := bob.OpenSigned(bad, alice.Public()); err == nil {
			t.Errorf("OpenSigned(%q...) = nil error", bad[:min(len(bad), 8)])
		}
	}
}

func FuzzOpenSigned(f *testing.F) {
	alice, bob := testIdentity(f, "Alice"), testIdentity(f, "Bob")
	msg, err := EncryptToMany([]byte("hello"), alice, bob.Public())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(msg)
	f.Add([]byte{0xc1, 0x5e})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := bob.OpenSigned(b, alice.Public())
		if err == nil && got.Signature == nil && !bytes.Equal(got.Plain, []byte("hello")) {
			t.Fatalf("verified a forged message: %q", got.Plain)
		}
	})
}
