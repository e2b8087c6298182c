package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/store"
)

// writeWhileOffline stops the physician's sync, has the receptionist write n
// patient records, and returns the receptionist's last envelope (device, seq).
func writeWhileOffline(t testing.TB, c *netClinic, n int) (string, uint64) {
	t.Helper()
	ctx := context.Background()
	c.syncer[c.phys].Stop()
	batch := make([]Patient, 0, 500)
	for i := 0; i < n; i++ {
		batch = append(batch, Patient{Family: fmt.Sprintf("Offline%05d", i), Given: "Kept", Birth: "1970-01-01"})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := c.recep.RegisterPatients(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	rr, _ := c.recep.Replica()
	heads, _ := rr.Heads(ctx)
	for _, h := range heads {
		if h.Device == rr.Device() {
			waitFor(t, "the receptionist's outbox to drain", 60*time.Second, func() bool {
				return c.syncer[c.recep].Status().Waiting == 0
			})
			return h.Device, h.Seq
		}
	}
	t.Fatal("no head")
	return "", 0
}

// holds reports whether s holds device's event seq, verified.
func holds(ctx context.Context, s *Session, device string, seq uint64) bool {
	r, err := s.Replica()
	if err != nil {
		return false
	}
	ok := false
	r.DB().View(ctx, func(tx *store.Tx) error {
		e, err := tx.EnvelopeAt(ctx, device, seq)
		ok = err == nil && e.State != store.Pending // applied, kept sealed or refused
		return nil
	})
	return ok
}

func TestCatchUpAfterOffline(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	dev, seq := writeWhileOffline(t, c, 1000)
	if holds(ctx, c.phys, dev, seq) {
		t.Fatal("the offline physician already holds the new events")
	}
	start := time.Now()
	c.start(t, c.phys)
	waitFor(t, "catch-up", 60*time.Second, func() bool { return holds(ctx, c.phys, dev, seq) })
	t.Logf("caught up with 1000 events in %s", time.Since(start))
	// Held may mean kept sealed until the key's grant, which the
	// receptionist's upkeep may write after the records, arrives.
	var found []Patient
	var err error
	waitFor(t, "the last patient written offline", 60*time.Second, func() bool {
		found, err = c.phys.SearchPatients(ctx, "Offline00999", 5)
		return err == nil && len(found) == 1
	})
}

// BenchmarkCatchUp10k: a workstation offline while 10,000 events were
// written catches up; reports the seconds it took.
func BenchmarkCatchUp10k(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := newNetClinic(b)
		dev, seq := writeWhileOffline(b, c, 10000)
		b.StartTimer()
		start := time.Now()
		c.start(b, c.phys)
		waitFor(b, "catch-up", 120*time.Second, func() bool { return holds(ctx, c.phys, dev, seq) })
		b.ReportMetric(time.Since(start).Seconds(), "catchup-s")
	}
}
