package store

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkBindFresh: a catch-up's binding of new records, as its sealed
// Applies do it (issue 17): a page's bindings read (none), then each
// record bound; 5,000 a transaction in bulk, 20 transactions (100,000
// records). Reports the process's CPU a binding (getrusage: all threads,
// commits included), which the machine's load moves less than the wall.
func BenchmarkBindFresh(b *testing.B) {
	ctx := b.Context()
	var cpu time.Duration
	bound := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := openTest(b)
		b.StartTimer()
		for txn := 0; txn < 20; txn++ {
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(0, &ru0) // RUSAGE_SELF
			err := db.UpdateRefetchable(ctx, func(tx *Tx) error {
				if err := tx.Bulk(ctx); err != nil {
					return err
				}
				for p := 0; p < 5000; p += 64 {
					ids := make([]string, 0, 64)
					for j := p; j < min(p+64, 5000); j++ {
						ids = append(ids, fmt.Sprintf("%016x%016x", uint64(txn*5000+j)*0x9e3779b97f4a7c15, j))
					}
					if err := tx.ReadBindings(ctx, ids); err != nil {
						return err
					}
					for k, id := range ids {
						if err := tx.PutBinding(ctx, Binding{Entity: id, Kind: "patient", Scope: "frontdesk", Lamport: uint64(p + k + 1), Device: "d1", Seq: uint64(txn*5000 + p + k + 1)}); err != nil {
							return err
						}
					}
				}
				return nil
			})
			syscall.Getrusage(0, &ru1)
			if err != nil {
				b.Fatal(err)
			}
			cpu += time.Duration(syscall.TimevalToNsec(ru1.Utime)-syscall.TimevalToNsec(ru0.Utime)) +
				time.Duration(syscall.TimevalToNsec(ru1.Stime)-syscall.TimevalToNsec(ru0.Stime))
			bound += 5000
		}
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(bound), "process-µs/binding")
}
