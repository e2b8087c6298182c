package store

import (
	"fmt"
	"testing"

	"golang.org/x/crypto/blake2b"
)

// BenchmarkMarkRow: a row's mark in C (MarkRow, a call from Go included)
// against Go's BLAKE2b (golang.org/x/crypto, AVX2), by the row's size.
func BenchmarkMarkRow(b *testing.B) {
	var key [32]byte
	for _, n := range []int{100, 450} {
		row := make([]byte, n)
		b.Run(fmt.Sprintf("C/%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for i := 0; i < b.N; i++ {
				MarkRow(&key, row)
			}
		})
		b.Run(fmt.Sprintf("Go/%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for i := 0; i < b.N; i++ {
				h, _ := blake2b.New(16, key[:])
				h.Write(row)
				h.Sum(nil)
			}
		})
	}
}
