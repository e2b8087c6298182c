package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// TestSealRowsCostInterleaved measures the rows' seal on a catch-up's
// store path as TestSealRowsCost does, but a sealed store and a bare one
// (and one whose sealer withholds its key: the triggers fire, seal_row
// folds nothing) are written page by page in turn (pages of 1,000 envelopes, each with
// its record, then applied) on one locked OS thread, whose own CPU time
// is counted: the load of a shared machine falls on both alike, and the
// collector's workers are not counted (MEDIHAVEN_MEASURE=1;
// MEDIHAVEN_MEASURE_N envelopes a store, 10,000).
func TestSealRowsCostInterleaved(t *testing.T) {
	if os.Getenv("MEDIHAVEN_MEASURE") == "" {
		t.Skip("a measurement: MEDIHAVEN_MEASURE=1")
	}
	n := 10000
	if v := os.Getenv("MEDIHAVEN_MEASURE_N"); v != "" {
		fmt.Sscan(v, &n)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx := context.Background()
	sealed, bare, triggers := openTest(t), openTest(t), openTest(t)
	sealed.SetSealer(newRowSealer())
	triggers.SetSealer(keyless{newRowSealer()})
	dbs := []*DB{sealed, bare, triggers}
	var cpu [3]time.Duration
	rngs := []*rand.ChaCha8{rand.NewChaCha8([32]byte{}), rand.NewChaCha8([32]byte{}), rand.NewChaCha8([32]byte{})}
	const pageSize = 1000
	for page := 0; page < n; page += pageSize {
		for k, db := range dbs {
			rng := rngs[k]
			var es []Entity
			var envs []Envelope
			for i := page; i < min(page+pageSize, n); i++ {
				e := benchEnvelope(rng, fmt.Sprintf("d%d", i%20), uint64(i/20+1))
				e.Raw = e.Raw[:1100]
				e.Entity = fmt.Sprintf("%032x", i)
				envs = append(envs, e)
				es = append(es, Entity{ID: e.Entity, Kind: "patient", Scope: "frontdesk", State: e.Raw[:400], Lamport: e.Lamport, Updated: e.Time})
			}
			c0 := threadCPU()
			err := db.UpdateRefetchable(ctx, func(tx *Tx) error {
				ids := make([]string, 0, len(envs))
				for _, e := range envs {
					if err := tx.AddEnvelope(ctx, e); err != nil {
						return err
					}
					ids = append(ids, e.ID)
				}
				if err := tx.PutEntities(ctx, es); err != nil {
					return err
				}
				return tx.SetStates(ctx, ids, Applied, "")
			})
			cpu[k] += threadCPU() - c0
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 / float64(n) }
	t.Logf("%d envelopes, this thread's CPU an envelope: sealed %.1f µs, bare %.1f µs: the seal +%.1f µs (its triggers firing, the key withheld: %.1f µs, +%.1f µs)",
		n, us(cpu[0]), us(cpu[1]), us(cpu[0]-cpu[1]), us(cpu[2]), us(cpu[2]-cpu[1]))
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(1, &u) // RUSAGE_THREAD
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
