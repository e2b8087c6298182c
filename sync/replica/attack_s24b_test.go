package replica

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// forkSeenAbout counts the fork-seen events of s's own chain that carry
// an envelope of device.
func forkSeenAbout(s *station, device string) int {
	n := 0
	for _, raw := range s.own() {
		if env, err := crypto.ParseEnvelope(raw); err == nil && env.Header.Kind == KindForkSeen && env.Header.Entity == ForkEntity(device) {
			n++
		}
	}
	return n
}

// turnsPass moves the stations' clocks on by a carrier's turn (carryGrace)
// n times, each followed by their upkeep's witnesses and ownOnly: the next
// in turn carries when the earlier ones did not carry to everyone.
func turnsPass(t *testing.T, n int, ss ...*station) {
	t.Helper()
	for i := 0; i < n; i++ {
		for _, s := range ss {
			was := s.r.now
			s.r.now = func() time.Time { return was().Add(carryGrace) }
		}
		witnessAll(t, ss...)
		ownOnly(t, ss...)
	}
}

// turnComes moves s's clock past any carrier's turn in a small clinic and
// has it apply nothing: it carries what stands there, unless carried to
// everyone already.
func turnComes(s *station) {
	was := s.r.now
	s.r.now = func() time.Time { return was().Add(8 * carryGrace) }
	s.apply()
}

// TestAttackS24bCarryingAmplifies (h-d4carry24; the lead's review of
// session 23's carry.go, LOW): the receptionist forks her chain after the
// clinic witnessed a branch of three events; one physician holds the
// other. Every honest workstation on which the branch stands wrote it
// into its own chain as fork-seen events (the physician who took it too),
// and every other fetches each copy: five workstations, five copies of
// her branch (15 envelopes, and up to 2,048 a device she forks). One
// carrier suffices: the workstations on which the branch stands carry it
// in turn (a rank drawn from the votes), and one skips a run another
// chain carried once every holder of another branch witnessed that chain
// past it. Written across the clinic: the administrator's two events of
// evidence and one copy of the run.
func TestAttackS24bCarryingAmplifies(t *testing.T) {
	c := newClinic(t)
	_, quinn := c.admitted(t, "Quinn Physician", roles.Physician)
	_, sam := c.admitted(t, "Sam Physician", roles.Physician)
	honest := []*station{c.sAdmin, c.sPhys, c.sPh2, quinn, sam}
	exchange(t, append(honest, c.sRecep)...)
	twin := restoredCopy(t, c.sRecep, false)
	a1, a2, a3 := c.sRecep.writesEnv(t), c.sRecep.writesEnv(t), c.sRecep.writesEnv(t)
	b1 := twin.writesEnv(t)
	if a1.Header.Seq != b1.Header.Seq || a1.Hash() == b1.Hash() {
		t.Fatalf("no fork: seq %d and %d", a1.Header.Seq, b1.Header.Seq)
	}
	for _, s := range []*station{c.sAdmin, c.sPhys, quinn, sam} {
		s.apply(raws(a1, a2, a3)...)
	}
	c.sPh2.apply(raws(b1)...)
	c.sAdmin.apply(raws(b1)...) // it met both: the fork's evidence
	witnessAll(t, honest...)
	ownOnly(t, honest...)
	witnessAll(t, honest...) // the next upkeep: each pins the chains that moved
	ownOnly(t, honest...)
	for _, s := range honest {
		for _, e := range []*crypto.Envelope{a1, a2, a3, b1} {
			st, why := s.stateOf(e)
			if stands := st == store.Applied || st == store.Sealed; stands != (e != b1) {
				t.Errorf("%s: her event %d (%s) is %v (%s); want the majority's branch to stand, the other not",
					s.p.name, e.Header.Seq, short(e.Hash()), st, why)
			}
		}
	}
	if d := c.sPhys.snapshot().diff(c.sPh2.snapshot()); d != "" {
		t.Errorf("the physicians' workstations disagree:\n%s", d)
	}
	total, by := 0, []int{}
	for _, s := range honest {
		n := forkSeenAbout(s, c.sRecep.r.Device())
		total += n
		by = append(by, n)
	}
	if total > 2+3 {
		t.Errorf("fork-seen events about her device written across %d workstations: %d (Ada, Paul, Pia, Quinn, Sam: %v); "+
			"want at most 5 (two of evidence, one copy of her branch)", len(honest), total, by)
	}
	if slices.Max(by) == 0 {
		t.Errorf("nobody carried")
	}
}

