package app

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/sync/replica"
)

// BenchmarkPropagation measures how long a booking made at the front desk
// takes to reach the physician's workstation (applied, in the calendar's
// index) through real Kubo and Prosody on loopback: p50 and p99 over b.N
// bookings. Run with -benchtime 200x for the figure in the issue.
func BenchmarkPropagation(b *testing.B) {
	ctx := context.Background()
	c := newNetClinic(b)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Bench", Given: "Mark", Birth: "1980-01-01"})
	if err != nil {
		b.Fatal(err)
	}
	arrived := make(chan string, 1024)
	c.phys.OnChange(func(cs []replica.Changed) {
		for _, ch := range cs {
			if ch.Kind == records.KindAppointment {
				arrived <- ch.ID
			}
		}
	})
	waitFor(b, "patient at the physician", 20*time.Second, func() bool { _, err := c.phys.Patient(ctx, p.ID); return err == nil })
	day := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		a, err := book(ctx, c.recep, Appointment{Patient: p.ID, Physician: c.phys.Fingerprint(), Start: day.Add(time.Duration(i) * 15 * time.Minute), Minutes: 15})
		if err != nil {
			b.Fatal(err)
		}
		timeout := time.After(10 * time.Second)
	wait:
		for {
			select {
			case id := <-arrived:
				if id == a.ID {
					break wait
				}
			case <-timeout:
				b.Fatalf("booking %d did not arrive", i)
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
}
