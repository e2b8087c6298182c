package crypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestGFInverse(t *testing.T) {
	for a := 1; a < 256; a++ {
		if got := gfMul(byte(a), gfInv(byte(a))); got != 1 {
			t.Fatalf("%d * inv(%d) = %d, want 1", a, a, got)
		}
	}
}

func TestSplitAndCombine(t *testing.T) {
	secret := []byte("the clinic's recovery passphrase, 32 bytes or so")
	tests := []struct {
		name string
		k, n int
		use  []int // indexes of the shares combined
		ok   bool
	}{
		{"two of three, first two", 2, 3, []int{0, 1}, true},
		{"two of three, last two", 2, 3, []int{2, 1}, true},
		{"two of three, all", 2, 3, []int{0, 1, 2}, true},
		{"one of one", 1, 1, []int{0}, true},
		{"three of five", 3, 5, []int{4, 0, 2}, true},
		{"duplicates do not count", 3, 5, []int{1, 1, 2}, false},
		{"too few", 3, 5, []int{0, 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shares, err := SplitSecret(secret, tt.k, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			var use []Share
			for _, i := range tt.use {
				use = append(use, shares[i])
			}
			got, err := CombineShares(use)
			if !tt.ok {
				if !errors.Is(err, ErrTooFewShares) {
					t.Fatalf("CombineShares: %v, want ErrTooFewShares", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, secret) {
				t.Fatalf("CombineShares = %q, %v", got, err)
			}
		})
	}
}

func TestFewerSharesRevealNothingObvious(t *testing.T) {
	// With k=2 a single share's bytes are uniformly random: two splits of
	// the same secret give different shares.
	secret := bytes.Repeat([]byte{7}, 32)
	a, _ := SplitSecret(secret, 2, 3)
	b, _ := SplitSecret(secret, 2, 3)
	if bytes.Equal(a[0].Y, b[0].Y) || bytes.Equal(a[0].Y, secret) {
		t.Error("a share repeats across splits or equals the secret")
	}
}

func TestSplitRejectsBadParameters(t *testing.T) {
	for _, tt := range []struct {
		secret []byte
		k, n   int
	}{{nil, 1, 1}, {[]byte("x"), 0, 1}, {[]byte("x"), 3, 2}, {[]byte("x"), 1, 256}, {make([]byte, 2000), 1, 1}} {
		if _, err := SplitSecret(tt.secret, tt.k, tt.n); err == nil {
			t.Errorf("SplitSecret(%d bytes, %d, %d) succeeded", len(tt.secret), tt.k, tt.n)
		}
	}
}

func TestCombineRejectsMixedSplits(t *testing.T) {
	a, _ := SplitSecret([]byte("abc"), 2, 3)
	b, _ := SplitSecret([]byte("abcd"), 2, 3)
	if _, err := CombineShares([]Share{a[0], b[1]}); !errors.Is(err, ErrMalformed) {
		t.Errorf("mixed sizes: %v, want ErrMalformed", err)
	}
}

func TestShareRoundTrip(t *testing.T) {
	shares, _ := SplitSecret([]byte("secret"), 2, 3)
	for _, s := range shares {
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseShare(b)
		if err != nil || got.X != s.X || got.Threshold != s.Threshold || !bytes.Equal(got.Y, s.Y) {
			t.Fatalf("ParseShare = %+v, %v", got, err)
		}
	}
	for _, bad := range [][]byte{nil, []byte("MHS1"), []byte("MHS1\x02\x00\x00\x01a"), []byte("MHS1\x02\x01\x00\x02a"), []byte("XXXX\x02\x01\x00\x01a")} {
		if _, err := ParseShare(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseShare(%q): %v, want ErrMalformed", bad, err)
		}
	}
}

func FuzzParseShare(f *testing.F) {
	shares, _ := SplitSecret([]byte("recovery"), 2, 3)
	for _, s := range shares {
		b, _ := s.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte(shareMagic))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := ParseShare(raw)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		again, err := s.MarshalBinary()
		if err != nil || !bytes.Equal(again, raw) {
			t.Fatalf("share does not round-trip: %v", err)
		}
	})
}