// TestAttackS24bCarrierKeepsHerChainFromTheHolder: a hostile colleague
// carries the standing branch herself, first, and keeps her chain from
// the physician who holds the other branch: were one carrier's run
// believed as it stands, every honest workstation would leave the branch
// to her, and the physician would keep neither branch for good. The
// honest ones believe a run carried elsewhere only once every active
// member pinned that chain past it (or holds the branch): the first honest
// one in turn carries, and the physician takes it.
func TestAttackS24bCarrierKeepsHerChainFromTheHolder(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	_, mal := c.admitted(t, "Mallory Physician", roles.Physician)
	exchange(t, append(c.stations(), mal)...)
	twin := restoredCopy(t, c.sRecep, false)
	a1, a2 := c.sRecep.writesEnv(t), c.sRecep.writesEnv(t)
	b1, b2 := twin.writesEnv(t), twin.writesEnv(t)
	for _, s := range []*station{c.sAdmin, c.sPhys, mal} {
		s.apply(raws(a1, a2)...)
	}
	c.sPh2.apply(raws(b1, b2)...)
	c.sAdmin.apply(raws(b1, b2)...) // the fork's evidence
	honest := []*station{c.sAdmin, c.sPhys, c.sPh2}
	witnessAll(t, append(honest, mal)...)
	mal.apply(c.sAdmin.own()...) // the proof
	batch := mal.r.Batch()
	for _, e := range []*crypto.Envelope{a1, a2} {
		raw := e.Raw
		batch.add(KindForkSeen, ScopePublic, 0, ForkEntity(e.Header.Device), func(h crypto.Header) (*crypto.Envelope, error) {
			return crypto.SealRaw(h, raw, mal.r.p.Identity)
		})
	}
	if _, err := batch.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Her chain, with its run, reaches the administrator and Paul with
	// the votes that make the branch stand there; never Pia.
	c.sAdmin.apply(append(mal.own(), c.sPhys.own()...)...)
	c.sPhys.apply(append(mal.own(), c.sAdmin.own()...)...)
	ownOnly(t, honest...)
	witnessAll(t, honest...)
	ownOnly(t, honest...)
	turnsPass(t, 4, honest...)
	for _, s := range honest {
		for _, e := range []*crypto.Envelope{a1, a2, b1, b2} {
			st, why := s.stateOf(e)
			if stands := st == store.Applied || st == store.Sealed; stands != (e == a1 || e == a2) {
				t.Errorf("%s: her event %d (%s) is %v (%s); want the majority's branch to stand, the other not",
					s.p.name, e.Header.Seq, short(e.Hash()), st, why)
			}
		}
	}
	c.sPh2.apply(mal.own()...) // (her chain's own events, for the comparison)
	for _, s := range append(honest, mal) {
		t.Logf("%s: %d fork-seen events about her device", s.p.name, forkSeenAbout(s, c.sRecep.r.Device()))
	}
	ownOnly(t, honest...)
	if d := c.sPhys.snapshot().diff(c.sPh2.snapshot()); d != "" {
		t.Errorf("the physicians' workstations disagree:\n%s", d)
	}
}

// TestAttackS24bBoundPerForker: the bound on what a workstation carries
// is per forker, all her devices together (maxCarryAuthor), no longer per
// device she forked: a workstation that carried that many envelopes of
// her chains carries no more of them.
func TestAttackS24bBoundPerForker(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	honest := []*station{c.sAdmin, c.sPhys, c.sPh2}
	for _, s := range honest {
		// Her other devices' branches, carried here before (as though).
		if err := s.db.Update(ctx, func(tx *store.Tx) error {
			return tx.SetMeta(ctx, metaCarriedBy+c.recep.fp(), mustJSON(maxCarryAuthor-1))
		}); err != nil {
			t.Fatal(err)
		}
	}
	twin := restoredCopy(t, c.sRecep, false)
	a1, a2 := c.sRecep.writesEnv(t), c.sRecep.writesEnv(t)
	b1 := twin.writesEnv(t)
	c.sAdmin.apply(raws(a1, a2)...)
	c.sPhys.apply(raws(a1, a2)...)
	c.sPh2.apply(raws(b1)...)
	c.sAdmin.apply(raws(b1)...)
	witnessAll(t, honest...)
	ownOnly(t, honest...)
	turnsPass(t, 4, honest...)
	for _, s := range honest {
		want := 0
		if s == c.sAdmin {
			want = 2 // the evidence
		}
		if n := forkSeenAbout(s, c.sRecep.r.Device()); n != want {
			t.Errorf("%s wrote %d fork-seen events about her device; want %d (her bound reached)", s.p.name, n, want)
		}
	}
}

// TestS24bCarriedAgainAfterACrash: a carried branch and its mark are
// written in two transactions; a crash between them (the mark lost, the
// replica opened again) carried the branch once more. The carrier now
// finds the run in its own chain and writes the mark only.
func TestS24bCarriedAgainAfterACrash(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	exchange(t, c.stations()...)
	twin := restoredCopy(t, c.sRecep, false)
	a1, a2 := c.sRecep.writesEnv(t), c.sRecep.writesEnv(t)
	b1 := twin.writesEnv(t)
	c.sPhys.apply(raws(a1, a2)...)
	c.sPh2.apply(raws(b1)...)
	c.sAdmin.apply(raws(a1, a2)...)
	c.sAdmin.apply(raws(b1)...)
	honest := []*station{c.sAdmin, c.sPhys, c.sPh2}
	witnessAll(t, honest...)
	ownOnly(t, honest...)
	dev := c.sRecep.r.Device()
	for _, s := range honest {
		n := forkSeenAbout(s, dev)
		if s == c.sAdmin {
			n -= 2 // the evidence
		}
		if n == 0 {
			continue
		}
		// The crash: the mark lost, the replica's memory gone.
		if err := s.db.Update(ctx, func(tx *store.Tx) error {
			return tx.SetMeta(ctx, carriedKey(forkKey{dev, c.recep.fp()}), mustJSON([]string{}))
		}); err != nil {
			t.Fatal(err)
		}
		s.r.carried, s.r.carrySince, s.r.carryAt = nil, nil, nil
		before := forkSeenAbout(s, dev)
		turnComes(s)
		turnComes(s)
		if after := forkSeenAbout(s, dev); after != before {
			t.Errorf("%s carried the branch again after the crash: %d fork-seen events, then %d", s.p.name, before, after)
		}
		return
	}
	t.Fatal("nobody carried")
}
