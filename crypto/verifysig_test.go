package crypto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// verifyTwoPass is how Envelope.Verify checked a signature before
// verifysig.go: gopenpgp's detached verify with the envelope context,
// then the packet's exactness and hash tag with the bytes hashed again.
// The one-pass check must take and refuse exactly what it did.
func verifyTwoPass(e *Envelope, author *PublicKey) error {
	f, err := parseFrame(e.Raw)
	if err != nil {
		return err
	}
	signed := e.Raw[:f.signedLen]
	if err := author.verifyWithContext(signed, f.signature, pgp.NewVerificationContext(envelopeContext, true, 0)); err != nil {
		return err
	}
	r := bytes.NewReader(f.signature)
	p, err := packet.Read(r)
	if err != nil || r.Len() != 0 {
		return fmt.Errorf("%w: the signature packet is not exact", ErrBadSignature)
	}
	sig, ok := p.(*packet.Signature)
	if !ok || sig.SigType != packet.SigTypeBinary {
		return fmt.Errorf("%w: not a binary-document signature", ErrBadSignature)
	}
	if err := checkExactPacket(sig, f.signature); err != nil {
		return err
	}
	h, err := sig.PrepareVerify()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	h.Write(signed)
	if err := packet.VerifyHashTag(h, sig); err != nil {
		return fmt.Errorf("%w: the signature's hash tag is wrong", ErrBadSignature)
	}
	return nil
}

// TestVerifyOnePassAsTwo: the one-pass signature check takes and refuses
// the same envelopes as gopenpgp's verify followed by the exactness check:
// genuine ones; signed by another key, for no context, another context or
// a context not required, with a plain signature; every byte of the
// signature changed in turn, and the packet edits of
// TestEnvelopeSignatureMustBeExact.
func TestVerifyOnePassAsTwo(t *testing.T) {
	alice, bob := testIdentity(t, "Alice"), testIdentity(t, "Bob")
	k := testScopeKey(t, "frontdesk", 1)
	signer := func(id *Identity, sc *pgp.SigningContext) func([]byte) []byte {
		return func(signed []byte) []byte {
			var sig []byte
			var err error
			if sc == nil {
				sig, err = id.Sign(signed)
			} else {
				sig, err = id.signWithContext(signed, sc)
			}
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
	}
	type tc struct {
		name   string
		env    *Envelope
		author *PublicKey
	}
	var cases []tc
	for _, payload := range [][]byte{[]byte("a"), bytes.Repeat([]byte("appointment "), 100)} {
		env, err := Seal(testHeader(alice, k), payload, k, alice)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases,
			tc{"genuine", env, alice.Public()},
			tc{"another author's key", env, bob.Public()},
			tc{"signed by another", assemble(t, testHeader(alice, k), env.Ciphertext, signer(bob, pgp.NewSigningContext(envelopeContext, true))), alice.Public()},
			tc{"plain signature", assemble(t, testHeader(alice, k), env.Ciphertext, signer(alice, nil)), alice.Public()},
			tc{"another context", assemble(t, testHeader(alice, k), env.Ciphertext, signer(alice, pgp.NewSigningContext("medihaven grant v1", true))), alice.Public()},
			tc{"context not critical", assemble(t, testHeader(alice, k), env.Ciphertext, signer(alice, pgp.NewSigningContext(envelopeContext, false))), alice.Public()},
		)
		for i := range env.Signature {
			for _, flip := range []byte{0x01, 0x80} {
				sig := bytes.Clone(env.Signature)
				sig[i] ^= flip
				cases = append(cases, tc{fmt.Sprintf("signature byte %d ^ %#x", i, flip),
					assemble(t, env.Header, env.Ciphertext, func([]byte) []byte { return sig }), alice.Public()})
			}
		}
		sig := env.Signature
		hashed := int(binary.BigEndian.Uint16(sig[7:9]))
		tagAt := 9 + hashed + 2 + int(binary.BigEndian.Uint16(sig[9+hashed:]))
		for _, e := range []struct {
			name string
			edit func(sig []byte) []byte
		}{
			{"hash tag", func(sig []byte) []byte { sig[tagAt] ^= 0xff; return sig }},
			{"bit length of R", func(sig []byte) []byte { binary.BigEndian.PutUint16(sig[tagAt+2:], 8*31+1); return sig }},
			{"five-octet packet length", func(sig []byte) []byte {
				n := len(sig) - 3
				return append([]byte{sig[0], 0xff, 0, 0, byte(n >> 8), byte(n)}, sig[3:]...)
			}},
			{"a byte more", func(sig []byte) []byte { return append(sig, 0) }},
		} {
			edited := e.edit(bytes.Clone(sig))
			cases = append(cases, tc{e.name, assemble(t, env.Header, env.Ciphertext, func([]byte) []byte { return edited }), alice.Public()})
		}
	}
	accepted := 0
	for _, c := range cases {
		one, two := c.env.Verify(c.author), verifyTwoPass(c.env, c.author)
		if (one == nil) != (two == nil) {
			t.Errorf("%s: one pass %v, two passes %v", c.name, one, two)
		}
		if one != nil && !errors.Is(one, ErrBadSignature) && !errors.Is(one, ErrMalformed) {
			t.Errorf("%s: %v, want ErrBadSignature", c.name, one)
		}
		if one == nil {
			accepted++
		}
	}
	if accepted < 2 {
		t.Errorf("%d of %d envelopes verified; want the genuine ones at least", accepted, len(cases))
	}
}

// BenchmarkVerifyEnvelope: an envelope of a clinic's usual size (about
// 800 bytes) checked in one pass and as before, in two.
func BenchmarkVerifyEnvelope(b *testing.B) {
	alice := testIdentity(b, "Alice")
	k := testScopeKey(b, "frontdesk", 1)
	env, err := Seal(testHeader(alice, k), bytes.Repeat([]byte("x"), 400), k, alice)
	if err != nil {
		b.Fatal(err)
	}
	pub := alice.Public()
	for _, v := range []struct {
		name   string
		verify func(*Envelope, *PublicKey) error
	}{{"one pass", (*Envelope).Verify}, {"two passes", verifyTwoPass}} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				if err := v.verify(env, pub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzVerifyOnePassAsTwo: whatever bytes stand as an envelope's signature
// packet, the one-pass check and the two passes agree (and neither
// panics).
func FuzzVerifyOnePassAsTwo(f *testing.F) {
	alice := testIdentity(f, "Alice")
	k := testScopeKey(f, "frontdesk", 1)
	env, err := Seal(testHeader(alice, k), []byte("appointment"), k, alice)
	if err != nil {
		f.Fatal(err)
	}
	plain, err := alice.Sign(env.Raw[:len(env.Raw)-len(env.Signature)-2])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(env.Signature)
	f.Add(plain)
	f.Fuzz(func(t *testing.T, sig []byte) {
		if len(sig) == 0 || len(sig) > maxSignatureSize {
			return // not an envelope's: ParseEnvelope refuses it
		}
		forged := assemble(t, env.Header, env.Ciphertext, func([]byte) []byte { return sig })
		one, two := forged.Verify(alice.Public()), verifyTwoPass(forged, alice.Public())
		if (one == nil) != (two == nil) {
			t.Fatalf("one pass %v, two passes %v", one, two)
		}
	})
}
