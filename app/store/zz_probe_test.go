package store

import (
	"testing"
	"time"
)

func BenchmarkZZProbe(b *testing.B) {
	ctx := b.Context()
	db, err := Open(ctx, benchDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	qs := [][]string{{"sur:t", "year:1949", "giv:b"}, {"sur:p", "year:2004", "giv:d"}, {"year:1949"}, {"sur:p"}, {"giv:b", "year:1949"}}
	for _, q := range qs {
		var cnt, walk, full time.Duration
		for range 7 {
			db.View(ctx, func(tx *Tx) error {
				s := time.Now()
				list, _ := tx.rarestFirst(ctx, toks(q...))
				d1 := time.Since(s)
				s = time.Now()
				tx.Lookup(ctx, list[:1], 0)
				d2 := time.Since(s)
				s = time.Now()
				tx.Lookup(ctx, toks(q...), 50)
				d3 := time.Since(s)
				if cnt == 0 || d1 < cnt {
					cnt = d1
				}
				if walk == 0 || d2 < walk {
					walk = d2
				}
				if full == 0 || d3 < full {
					full = d3
				}
				return nil
			})
		}
		b.Log(q, "count", cnt, "scan-first-all", walk, "full", full)
	}
}
