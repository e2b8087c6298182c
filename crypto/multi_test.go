package crypto

import (
	"bytes"
	"errors"
	"testing"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
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

// TestMessagesShareASessionKey: messages to one set of recipients reuse a
// session key (its wrapped copies are the same bytes), a new set gets a
// new one, every message opens on its own at a workstation that never saw
// the earlier ones, and a locked identity forgets them all.
func TestMessagesShareASessionKey(t *testing.T) {
	bob, carol := testIdentity(t, "Bob"), testIdentity(t, "Carol")
	sender, _, err := NewIdentity("Sender", []byte("sender passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	keyPackets := func(msg []byte) []byte {
		t.Helper()
		split, err := pgp.NewPGPMessage(msg).SplitMessage()
		if err != nil {
			t.Fatal(err)
		}
		return split.KeyPacket
	}
	seal := func(text string, to ...*PublicKey) []byte {
		t.Helper()
		msg, err := EncryptToMany([]byte(text), sender, to...)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	first := seal("first", bob.Public(), sender.Public())
	second := seal("second", sender.Public(), bob.Public(), bob.Public()) // same set, other order
	other := seal("to a new set", bob.Public(), carol.Public(), sender.Public())
	if !bytes.Equal(keyPackets(first), keyPackets(second)) {
		t.Error("two messages to the same recipients wrapped two session keys")
	}
	if bytes.Equal(keyPackets(first), keyPackets(other)) {
		t.Error("a new set of recipients reused the old set's session key")
	}
	if bytes.Equal(first[len(keyPackets(first)):], second[len(keyPackets(second)):]) {
		t.Error("two messages have the same encrypted data")
	}
	for _, tc := range []struct {
		reader *Identity
		msg    []byte
		want   string
	}{
		{bob, second, "second"}, // before the first: nothing remembered yet
		{bob, first, "first"},
		{carol, other, "to a new set"},
		{sender, first, "first"},
	} {
		got, err := tc.reader.OpenSigned(tc.msg, sender.Public())
		if err != nil || got.Signature != nil || string(got.Plain) != tc.want {
			t.Errorf("OpenSigned = (%q, %v, %v), want %q verified", got.Plain, got.Signature, err, tc.want)
		}
	}
	if _, err := carol.OpenSigned(first, sender.Public()); !errors.Is(err, ErrCannotOpen) {
		t.Errorf("a colleague outside the set opened the message: %v", err)
	}
	// Data sealed under a remembered key but sent with another message's
	// key packets does not open.
	spliced := append(bytes.Clone(keyPackets(first)), other[len(keyPackets(other)):]...)
	if _, err := bob.OpenSigned(spliced, sender.Public()); !errors.Is(err, ErrCannotOpen) {
		t.Errorf("spliced message: %v, want ErrCannotOpen", err)
	}

	sender.Clear()
	if len(sender.sess.in) != 0 || len(sender.sess.out) != 0 {
		t.Errorf("a cleared identity still remembers %d + %d session keys", len(sender.sess.in), len(sender.sess.out))
	}
	if _, err := EncryptToMany([]byte("after lock"), sender, bob.Public()); !errors.Is(err, ErrCleared) {
		t.Errorf("EncryptToMany after Clear = %v, want ErrCleared", err)
	}
}

func BenchmarkEncryptToManyTwo(b *testing.B) {
	alice, bob := testIdentity(b, "Alice"), testIdentity(b, "Bob")
	plain := make([]byte, 300)
	for b.Loop() {
		if _, err := EncryptToMany(plain, alice, bob.Public(), alice.Public()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenSigned(b *testing.B) {
	alice, bob := testIdentity(b, "Alice"), testIdentity(b, "Bob")
	msg, err := EncryptToMany(make([]byte, 300), alice, bob.Public(), alice.Public())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if o, err := bob.OpenSigned(msg, alice.Public()); err != nil || o.Signature != nil {
			b.Fatal(err, o.Signature)
		}
	}
}
