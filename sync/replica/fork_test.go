package replica

import (
	"context"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// TestForkedChainIsRefusedInAnyOrder (session 15 review H1): a member's
// modified software signs two different events for one place of her
// device's chain and hands one branch to each physician first. Whatever
// the order they arrive in — together, one after the other, the branch's
// next event before or after the fork is seen, and with the workstation
// restarted in between — every workstation that has seen both refuses the
// device's chain from the fork, and they end alike: the patient either
// branch wrote exists on neither.
func TestForkedChainIsRefusedInAnyOrder(t *testing.T) {
	ctx := context.Background()
	// A clinic whose receptionist forks her chain after one patient.
	type fork struct {
		c                  *clinic
		before, a, b, next *crypto.Envelope
		patient            string
		at                 uint64
	}
	forkIn := func(t *testing.T) fork {
		c := newClinic(t)
		r := c.sRecep
		f := fork{c: c, patient: crypto.NewEventID()}
		f.before = r.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk",
			Fields: fields(t, map[string]any{"family": "Before"})})
		at := forged{Device: r.r.p.Device, Seq: r.r.mySeq + 1, Prev: r.r.myHash, Entity: f.patient, Kind: "patient", Scope: "frontdesk"}
		a, b := at, at
		a.Fields = fields(t, map[string]any{"family": "Alpha", "phone": "111"})
		b.Fields = fields(t, map[string]any{"family": "Beta", "phone": "222"})
		f.a, f.b, f.at = r.forge(a), r.forge(b), at.Seq
		next := at
		next.Seq, next.Prev = at.Seq+1, f.a.Hash()
		next.Fields = fields(t, map[string]any{"phone": "333"})
		f.next = r.forge(next)
		c.sPhys.apply(raws(f.before)...)
		c.sPh2.apply(raws(f.before)...)
		return f
	}
	reopen := func(s *station) {
		t.Helper()
		again, err := Open(ctx, s.r.p)
		if err != nil {
			t.Fatal(err)
		}
		s.r = again
	}
	for _, tc := range []struct {
		name string
		run  func(s *station, f fork)
	}{
		{"both in one Apply, A first", func(s *station, f fork) { s.apply(raws(f.a, f.b)...) }},
		{"both in one Apply, B first", func(s *station, f fork) { s.apply(raws(f.b, f.a)...) }},
		{"A, then B", func(s *station, f fork) { s.apply(raws(f.a)...); s.apply(raws(f.b)...) }},
		{"B, then A", func(s *station, f fork) { s.apply(raws(f.b)...); s.apply(raws(f.a)...) }},
		{"A and its next, then B", func(s *station, f fork) { s.apply(raws(f.a, f.next)...); s.apply(raws(f.b)...) }},
		{"A, B, then A's next after a restart", func(s *station, f fork) {
			s.apply(raws(f.a)...)
			s.apply(raws(f.b)...)
			reopen(s)
			s.apply(raws(f.next)...)
		}},
		{"B, then A's next (waiting), then A", func(s *station, f fork) {
			s.apply(raws(f.b)...)
			s.apply(raws(f.next)...)
			s.apply(raws(f.a)...)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := forkIn(t)
			s := f.c.sPhys
			tc.run(s, f)
			if st, why := s.state(f.before.Header.ID); st != store.Applied {
				t.Errorf("what the device wrote before the fork is %v (%s), want applied", st, why)
			}
			if _, _, err := s.r.Entity(ctx, f.patient); err == nil {
				t.Errorf("the patient a forked branch wrote exists")
			}
			for _, e := range []*crypto.Envelope{f.a, f.b, f.next} {
				if st, why := s.state(e.Header.ID); st == store.Applied || st == store.Sealed {
					t.Errorf("event %d of the forked chain is %v (%s)", e.Header.Seq, st, why)
				}
			}
			if n, ok := s.r.forkedAt(f.a.Header.Device); !ok || n != f.at {
				t.Errorf("the fork is recorded at %d (%v), want %d", n, ok, f.at)
			}
		})
	}

	// Two workstations, one branch each first, then everything exchanged.
	f := forkIn(t)
	f.c.sPhys.apply(raws(f.a, f.next)...)
	f.c.sPh2.apply(raws(f.b)...)
	exchange(t, f.c.sPhys, f.c.sPh2)
	f.c.sPh2.apply(raws(f.a, f.next)...)
	f.c.sPhys.apply(raws(f.b)...)
	if d := f.c.sPhys.snapshot().diff(f.c.sPh2.snapshot()); d != "" {
		t.Errorf("one forked chain, two arrival orders, two clinics:\n%s", d)
	}
	if st, why := f.c.sPhys.state(f.a.Header.ID); st != store.Rejected || !strings.Contains(why, "signed two different events") {
		t.Errorf("the first branch on the workstation that applied it: %v %q", st, why)
	}
}

// TestAlteredCopyIsNoFork: bytes that do not verify at a device's place
// (a forgery, or altered in transit) give way to the genuine event and
// fork nothing.
func TestAlteredCopyIsNoFork(t *testing.T) {
	c := newClinic(t)
	r := c.sRecep
	e := r.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk",
		Fields: fields(t, map[string]any{"family": "Genuine"})})
	// Someone else's key signs an event for the receptionist's place.
	squat := c.sPh2.forge(forged{Device: e.Header.Device, Seq: e.Header.Seq, Prev: e.Header.Prev,
		Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk", Fields: fields(t, map[string]any{"family": "Squat"})})
	s := c.sPhys
	s.apply(raws(squat)...)
	s.apply(raws(e)...)
	if st, why := s.state(e.Header.ID); st != store.Applied {
		t.Errorf("the genuine event is %v (%s), want applied", st, why)
	}
	if _, ok := s.r.forkedAt(e.Header.Device); ok {
		t.Error("a squat made the receptionist's chain forked")
	}
}
