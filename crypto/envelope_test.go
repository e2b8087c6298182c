package crypto

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	alice := testIdentity(t, "Alice")
	k := testScopeKey(t, "clinical", 3)
	tests := []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"short", []byte(`{"allergy":"penicillin"}`)},
		{"2 KiB", bytes.Repeat([]byte("blood pressure 120/80; "), 90)},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHeader(alice, k)
			env, err := Seal(h, tt.payload, k, alice)
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.payload) > 8 && bytes.Contains(env.Raw, tt.payload) {
				t.Fatal("the raw envelope holds the plaintext")
			}
			parsed, err := ParseEnvelope(env.Raw)
			if err != nil {
				t.Fatalf("ParseEnvelope: %v", err)
			}
			if parsed.Header != h || !bytes.Equal(parsed.Raw, env.Raw) ||
				!bytes.Equal(parsed.Ciphertext, env.Ciphertext) || !bytes.Equal(parsed.Signature, env.Signature) {
				t.Fatal("the parsed envelope differs from the sealed one")
			}
			if err := parsed.Verify(alice.Public()); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got, err := parsed.Open(k)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.payload) {
				t.Fatalf("Open = %q, want %q", got, tt.payload)
			}
			if parsed.Hash() != env.Hash() || !isLowerHex(env.Hash(), 64) {
				t.Fatalf("Hash: %q vs %q", parsed.Hash(), env.Hash())
			}
		})
	}
}

func TestEnvelopeChain(t *testing.T) {
	alice := testIdentity(t, "Alice")
	k := testScopeKey(t, "frontdesk", 1)
	first, err := Seal(testHeader(alice, k), []byte("a"), k, alice)
	if err != nil {
		t.Fatal(err)
	}
	h := testHeader(alice, k)
	h.Seq, h.Lamport, h.Prev = 2, 2, first.Hash()
	second, err := Seal(h, []byte("b"), k, alice)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseEnvelope(second.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header.Prev != first.Hash() {
		t.Fatal("Prev lost")
	}
}

// Every single-byte change of an envelope must be caught by ParseEnvelope
// or Verify: nothing in Raw is unprotected, so Hash names one content.
// Signatures differ each time, so several envelopes are tried.
func TestEnvelopeEveryByteFlip(t *testing.T) {
	alice := testIdentity(t, "Alice")
	k := testScopeKey(t, "clinical", 1)
	for range 4 {
		env, err := Seal(testHeader(alice, k), []byte("ok"), k, alice)
		if err != nil {
			t.Fatal(err)
		}
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			for i := range env.Raw {
				raw := bytes.Clone(env.Raw)
				raw[i] ^= mask
				e, err := ParseEnvelope(raw)
				if err != nil {
					continue
				}
				if err := e.Verify(alice.Public()); err == nil {
					t.Errorf("byte %d of %d ^ %#02x: accepted", i, len(raw), mask)
				}
			}
		}
	}
}

