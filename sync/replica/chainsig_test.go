package replica

import (
	"bytes"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// chainOf writes n patients into s's own chain and returns their envelopes;
// bad (1-based, 0: none) is signed badly (signBadly).
func chainOf(t *testing.T, s *station, n, bad int) []*crypto.Envelope {
	t.Helper()
	var out []*crypto.Envelope
	for i := 1; i <= n; i++ {
		env := s.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk", Fields: fields(t, map[string]any{"family": "Chain"})})
		if i == bad {
			env = signBadly(t, s, env)
		}
		out = append(out, env)
	}
	return out
}

// signBadly breaks the signature of env, the last event s forged in its
// own chain, and makes the events s forges next name the bad bytes as
// their Prev, as a member's modified software would.
func signBadly(t *testing.T, s *station, env *crypto.Envelope) *crypto.Envelope {
	t.Helper()
	raw := bytes.Clone(env.Raw)
	raw[len(raw)-5] ^= 0x01
	bad, err := crypto.ParseEnvelope(raw)
	if err != nil {
		t.Fatal(err)
	}
	s.r.myHash = bad.Hash()
	return bad
}

// TestVouchBatch: one signature check a run; an altered envelope, a fork,
// another author or an unknown key breaks the run and is judged on its own.
func TestVouchBatch(t *testing.T) {
	c := newClinic(t)
	s := c.sRecep
	keys := map[string]*crypto.PublicKey{c.recep.fp(): c.recep.id.Public()}
	altered := func(e *crypto.Envelope) *crypto.Envelope {
		raw := bytes.Clone(e.Raw)
		raw[len(raw)-40] ^= 0x01
		a, err := crypto.ParseEnvelope(raw)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tt := range []struct {
		name    string
		batch   func() []*crypto.Envelope
		bad     []int // indexes whose err is not nil
		checked []int // indexes checked (nil: all)
	}{
		{"honest run", func() []*crypto.Envelope { return chainOf(t, s, 6, 0) }, nil, nil},
		{"badly signed, vouched for by the next", func() []*crypto.Envelope { return chainOf(t, s, 6, 3) }, nil, nil},
		{"badly signed head", func() []*crypto.Envelope { return chainOf(t, s, 4, 4) }, []int{3}, nil},
		{"altered in the middle", func() []*crypto.Envelope {
			e := chainOf(t, s, 5, 0)
			e[2] = altered(e[2])
			return e
		}, []int{2}, nil},
		{"altered head, the rest checked one by one", func() []*crypto.Envelope {
			e := chainOf(t, s, 4, 0)
			e[3] = altered(e[3])
			return e
		}, []int{3}, nil},
		{"two in one place", func() []*crypto.Envelope {
			e := chainOf(t, s, 3, 0)
			return append(e, altered(e[1]))
		}, []int{3}, nil},
		{"another author's envelope named by the next", func() []*crypto.Envelope {
			e := chainOf(t, s, 3, 0)
			a, err := crypto.ParseEnvelope(claimAuthor(t, e[1], c.admin.fp()))
			if err != nil {
				t.Fatal(err)
			}
			e[1] = a
			return e
		}, nil, []int{0, 2}},
		{"nil entries skipped", func() []*crypto.Envelope { return append(chainOf(t, s, 2, 0), nil) }, nil, []int{0, 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			batch := tt.batch()
			v := vouchBatch(batch, keys)
			for i := range batch {
				wantBad := contains(tt.bad, i)
				if (v.err[i] != nil) != wantBad {
					t.Errorf("envelope %d: err %v, want bad %v", i, v.err[i], wantBad)
				}
				if wantChecked := tt.checked == nil && batch[i] != nil || contains(tt.checked, i); v.checked[i] != wantChecked {
					t.Errorf("envelope %d: checked %v, want %v", i, v.checked[i], wantChecked)
				}
			}
		})
	}
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// TestVouchedByTheNextEvent: an event its author signed badly and then
// vouched for by signing the next one (naming its hash) is kept on every
// workstation, whatever order its chain arrives in: in one batch, one by
// one forwards or backwards, or the bad one first alone (not kept then:
// nothing vouches for it yet) and again once the next has come. Without
// the stored next event the rule would differ between a newcomer applying
// a batch and a workstation hearing of each event as it is written.
func TestVouchedByTheNextEvent(t *testing.T) {
	c := newClinic(t)
	chain := chainOf(t, c.sRecep, 5, 3)
	one := func(s *station, envs ...*crypto.Envelope) {
		for _, e := range envs {
			s.apply(e.Raw)
		}
	}
	fresh := open(t, newPerson(t, "Fay Fresh", roles.Physician), c.id)
	fresh.holdKeys(c.sPh2, roles.Directory, roles.FrontDesk, roles.Clinical)
	fresh.apply(c.sAdmin.everything()...)
	orders := []struct {
		name string
		s    *station
		do   func(s *station)
	}{
		{"one batch", c.sAdmin, func(s *station) { s.apply(raws(chain...)...) }},
		// The bad one is not kept when it comes before the next
		// (nothing vouches for it yet): the walk asks for it again
		// (netsync fetchHead, askAgain).
		{"one by one", c.sPhys, func(s *station) { one(s, append(chain, chain[2])...) }},
		{"backwards", c.sPh2, func(s *station) { one(s, chain[4], chain[3], chain[2], chain[1], chain[0]) }},
		{"the bad one alone first", fresh, func(s *station) {
			one(s, chain[0], chain[1])
			if rep := s.apply(chain[2].Raw); rep.Rejected != 1 || !strings.Contains(rep.Problems[0].Reason, "signature does not verify") {
				t.Errorf("the badly signed event alone: %+v, want it not kept", rep)
			}
			one(s, chain[3], chain[4], chain[2])
		}},
	}
	for _, o := range orders {
		o.do(o.s)
		for i, e := range chain {
			if st, reason := o.s.stateOf(e); st != store.Applied && st != store.Sealed {
				t.Errorf("%s: event %d is %v (%s), want applied", o.name, i+1, st, reason)
			}
		}
		if problems, err := o.s.r.Verify(t.Context()); err != nil || len(problems) != 0 {
			t.Errorf("%s: Verify %v %+v, want nothing", o.name, err, problems)
		}
	}
}
