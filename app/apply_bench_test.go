package app

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkApplyPatients measures applying patient envelopes written on
// another workstation (verify, open, merge, index, store): the work of a
// catch-up, without the network. Reports envelopes per second.
func BenchmarkApplyPatients(b *testing.B) {
	ctx := context.Background()
	c := newClinic(b)
	const n = 2000
	batch := make([]Patient, 0, n)
	for i := 0; i < n; i++ {
		batch = append(batch, Patient{Family: fmt.Sprintf("Apply%05d", i), Given: "Bench", Birth: "1970-01-01", Phone: fmt.Sprintf("555%07d", i)})
	}
	if _, err := c.recep.RegisterPatients(ctx, batch); err != nil {
		b.Fatal(err)
	}
	rr, _ := c.recep.Replica()
	heads, _ := rr.Heads(ctx)
	var raws [][]byte
	for _, h := range heads {
		if h.Device == rr.Device() {
			raws, _ = rr.EnvelopesAfter(ctx, h.Device, h.Seq-n, -1)
		}
	}
	dir := c.phys2.Profile().Dir
	c.phys2.Lock()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		copyTo := filepath.Join(b.TempDir(), "copy")
		copyDir(b, dir, copyTo)
		s, err := Login(ctx, c.env, copyTo, "", []byte(testPass))
		if err != nil {
			b.Fatal(err)
		}
		r, _ := s.Replica()
		b.StartTimer()
		rep, err := r.Apply(ctx, raws)
		if err != nil || rep.Applied != n {
			b.Fatalf("%+v %v", rep, err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "envelopes/s")
}
