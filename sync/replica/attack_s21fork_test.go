package replica

import (
	"context"
	"errors"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS21ForkSplitsTheClinic: Attack (session 15 review h-sec15c
// H1, open until session 21): the receptionist's modified software signs
// two different events for one place of her chain (here: two copies of her
// profile, each writing on), and answers one physician with one branch,
// the other with the other. The administrator's workstation heard both
// (she announced both heads while it was on). Honest workstations then
// hand on only their own chains, as the sync does (F4: only her account
// announces and re-sends hers). Every honest workstation must end in the
// same state, whatever branch it got first: her events of the device from
// the fork's place on are set aside on both branches, her earlier ones
// stand.
func TestAttackS21ForkSplitsTheClinic(t *testing.T) {
	for _, adminFirst := range []string{"A", "B"} {
		t.Run("administrator hears branch "+adminFirst+" first", func(t *testing.T) {
			c := newClinic(t)
			before := c.sRecep.writesEnv(t) // stands: written before the fork
			exchange(t, c.stations()...)
			twin := restoredCopy(t, c.sRecep, false)
			a1, a2 := c.sRecep.writesEnv(t), c.sRecep.writesEnv(t)
			b1, b2 := twin.writesEnv(t), twin.writesEnv(t)
			if a1.Header.Seq != b1.Header.Seq || a1.Hash() == b1.Hash() {
				t.Fatalf("no fork: seq %d and %d", a1.Header.Seq, b1.Header.Seq)
			}
			c.sPhys.apply(raws(a1, a2)...)
			c.sPh2.apply(raws(b1, b2)...)
			if adminFirst == "A" {
				c.sAdmin.apply(raws(a1, a2)...)
				c.sAdmin.apply(raws(b1, b2)...)
			} else {
				c.sAdmin.apply(raws(b1, b2)...)
				c.sAdmin.apply(raws(a1, a2)...)
			}
			honest := []*station{c.sAdmin, c.sPhys, c.sPh2}
			for round := 0; round < 4; round++ {
				for _, dst := range honest {
					for _, src := range honest {
						if src != dst {
							dst.apply(src.own()...)
						}
					}
				}
			}
			// Her two copies hear of the fork from the administrator's
			// chain: they set aside what they wrote, as the others do,
			// and write no more there.
			for _, s := range []*station{c.sRecep, twin} {
				s.apply(c.sAdmin.own()...)
				if d := c.sPhys.snapshot().diff(s.snapshot()); d != "" {
					t.Errorf("Paul's workstation and a copy of the receptionist's disagree:\n%s", d)
				}
				if _, err := s.r.Append(context.Background(), Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
					Fields: fields(t, map[string]any{"family": "F"})}); !errors.Is(err, ErrForked) {
					t.Errorf("a forked copy writes on: %v", err)
				}
			}
			// The physicians hold the front desk's key (the administrator
			// keeps its events sealed).
			if d := c.sPhys.snapshot().diff(c.sPh2.snapshot()); d != "" {
				t.Errorf("the physicians' workstations disagree:\n%s", d)
			}
			for _, s := range honest {
				if fs := s.r.Forks(); len(fs) != 1 || fs[0] != (Fork{Device: a1.Header.Device, Author: c.recep.fp(), Seq: a1.Header.Seq}) {
					t.Errorf("%s: forks %+v, want her device from seq %d", s.p.name, fs, a1.Header.Seq)
				}
				if st, reason := s.state(before.Header.ID); st != store.Applied && st != store.Sealed {
					t.Errorf("%s: her event before the fork is %v (%s), want it kept", s.p.name, st, reason)
				}
				for _, e := range []*crypto.Envelope{a1, a2, b1, b2} {
					if st, _ := s.stateOf(e); st == store.Applied || st == store.Sealed {
						t.Errorf("%s: her forked event %d (%s) stands", s.p.name, e.Header.Seq, short(e.Hash()))
					}
				}
			}
		})
	}
}
