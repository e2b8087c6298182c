package replica

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// benchIndex indexes a record's family and given name, as app/records
// does for a patient (a few tokens per record).
func benchIndex(kind string, st State) []Term {
	var out []Term
	for _, f := range []string{"family", "given"} {
		if v := st.String(f); v != "" {
			out = append(out, Term{Field: "name", Value: v})
		}
	}
	return out
}

// BenchmarkApply measures the apply path of a catch-up (issue 17): a
// receptionist's 5,000 patients and 5,000 appointments, and the rest of
// the clinic's chains, handed to a new workstation in Applies of 5,000
// envelopes, as netsync does. "key first": it holds the front-desk key
// before; "key last": the key is granted by the receptionist at the end
// of her chain, as for a newcomer (everything is kept sealed, then opened).
//
// The newcomer is a real one: admitted by the founder, her entry naming
// her bound devices (the one that published her key and the one catching
// up), and met in person by the receptionist before the grant. A front-desk
// key is taken only from a colleague reached by confirmations
// (keysource.go): granted by a stranger it waits aside and nothing opens.
func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	c := newClinic(b)
	newcomer := newPerson(b, "Nia Newcomer", roles.Receptionist)
	key := joinOn(b, newcomer, c.id, newcomer.bound(), c.admin.fp()) // her public key, on a device of hers
	catchUp := newcomer.bound()                                      // the workstation that catches up, fresh each time
	c.sAdmin.apply(key.own()...)
	c.sAdmin.append(Change{Entity: newcomer.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(b, map[string]any{"name": newcomer.name, "role": newcomer.role, "status": StatusActive,
			"devices": []string{key.r.Device(), catchUp}})})
	c.sAdmin.grant(roles.Directory, newcomer)
	exchange(b, c.sAdmin, c.sRecep, key)
	confirmEachOther(b, c.sRecep, key) // the front-desk key goes only to a colleague met in person
	const patients = 5000
	for i := 0; i < patients; i += 1000 {
		batch := c.sRecep.r.Batch()
		for j := i; j < i+1000; j++ {
			p := crypto.NewEventID()
			batch.Append(Change{Entity: p, Kind: "patient", Scope: roles.FrontDesk,
				Fields: fields(b, map[string]any{"family": fmt.Sprintf("Family%d", j%40), "given": fmt.Sprintf("Given%d", j%37), "birth": "1970-01-01"})})
			batch.Append(Change{Entity: crypto.NewEventID(), Kind: "appointment", Scope: roles.FrontDesk,
				Fields: fields(b, map[string]any{"patient": p, "start": "2026-12-03T09:00:00Z", "minutes": 15, "status": "booked"})})
		}
		if _, err := batch.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	c.sRecep.apply(key.own()...)
	c.sRecep.grant(roles.FrontDesk, newcomer)
	var all [][]byte
	for _, s := range []*station{c.sAdmin, key, c.sPhys, c.sPh2, c.sRecep} {
		all = append(all, s.own()...)
	}
	for _, keyFirst := range []bool{true, false} {
		name := "key last"
		if keyFirst {
			name = "key first"
		}
		b.Run(name, func(b *testing.B) {
			var took, cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				s := openOn(b, newcomer, c.id, catchUp, c.admin.fp())
				s.r.p.Index = benchIndex
				s.holdKeys(c.sAdmin, roles.Directory)
				if keyFirst {
					s.holdKeys(c.sRecep, roles.FrontDesk)
				}
				b.StartTimer()
				start, cpu0 := time.Now(), cpuTime()
				for i := 0; i < len(all); i += 5000 {
					if _, err := s.r.Apply(ctx, all[i:min(i+5000, len(all))]); err != nil {
						b.Fatal(err)
					}
				}
				took, cpu = took+time.Since(start), cpu+cpuTime()-cpu0
				b.StopTimer()
				var counts map[store.EnvelopeState]int
				if err := s.db.View(ctx, func(tx *store.Tx) error {
					var err error
					counts, err = tx.CountEnvelopes(ctx)
					return err
				}); err != nil || counts[store.Pending] > 0 || counts[store.Sealed] > 0 || counts[store.Applied] < 2*patients {
					b.Fatalf("after the catch-up: %v %v", counts, err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(len(all))*float64(b.N)/took.Seconds(), "envelopes/s")
			// CPU time (every core) per envelope: what a shared machine's
			// load does not change much.
			b.ReportMetric(float64(cpu.Microseconds())/float64(len(all)*b.N), "cpu-µs/envelope")
		})
	}
}

// cpuTime is the CPU time this process used so far, on every core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
