package store

import (
	"context"
	"crypto/aes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"
)

// BenchmarkSealIndexScan reads a 100,000-record index whole, as the seal's
// check does (sync/replica/storeseal.go): every posting marked with AES.
func BenchmarkSealIndexScan(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	const records, perRecord = 100000, 15
	start := time.Now()
	for page := 0; page < records; page += 5000 {
		by := map[string][][]byte{}
		for i := page; i < page+5000; i++ {
			var ts [][]byte
			for j := 0; j < perRecord; j++ {
				t := make([]byte, 16)
				binary.BigEndian.PutUint64(t, uint64(i*7919+j*104729)%uint64(records*3))
				t[8] = byte(j)
				ts = append(ts, t)
			}
			by[fmt.Sprintf("%032x", i)] = ts
		}
		if err := db.UpdateRefetchable(ctx, func(tx *Tx) error { return tx.SetIndexes(ctx, by) }); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built in %v", time.Since(start))
	block, _ := aes.NewCipher(make([]byte, 32))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var x [16]byte
		n := 0
		err := db.View(ctx, func(tx *Tx) error {
			return tx.EachPosting(ctx, func(t, e int64) {
				var in, out [16]byte
				binary.BigEndian.PutUint64(in[:8], uint64(t))
				binary.BigEndian.PutUint64(in[8:], uint64(e))
				block.Encrypt(out[:], in[:])
				for k := range out {
					x[k] ^= out[k]
				}
				n++
			})
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "postings")
	}
}
