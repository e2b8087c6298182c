package replica

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// forgeWitness has s's (modified) software write a witness event naming
// pins of its choice.
func forgeWitness(t testing.TB, s *station, pins ...Pin) {
	t.Helper()
	payload := mustJSON(pins)
	b := s.r.Batch()
	b.add(KindWitness, ScopePublic, 0, WitnessEntity(s.r.p.Device), func(h crypto.Header) (*crypto.Envelope, error) {
		return crypto.SealRaw(h, payload, s.r.p.Identity)
	})
	if _, err := b.Commit(context.Background()); err != nil {
		t.Fatalf("%s writes a witness: %v", s.p.name, err)
	}
}

// allergyKept checks that env stands (applied or sealed) on every station.
func allergyKept(t *testing.T, env *crypto.Envelope, ss ...*station) {
	t.Helper()
	for _, s := range ss {
		if st, reason := s.stateOf(env); st != store.Applied && st != store.Sealed {
			t.Errorf("%s: her allergy at place %d is %v (%s), want it kept", s.p.name, env.Header.Seq, st, reason)
		}
	}
}

// TestAttackS22bForkFirstToANewWorkstationHigher (h-fork22, finding 1):
// as TestAttackS21bForkFirstToANewWorkstation, but the fired physician's
// other branch is two events long, so the newcomer's honest witness names
// a place above the fork that no workstation holding the witnessed branch
// can walk. The clinic's three earlier witnesses outvote her one: the
// allergy stays on every workstation, the newcomer's once it is sent the
// witnessed branch.
func TestAttackS22bForkFirstToANewWorkstationHigher(t *testing.T) {
	c := newClinic(t)
	twin := restoredCopy(t, c.sPh2, false)
	allergy := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"substance": "penicillin", "status": "active"})})
	_, quinn := c.admitted(t, "Quinn Physician", roles.Physician)
	quinn.apply(c.sAdmin.own()...)
	exchange(t, c.stations()...)
	witnessAll(t, c.sAdmin, c.sRecep, c.sPhys)
	exchange(t, c.stations()...)
	c.revoke(c.sPh2.p)
	exchange(t, c.stations()...)
	b0 := twin.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Erase"})})
	b1 := twin.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Erase too"})})
	if b0.Header.Seq != allergy.Header.Seq {
		t.Fatalf("no fork: seq %d and %d", b0.Header.Seq, allergy.Header.Seq)
	}
	quinn.apply(twin.own()...)
	witnessAll(t, quinn) // her upkeep, before she hears the rest
	honest := []*station{c.sAdmin, c.sRecep, c.sPhys, quinn}
	exchange(t, honest...)
	allergyKept(t, allergy, honest...)
	for _, s := range honest {
		for _, e := range []*crypto.Envelope{b0, b1} {
			if st, _ := s.stateOf(e); st == store.Applied || st == store.Sealed {
				t.Errorf("%s: the branch the newcomer alone witnessed stands (place %d)", s.p.name, e.Header.Seq)
			}
		}
		if fs := s.r.Forks(); len(fs) != 1 || fs[0].Seq != allergy.Header.Seq {
			t.Errorf("%s: forks %+v, want hers from %d", s.p.name, fs, allergy.Header.Seq)
		}
	}
	// (Quinn holds the directory key alone, as Ada: the allergy sealed.)
	if d := c.sAdmin.snapshot().diff(quinn.snapshot()); d != "" {
		for _, e := range []*crypto.Envelope{allergy, b0, b1} {
			st, why := quinn.stateOf(e)
			t.Logf("quinn: place %d %s: %v %s", e.Header.Seq, short(e.Hash()), st, why)
		}
		t.Errorf("Ada's workstation and the newcomer's disagree:\n%s", d)
	}
}

