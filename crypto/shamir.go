// shamir.go splits a secret (the clinic's recovery key) into n shares of
// which any k rebuild it and fewer than k reveal nothing, by Shamir's
// scheme over GF(256): each byte of the secret is the constant term of its
// own random polynomial of degree k-1, and a share is that polynomial's
// value at one non-zero point. A share protects nothing by itself; the
// caller encrypts each share to one administrator's key.
//
// Binary form of a share: "MHS1", threshold (1 byte), x (1 byte, non-zero),
// length of y (2 bytes, big-endian), y.

package crypto

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	shareMagic = "MHS1"
	// MaxShares is the most shares a secret can be split into (the non-zero
	// points of GF(256)).
	MaxShares = 255
	// maxSharedSecret bounds the secret, so a share stays small.
	maxSharedSecret = 1024
)

// ErrTooFewShares means fewer shares than the threshold were combined.
var ErrTooFewShares = errors.New("crypto: not enough recovery shares to rebuild the key")

// Share is one administrator's part of a split secret.
type Share struct {
	Threshold byte   // how many shares rebuild the secret
	X         byte   // the share's point, 1..255
	Y         []byte // the polynomials' values at X, one byte per secret byte
}

// SplitSecret splits secret into n shares of which any k rebuild it.
func SplitSecret(secret []byte, k, n int) ([]Share, error) {
	switch {
	case len(secret) == 0 || len(secret) > maxSharedSecret:
		return nil, fmt.Errorf("crypto: a secret to split must have 1 to %d bytes", maxSharedSecret)
	case k < 1 || n < k:
		return nil, fmt.Errorf("crypto: the threshold must be between 1 and the number of shares (%d of %d asked)", k, n)
	case n > MaxShares:
		return nil, fmt.Errorf("crypto: at most %d shares", MaxShares)
	}
	shares := make([]Share, n)
	for i := range shares {
		shares[i] = Share{Threshold: byte(k), X: byte(i + 1), Y: make([]byte, len(secret))}
	}
	coef := make([]byte, k)
	defer wipe(coef)
	for j, s := range secret {
		coef[0] = s
		_, _ = rand.Read(coef[1:]) // crypto/rand.Read never fails (Go 1.24+).
		for i := range shares {
			shares[i].Y[j] = evalPoly(coef, shares[i].X)
		}
	}
	return shares, nil
}

// CombineShares rebuilds a secret from at least threshold distinct shares
// of one split. Shares of different splits give a wrong secret, not an
// error: the caller checks the result (it unlocks a key, or not).
func CombineShares(shares []Share) ([]byte, error) {
	if len(shares) == 0 {
		return nil, ErrTooFewShares
	}
	k, size := int(shares[0].Threshold), len(shares[0].Y)
	seen := map[byte]bool{}
	use := make([]Share, 0, k)
	for _, s := range shares {
		if s.X == 0 || int(s.Threshold) != k || len(s.Y) != size {
			return nil, fmt.Errorf("%w: the recovery shares do not belong to one split", ErrMalformed)
		}
		if seen[s.X] {
			continue
		}
		seen[s.X] = true
		if len(use) < k {
			use = append(use, s)
		}
	}
	if len(use) < k {
		return nil, fmt.Errorf("%w: %d of %d", ErrTooFewShares, len(use), k)
	}
	secret := make([]byte, size)
	for i, si := range use {
		// Lagrange basis polynomial of point i, evaluated at 0.
		num, den := byte(1), byte(1)
		for j, sj := range use {
			if i != j {
				num = gfMul(num, sj.X)
				den = gfMul(den, si.X^sj.X)
			}
		}
		l := gfMul(num, gfInv(den))
		for b := range secret {
			secret[b] ^= gfMul(si.Y[b], l)
		}
	}
	return secret, nil
}

// MarshalBinary encodes the share (see the file comment).
func (s Share) MarshalBinary() ([]byte, error) {
	if s.X == 0 || s.Threshold == 0 || len(s.Y) == 0 || len(s.Y) > maxSharedSecret {
		return nil, fmt.Errorf("%w: not a valid recovery share", ErrMalformed)
	}
	b := append([]byte(shareMagic), s.Threshold, s.X)
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.Y)))
	return append(b, s.Y...), nil
}

// ParseShare reads a share's binary form strictly.
func ParseShare(b []byte) (Share, error) {
	d := decoder{b: b}
	if string(d.bytes(len(shareMagic))) != shareMagic {
		d.fail("not a recovery share")
	}
	s := Share{Threshold: d.u8(), X: d.u8()}
	n := int(d.u16())
	if d.err == nil && (s.X == 0 || s.Threshold == 0 || n == 0 || n > maxSharedSecret) {
		d.fail("not a valid recovery share")
	}
	s.Y = append([]byte(nil), d.bytes(n)...)
	if err := d.end(); err != nil {
		return Share{}, err
	}
	return s, nil
}

// evalPoly evaluates the polynomial with coefficients coef (constant first)
// at x, by Horner's rule.
func evalPoly(coef []byte, x byte) byte {
	var y byte
	for i := len(coef) - 1; i >= 0; i-- {
		y = gfMul(y, x) ^ coef[i]
	}
	return y
}

// gfMul multiplies in GF(256) with the AES polynomial x^8+x^4+x^3+x+1,
// without branches on the operands.
func gfMul(a, b byte) byte {
	var p byte
	for range 8 {
		p ^= a & -(b & 1)
		hi := a >> 7
		a = a<<1 ^ 0x1b&-hi
		b >>= 1
	}
	return p
}

// gfInv is a's multiplicative inverse (a^254); 0 maps to 0.
func gfInv(a byte) byte {
	r := a
	for range 6 {
		a = gfMul(a, a)
		r = gfMul(r, a)
	}
	return gfMul(r, r)
}
