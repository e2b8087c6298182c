package replica

import (
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
// n times, each followed by ownOnly: the next in turn carries when the
// earlier ones did not.
func turnsPass(t *testing.T, n int, ss ...*station) {
	t.Helper()
	for i := 0; i < n; i++ {
		for _, s := range ss {
			was := s.r.now
			s.r.now = func() time.Time { return was().Add(carryGrace) }
		}
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