// TestAttackS22bForkColluderPinsTheOtherBranch (h-fork22, finding 1): a
// hostile colleague (a member other than the forker) has her software
// write a witness naming the unwitnessed branch's hash at the fork's place,
// after everything was heard. Before, one such pin made the witnesses
// disagree and set aside the fired physician's allergy everywhere; now
// the clinic's three witnesses outvote her.
func TestAttackS22bForkColluderPinsTheOtherBranch(t *testing.T) {
	c := newClinic(t)
	twin := restoredCopy(t, c.sPh2, false)
	allergy := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"substance": "penicillin", "status": "active"})})
	_, mal := c.admitted(t, "Mallory Physician", roles.Physician)
	exchange(t, append(c.stations(), mal)...)
	witnessAll(t, c.sAdmin, c.sRecep, c.sPhys)
	exchange(t, append(c.stations(), mal)...)
	c.revoke(c.sPh2.p)
	exchange(t, append(c.stations(), mal)...)
	erase := twin.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Erase"})})
	c.sPhys.apply(erase.Raw) // the fork proven
	forgeWitness(t, mal, Pin{Device: erase.Header.Device, Author: erase.Header.Author, Seq: erase.Header.Seq, Hash: erase.Hash()})
	honest := []*station{c.sAdmin, c.sRecep, c.sPhys}
	exchange(t, append(honest, mal)...)
	allergyKept(t, allergy, honest...)
	for _, s := range honest {
		if st, _ := s.stateOf(erase); st == store.Applied || st == store.Sealed {
			t.Errorf("%s: the branch only the colluder named stands", s.p.name)
		}
	}
}

// TestAttackS22bForkRevokedWitnessCounts (h-fork22, finding 2): the only
// colleague who witnessed the physician's chain past her allergy has left
// the clinic (revoked) before the physician, fired too, forks at the
// allergy's place. The witness was written before her revocation's heads:
// it counts, and the allergy stays.
func TestAttackS22bForkRevokedWitnessCounts(t *testing.T) {
	c := newClinic(t)
	twin := restoredCopy(t, c.sPh2, false)
	allergy := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"substance": "penicillin", "status": "active"})})
	exchange(t, c.stations()...)
	witnessAll(t, c.sRecep) // only Rita's upkeep ran
	exchange(t, c.stations()...)
	c.revoke(c.sRecep.p) // she left
	c.revoke(c.sPh2.p)   // fired
	exchange(t, c.stations()...)
	erase := twin.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Erase"})})
	if erase.Header.Seq != allergy.Header.Seq {
		t.Fatalf("no fork: seq %d and %d", erase.Header.Seq, allergy.Header.Seq)
	}
	c.sPhys.apply(erase.Raw)
	honest := []*station{c.sAdmin, c.sPhys}
	exchange(t, honest...)
	allergyKept(t, allergy, honest...)
	for _, s := range honest {
		if fs := s.r.Forks(); len(fs) != 1 || fs[0].Seq != allergy.Header.Seq {
			t.Errorf("%s: forks %+v, want hers from %d", s.p.name, fs, allergy.Header.Seq)
		}
	}
}

// TestS22bPinsTakenAgainOnUpgrade: pins a version before h-fork22 kept do
// not say where they were written, so a revoked colleague's would not
// count. Once upgraded (fields revision 18) the workstation takes every
// applied witness's pins again: as TestAttackS22bForkRevokedWitnessCounts,
// the allergy stays.
func TestS22bPinsTakenAgainOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	twin := restoredCopy(t, c.sPh2, false)
	allergy := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"substance": "penicillin", "status": "active"})})
	exchange(t, c.stations()...)
	witnessAll(t, c.sRecep)
	exchange(t, c.stations()...)
	c.revoke(c.sRecep.p)
	c.revoke(c.sPh2.p)
	exchange(t, c.stations()...)
	s := c.sPhys
	// As an older version kept them: no w, n.
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var keys []string
		if err := tx.MetaWithPrefix(ctx, metaPins, func(k string, _ []byte) { keys = append(keys, k) }); err != nil {
			return err
		}
		if len(keys) == 0 {
			t.Fatal("setup: no pins")
		}
		for _, k := range keys {
			v, err := tx.Meta(ctx, k)
			if err != nil {
				return err
			}
			var held map[string]pinHeld
			if err := json.Unmarshal(v, &held); err != nil {
				return err
			}
			for w, p := range held {
				held[w] = pinHeld{Seq: p.Seq, Hash: p.Hash}
			}
			if err := tx.SetMeta(ctx, k, mustJSON(held)); err != nil {
				return err
			}
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	erase := twin.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Erase"})})
	s.apply(erase.Raw)
	allergyKept(t, allergy, s)
	if fs := s.r.Forks(); len(fs) != 1 || fs[0].Seq != allergy.Header.Seq {
		t.Errorf("forks %+v, want hers from %d", fs, allergy.Header.Seq)
	}
}