// OpenPGP verification alone ignores a v4 signature's hash tag, accepts an
// over-long packet length and trusts a number's stated bit length; each of
// these edits would give an event a second Hash, so Verify refuses them.
func TestEnvelopeSignatureMustBeExact(t *testing.T) {
	alice := testIdentity(t, "Alice")
	k := testScopeKey(t, "clinical", 1)
	env, err := Seal(testHeader(alice, k), []byte("ok"), k, alice)
	if err != nil {
		t.Fatal(err)
	}
	sig := env.Signature
	if sig[0] != 0xc2 || sig[1] < 192 || sig[1] >= 224 {
		t.Fatalf("expected a new-format signature packet with a two-octet length, got % x", sig[:3])
	}
	hashed := int(binary.BigEndian.Uint16(sig[7:9]))
	unhashed := int(binary.BigEndian.Uint16(sig[9+hashed:]))
	tagAt := 9 + hashed + 2 + unhashed
	bitsAt := tagAt + 2
	tests := []struct {
		name string
		edit func(sig []byte) []byte
	}{
		{"hash tag", func(sig []byte) []byte { sig[tagAt] ^= 0xff; sig[tagAt+1] ^= 0xff; return sig }},
		{"bit length of R", func(sig []byte) []byte {
			binary.BigEndian.PutUint16(sig[bitsAt:], 8*31+1) // still 32 bytes
			return sig
		}},
		{"unsigned issuer subpacket", func(sig []byte) []byte {
			keyID, _ := hex.DecodeString(alice.Fingerprint()[24:])
			extra := append([]byte{9, 16}, keyID...) // issuer key id, not hashed
			body := append(bytes.Clone(sig[3:3+6+hashed]), 0, byte(len(extra)))
			body = append(body, extra...)
			body = append(body, sig[3+6+hashed+2:]...)
			n := len(body) - 192
			return append([]byte{sig[0], byte(n>>8) + 192, byte(n)}, body...)
		}},
		{"five-octet packet length", func(sig []byte) []byte {
			n := len(sig) - 3
			out := []byte{sig[0], 0xff, 0, 0, byte(n >> 8), byte(n)}
			return append(out, sig[3:]...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := tt.edit(bytes.Clone(sig))
			forged := assemble(t, env.Header, env.Ciphertext, func([]byte) []byte { return edited })
			if err := forged.Verify(alice.Public()); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("got %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestEnvelopeOpenWrongKey(t *testing.T) {
	alice := testIdentity(t, "Alice")
	clinical := testScopeKey(t, "clinical", 2)
	env, err := Seal(testHeader(alice, clinical), []byte("diagnosis"), clinical, alice)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := SealRaw(testHeader(alice, clinical), []byte("already sealed elsewhere"), alice)
	if err != nil {
		t.Fatal(err)
	}
	otherEpoch := clinical
	otherEpoch.Epoch = 3
	otherSecret := testScopeKey(t, "clinical", 2)
	tests := []struct {
		name string
		env  *Envelope
		key  ScopeKey
	}{
		{"another scope", env, testScopeKey(t, "frontdesk", 2)},
		{"another epoch, same secret", env, otherEpoch},
		{"same scope and epoch, another secret", env, otherSecret},
		{"payload sealed elsewhere", raw, clinical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.env.Open(tt.key)
			if !errors.Is(err, ErrCannotOpen) || got != nil {
				t.Fatalf("got (%q, %v), want ErrCannotOpen", got, err)
			}
		})
	}
}

// TestRoleBoundary: a receptionist's workstation holds every byte of a
// clinical envelope and the frontdesk key, and still cannot read the note,
// whichever scope name and epoch it pretends the key has.
func TestRoleBoundary(t *testing.T) {
	physician := testIdentity(t, "Physician")
	clinical := testScopeKey(t, "clinical", 1)
	frontdesk := testScopeKey(t, "frontdesk", 1)
	note := []byte("Suspected early-onset diabetes; refer to endocrinology.")
	env, err := Seal(testHeader(physician, clinical), note, clinical, physician)
	if err != nil {
		t.Fatal(err)
	}
	raw := bytes.Clone(env.Raw) // all the receptionist has
	if bytes.Contains(raw, note) || bytes.Contains(raw, []byte("diabetes")) {
		t.Fatal("the envelope leaks the note")
	}
	got, err := ParseEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(physician.Public()); err != nil {
		t.Fatalf("a receptionist can still verify it: %v", err)
	}
	relabelled := frontdesk
	relabelled.Scope, relabelled.Epoch = clinical.Scope, clinical.Epoch
	for _, k := range []ScopeKey{frontdesk, relabelled, DeriveIndexKeyAsScope(frontdesk), {Scope: "clinical", Epoch: 1}} {
		if plain, err := got.Open(k); !errors.Is(err, ErrCannotOpen) || plain != nil {
			t.Fatalf("Open with %v: got (%q, %v)", k, plain, err)
		}
	}
}

// DeriveIndexKeyAsScope reuses the frontdesk index key as if it were a
// scope secret: one more key a receptionist holds.
func DeriveIndexKeyAsScope(k ScopeKey) ScopeKey {
	ik := DeriveIndexKey(k)
	return ScopeKey{Scope: "clinical", Epoch: 1, Secret: ik}
}

func TestSealRefuses(t *testing.T) {
	alice, bob := testIdentity(t, "Alice"), testIdentity(t, "Bob")
	k := testScopeKey(t, "clinical", 1)
	tests := []struct {
		name   string
		edit   func(h *Header)
		author *Identity
		size   int
		want   error
	}{
		{"scope differs from key", func(h *Header) { h.Scope = "frontdesk" }, alice, 1, ErrHeaderMismatch},
		{"epoch differs from key", func(h *Header) { h.Epoch = 2 }, alice, 1, ErrHeaderMismatch},
		{"author differs from signer", func(h *Header) {}, bob, 1, ErrHeaderMismatch},
		{"no author", func(h *Header) {}, nil, 1, nil},
		{"event id uppercase", func(h *Header) { h.ID = strings.ToUpper(h.ID) }, alice, 1, ErrMalformed},
		{"event id short", func(h *Header) { h.ID = h.ID[:30] }, alice, 1, ErrMalformed},
		{"entity with a name in it", func(h *Header) { h.Entity = "Jane Doe" }, alice, 1, ErrMalformed},
		{"empty entity", func(h *Header) { h.Entity = "" }, alice, 1, ErrMalformed},
		{"empty kind", func(h *Header) { h.Kind = "" }, alice, 1, ErrMalformed},
		{"device not hex", func(h *Header) { h.Device = strings.Repeat("z", 32) }, alice, 1, ErrMalformed},
		{"sequence 0", func(h *Header) { h.Seq = 0 }, alice, 1, ErrMalformed},
		{"first event with prev", func(h *Header) { h.Prev = strings.Repeat("a", 64) }, alice, 1, ErrMalformed},
		{"later event without prev", func(h *Header) { h.Seq = 2 }, alice, 1, ErrMalformed},
		{"negative time", func(h *Header) { h.Time = -1 }, alice, 1, ErrMalformed},
		{"sequence past what a store holds", func(h *Header) { h.Seq = 1 << 63; h.Prev = strings.Repeat("a", 64) }, alice, 1, ErrMalformed},
		{"clock past what a store holds", func(h *Header) { h.Lamport = 1 << 63 }, alice, 1, ErrMalformed},
		{"payload too large", func(h *Header) {}, alice, MaxPayloadSize + 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHeader(alice, k)
			tt.edit(&h)
			env, err := Seal(h, make([]byte, tt.size), k, tt.author)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("got (%v, %v), want %v", env, err, tt.want)
			}
		})
	}
}

func TestEnvelopeVerifyRefuses(t *testing.T) {
	alice, bob := testIdentity(t, "Alice"), testIdentity(t, "Bob")
	k := testScopeKey(t, "frontdesk", 1)
	env, err := Seal(testHeader(alice, k), []byte("appointment"), k, alice)
	if err != nil {
		t.Fatal(err)
	}

	// An envelope naming Bob as author but signed by Alice.
	h := testHeader(bob, k)
	forged := assemble(t, h, env.Ciphertext, func(signed []byte) []byte {
		sig, err := alice.signWithContext(signed, pgp.NewSigningContext(envelopeContext, true))
		if err != nil {
			t.Fatal(err)
		}
		return sig
	})
	// An envelope signed with a plain signature, not one made for envelopes.
	generic := assemble(t, testHeader(alice, k), env.Ciphertext, func(signed []byte) []byte {
		sig, err := alice.Sign(signed)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	})
	edited, err := ParseEnvelope(env.Raw)
	if err != nil {
		t.Fatal(err)
	}
	edited.Header.Lamport = 99

	tests := []struct {
		name   string
		env    *Envelope
		author *PublicKey
		want   error
	}{
		{"another author's key", env, bob.Public(), ErrBadSignature},
		{"no key", env, nil, ErrBadSignature},
		{"author named falsely", forged, bob.Public(), ErrBadSignature},
		{"plain signature", generic, alice.Public(), ErrBadSignature},
		{"header edited after parsing", edited, alice.Public(), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.env.Verify(tt.author); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}

	// And an envelope signature is no plain signature either.
	f, err := parseFrame(env.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.Public().Verify(env.Raw[:f.signedLen], env.Signature); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("an envelope signature passed as a plain one: %v", err)
	}
}

// assemble frames an envelope by hand, signing with sign.
func assemble(t *testing.T, h Header, ct []byte, sign func(signed []byte) []byte) *Envelope {
	t.Helper()
	hb := h.appendBinary(nil)
	raw := append([]byte(envelopeMagic), byte(len(hb)>>8), byte(len(hb)))
	raw = append(raw, hb...)
	raw = binary.BigEndian.AppendUint32(raw, uint32(len(ct)))
	raw = append(raw, ct...)
	sig := sign(raw)
	raw = binary.BigEndian.AppendUint16(raw, uint16(len(sig)))
	raw = append(raw, sig...)
	env, err := ParseEnvelope(raw)
	if err != nil {
		t.Fatalf("assemble: %v", err)
	}
	return env
}

func TestParseEnvelopeMalformed(t *testing.T) {
	alice := testIdentity(t, "Alice")
	k := testScopeKey(t, "clinical", 1)
	env, err := Seal(testHeader(alice, k), []byte("x"), k, alice)
	if err != nil {
		t.Fatal(err)
	}
	good := env.Raw
	h := testHeader(alice, k)
	h.Seq, h.Prev = 2, strings.Repeat("a", 64)
	later, err := Seal(h, []byte("x"), k, alice)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseFrame(good)
	if err != nil {
		t.Fatal(err)
	}
	hEnd := 6 + len(f.headerRaw)
	withCT := func(ct []byte) []byte {
		b := bytes.Clone(good[:hEnd])
		b = binary.BigEndian.AppendUint32(b, uint32(len(ct)))
		b = append(b, ct...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(f.signature)))
		return append(b, f.signature...)
	}
	tests := []struct {
		name string
		raw  []byte
	}{
		{"empty", nil},
		{"magic only", []byte(envelopeMagic)},
		{"other magic", append([]byte("MHE2"), good[4:]...)},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"truncated", good[:len(good)-1]},
		{"header length too big", append(append([]byte(envelopeMagic), 0xff, 0xff), good[6:]...)},
		{"empty ciphertext", withCT(nil)},
		{"no signature", append(bytes.Clone(good[:f.signedLen]), 0, 0)},
		{"too large", make([]byte, MaxEnvelopeSize+1)},
		{"sequence past what a store holds", withHighBit(later.Raw, seqOffset(later.Header))},
		{"clock past what a store holds", withHighBit(good, seqOffset(env.Header)+8)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e, err := ParseEnvelope(tt.raw); !errors.Is(err, ErrMalformed) {
				t.Fatalf("got (%v, %v), want ErrMalformed", e, err)
			}
		})
	}
}

// seqOffset is where h's sequence number starts in its envelope's raw
// bytes (the clock's 8 bytes follow it).
func seqOffset(h Header) int {
	return len(envelopeMagic) + 2 + 1 + len(h.ID) + 1 + len(h.Entity) + 1 + len(h.Kind) + 1 + len(h.Scope) + 4 +
		1 + len(h.Author) + 1 + len(h.Device)
}

// withHighBit returns raw with the top bit of the byte at i set.
func withHighBit(raw []byte, i int) []byte {
	b := bytes.Clone(raw)
	b[i] |= 0x80
	return b
}

func TestNewEventID(t *testing.T) {
	a, b := NewEventID(), NewEventID()
	if !isLowerHex(a, 32) || a == b {
		t.Fatalf("NewEventID: %q, %q", a, b)
	}
}
