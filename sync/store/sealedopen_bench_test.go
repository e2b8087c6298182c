package store

import (
	"encoding/hex"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSealedThenOpened: a newcomer's catch-up as the store sees it
// (issue 17): 100,000 envelopes of 782 bytes stored sealed, 5,000 a
// transaction in bulk (the sealed Applies), then read back a page of 5,120
// at a time, newest first, and marked applied in pages of 512, 20,000 a
// transaction (the opening). Reports the process's CPU an envelope
// (getrusage: all threads, commits included) of each part.
func BenchmarkSealedThenOpened(b *testing.B) {
	ctx := b.Context()
	const total, perAdd, perOpen, page = 100_000, 5_000, 20_000, 5_120
	var add, open time.Duration
	rng := rand.NewChaCha8([32]byte{1})
	hexOfRand := func(n int) string {
		buf := make([]byte, n)
		rng.Read(buf)
		return hex.EncodeToString(buf)
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(0, &ru) // RUSAGE_SELF
		return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := openTest(b)
		b.StartTimer()
		seq := uint64(0)
		for done := 0; done < total; done += perAdd {
			t0 := cpu()
			err := db.UpdateRefetchable(ctx, func(tx *Tx) error {
				if err := tx.Bulk(ctx); err != nil {
					return err
				}
				for range perAdd {
					seq++
					raw := make([]byte, 782)
					rng.Read(raw)
					e := Envelope{ID: hexOfRand(16), Device: "d1", Seq: seq, Lamport: seq, Entity: hexOfRand(16),
						Kind: "patient", Scope: "frontdesk", Epoch: 1, Author: hexOfRand(20), Prev: hexOfRand(32),
						Hash: hexOfRand(32), Time: int64(seq), Raw: raw, State: Sealed}
					if err := tx.AddEnvelope(ctx, e); err != nil {
						return err
					}
				}
				return nil
			})
			add += cpu() - t0
			if err != nil {
				b.Fatal(err)
			}
		}
		var at Cursor
		for opened := 0; opened < total; {
			t0 := cpu()
			err := db.UpdateRefetchable(ctx, func(tx *Tx) error {
				if err := tx.Bulk(ctx); err != nil {
					return err
				}
				for n := 0; n < perOpen && opened < total; {
					rows, err := tx.Sealed(ctx, "frontdesk", 1, at, page)
					if err != nil {
						return err
					}
					ids := make([]string, len(rows))
					for j, r := range rows {
						ids[j] = r.ID
					}
					at = Of(rows[len(rows)-1])
					for len(ids) > 0 {
						k := min(512, len(ids))
						if err := tx.SetStates(ctx, ids[:k], Applied, ""); err != nil {
							return err
						}
						ids = ids[k:]
					}
					n, opened = n+len(rows), opened+len(rows)
				}
				return nil
			})
			open += cpu() - t0
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(add.Microseconds())/float64(total*b.N), "add-µs/envelope")
	b.ReportMetric(float64(open.Microseconds())/float64(total*b.N), "open-µs/envelope")
}