// TestAttackS22bForkTwiceSplitsTheWinners (h-fork22, review of the
// majority rule): the physician forks at S (branch B, shown to Mallory)
// and again at S+1 on the other branch (A' shown to Paul, A” to Rita);
// Ada and Quinn hold only her event at S. Five votes: three for A (Ada,
// Quinn at S; Paul or Rita above), one for B, one Paul or Rita cannot
// place. Had the branch stood up to its highest pin, Paul would keep A'
// and Rita A” at the same places. Both must let stand only what the
// other holds too: her event at S; A' and A” wait.
func TestAttackS22bForkTwiceSplitsTheWinners(t *testing.T) {
	c := newClinic(t)
	_, quinn := c.admitted(t, "Quinn Physician", roles.Physician)
	_, mal := c.admitted(t, "Mallory Physician", roles.Physician)
	honest := append(c.stations(), quinn, mal)
	exchange(t, honest...)
	twinB := restoredCopy(t, c.sPh2, false)
	a0 := c.sPh2.writesEnv(t)
	twinA2 := restoredCopy(t, c.sPh2, false)
	a1, a2 := c.sPh2.writesEnv(t), c.sPh2.writesEnv(t)
	a1b, a2b := twinA2.writesEnv(t), twinA2.writesEnv(t)
	b0 := twinB.writesEnv(t)
	if a1.Header.Seq != a1b.Header.Seq || b0.Header.Seq != a0.Header.Seq || a1.Hash() == a1b.Hash() {
		t.Fatal("setup: no forks")
	}
	c.sPhys.apply(raws(a0, a1, a2)...)
	c.sRecep.apply(raws(a0, a1b, a2b)...)
	c.sAdmin.apply(a0.Raw)
	c.sAdmin.apply(b0.Raw) // proves the fork at S
	quinn.apply(a0.Raw)
	mal.apply(b0.Raw)
	pin := func(e *crypto.Envelope) Pin {
		return Pin{Device: e.Header.Device, Author: e.Header.Author, Seq: e.Header.Seq, Hash: e.Hash()}
	}
	// What each holds (their upkeep's witness).
	forgeWitness(t, c.sAdmin, pin(a0))
	forgeWitness(t, quinn, pin(a0))
	forgeWitness(t, c.sPhys, pin(a2))
	forgeWitness(t, c.sRecep, pin(a2b))
	forgeWitness(t, mal, pin(b0))
	live := []*station{c.sAdmin, c.sRecep, c.sPhys, quinn, mal}
	for round := 0; round < 4; round++ {
		for _, dst := range live {
			for _, src := range live {
				if src != dst {
					dst.apply(src.own()...)
				}
			}
		}
	}
	stands := func(s *station, e *crypto.Envelope) bool {
		st, _ := s.stateOf(e)
		return st == store.Applied || st == store.Sealed
	}
	for _, s := range []*station{c.sPhys, c.sRecep} {
		if fs := s.r.Forks(); len(fs) != 1 || fs[0].Seq != a0.Header.Seq {
			t.Fatalf("%s: forks %+v, want hers from %d", s.p.name, fs, a0.Header.Seq)
		}
		if !stands(s, a0) {
			st, why := s.stateOf(a0)
			t.Errorf("%s: her event at S (most voters hold it) is %v (%s)", s.p.name, st, why)
		}
	}
	for i, pair := range [][2]*crypto.Envelope{{a1, a1b}, {a2, a2b}} {
		if stands(c.sPhys, pair[0]) && stands(c.sRecep, pair[1]) {
			t.Errorf("place S+%d: Paul keeps her A' event and Rita her A'' event", i+1)
		}
	}
}
