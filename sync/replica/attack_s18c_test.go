package replica

import (
	"fmt"
	"slices"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// badRunOf writes n patients into s's own chain, every one but the last
// (and, when every is not 0, every every-th) signed badly: the events
// after each name its bad bytes as Prev, as a member's modified software
// would, so only the good signatures vouch for the run (chainsig.go).
func badRunOf(t *testing.T, s *station, n, every int) []*crypto.Envelope {
	t.Helper()
	var out []*crypto.Envelope
	for i := 1; i <= n; i++ {
		env := s.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk", Fields: fields(t, map[string]any{"family": "Run"})})
		if i < n && (every == 0 || i%every != 0) {
			env = signBadly(t, s, env)
		}
		out = append(out, env)
	}
	return out
}

// askAgainInPacks is the walk asking again for what is missing: its
// device sends a pack from the first missing event on (netsync missing,
// askAgain), at most pack of them, until nothing new comes.
func askAgainInPacks(s *station, run []*crypto.Envelope, pack int) {
	for range len(run) {
		first := -1
		for i, e := range run {
			if st, _ := s.stateOf(e); st == -1 {
				first = i
				break
			}
		}
		if first < 0 {
			return
		}
		if rep := s.apply(raws(run[first:min(first+pack, len(run))]...)...); rep.New == 0 {
			return
		}
	}
}

// inPacks applies run in packs of n, oldest first or newest first.
func inPacks(s *station, run []*crypto.Envelope, n int, newestFirst bool) {
	var packs [][]*crypto.Envelope
	for i := 0; i < len(run); i += n {
		packs = append(packs, run[i:min(i+n, len(run))])
	}
	if newestFirst {
		slices.Reverse(packs)
	}
	for _, p := range packs {
		s.apply(raws(p...)...)
	}
}

// TestAttackS18cVouchDepthOrders: a member's modified software signs a
// run of events badly, longer than maxVouchDepth, then one well (or one
// well in 40). Every workstation must apply the same events as a
// newcomer that gets the run in one batch, whatever packs it gets it in
// (the walk applies a segment oldest first in packs, a pack of a later
// segment comes before older ones, the upper part may come first) and
// however often it asks again. Before the fix the newcomer applied the
// whole run and the others none of it: the bound applied only to the
// stored events a check followed. (Packs are scaled down: netsync packs
// hold up to 4 MiB, so a real attack needs a run longer than that.)
func TestAttackS18cVouchDepthOrders(t *testing.T) {
	for _, every := range []int{0, 40} {
		c := newClinic(t)
		run := badRunOf(t, c.sRecep, 2*maxVouchDepth+10, every)
		fresh := open(t, newPerson(t, "Fay Fresh", roles.Physician), c.id)
		fresh.holdKeys(c.sPh2, roles.Directory, roles.FrontDesk, roles.Clinical)
		fresh.apply(c.sAdmin.everything()...)
		again := maxVouchDepth + 8
		orders := []struct {
			name string
			s    *station
			do   func(s *station)
		}{
			{"one batch", c.sAdmin, func(s *station) { s.apply(raws(run...)...) }},
			{"packs oldest first, then asked again", c.sPhys, func(s *station) {
				inPacks(s, run, 16, false)
				askAgainInPacks(s, run, again)
			}},
			{"packs newest first, then asked again", c.sPh2, func(s *station) {
				inPacks(s, run, 16, true)
				askAgainInPacks(s, run, again)
			}},
			{"all but the first, then the first", fresh, func(s *station) {
				s.apply(raws(run[1:]...)...)
				s.apply(run[0].Raw)
				askAgainInPacks(s, run, again)
			}},
		}
		var want []bool
		for _, o := range orders {
			t.Run(fmt.Sprintf("good every %d, %s", every, o.name), func(t *testing.T) {
				o.do(o.s)
				var got []bool
				for _, e := range run {
					st, _ := o.s.stateOf(e)
					got = append(got, st == store.Applied || st == store.Sealed)
				}
				if want == nil {
					// Only within maxVouchDepth below a good signature is
					// an event vouched for: with one good one at the
					// top, the first ones are not, and nothing after
					// them applies; with one in 40, everything.
					for i := range run {
						if got[i] != (every != 0) {
							t.Errorf("event %d of %d with one batch: applied %v, want %v", i+1, len(run), got[i], every != 0)
						}
					}
					want = got
					return
				}
				for i := range run {
					if got[i] != want[i] {
						t.Errorf("event %d of %d: applied %v, with one batch %v", i+1, len(run), got[i], want[i])
					}
				}
			})
		}
	}
}
