package replica

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// ownOnly hands each station the other stations' own chains, as the
// network sync does (a workstation announces and re-sends only its own
// chain: F4), until nothing moves.
func ownOnly(t *testing.T, ss ...*station) {
	t.Helper()
	for round := 0; round < 8; round++ {
		moved := 0
		for _, dst := range ss {
			for _, src := range ss {
				if src != dst {
					moved += dst.apply(src.own()...).New
				}
			}
		}
		if moved == 0 {
			return
		}
	}
}

// TestAttackS23cOutvotedHolderNeverGetsTheStandingBranch (h-fork23,
// finding 1; the F4 remainder of h-fork22): the receptionist's modified
// software forks her chain and serves branch A to the administrator and
// one physician, branch B to the other physician; each witnesses what it
// holds (two of three hold A: it stands by their majority). She then
// sends nothing more (revoked, her account ended, or she simply stops).
// Honest workstations hand on only their own chains. The physician holding
// B must still come to hold branch A and agree with the others: before,
// she kept neither branch (pending) for good, since only the forker's
// account announces and re-sends her chain.
func TestAttackS23cOutvotedHolderNeverGetsTheStandingBranch(t *testing.T) {
	c := newClinic(t)
	exchange(t, c.stations()...)
	twin := restoredCopy(t, c.sRecep, false)
	a1, a2 := c.sRecep.writesEnv(t), c.sRecep.writesEnv(t)
	b1, b2 := twin.writesEnv(t), twin.writesEnv(t)
	if a1.Header.Seq != b1.Header.Seq || a1.Hash() == b1.Hash() {
		t.Fatalf("no fork: seq %d and %d", a1.Header.Seq, b1.Header.Seq)
	}
	c.sPhys.apply(raws(a1, a2)...)
	c.sPh2.apply(raws(b1, b2)...)
	c.sAdmin.apply(raws(a1, a2)...)
	c.sAdmin.apply(raws(b1, b2)...) // it met both: the fork's evidence
	honest := []*station{c.sAdmin, c.sPhys, c.sPh2}
	witnessAll(t, honest...)
	ownOnly(t, honest...)
	won, lost := []*crypto.Envelope{a1, a2}, []*crypto.Envelope{b1, b2}
	for _, s := range honest {
		for _, e := range append(slices.Clone(won), lost...) {
			st, why := s.stateOf(e)
			if stands := st == store.Applied || st == store.Sealed; stands != slices.Contains(won, e) {
				t.Errorf("%s: her event %d (%s) is %v (%s); want the majority's branch to stand, the other not",
					s.p.name, e.Header.Seq, short(e.Hash()), st, why)
			}
		}
	}
	if d := c.sPhys.snapshot().diff(c.sPh2.snapshot()); d != "" {
		t.Errorf("the physicians' workstations disagree:\n%s", d)
	}
	// Bounded: one holder of the standing branch carries it once (the
	// administrator's two events of evidence, and the branch's two: the
	// first in turn of the two who voted for it, carryTurn; since session
	// 24 the other waits its turn, and the physician who took it does not
	// carry it again).
	carried := func(s *station) int {
		n := 0
		for _, raw := range s.own() {
			if env, err := crypto.ParseEnvelope(raw); err == nil && env.Header.Kind == KindForkSeen {
				n++
			}
		}
		return n
	}
	before := map[*station]int{}
	for _, s := range honest {
		before[s] = carried(s)
	}
	witnessAll(t, honest...)
	ownOnly(t, honest...)
	for _, s := range honest {
		if n := carried(s); n != before[s] {
			t.Errorf("%s wrote %d fork-seen events, then %d: carried again", s.p.name, before[s], n)
		}
	}
	if before[c.sAdmin]+before[c.sPhys] != 4 || before[c.sAdmin] < 2 || before[c.sPh2] != 0 {
		t.Errorf("fork-seen events written: Ada %d, Paul %d, Pia %d; want 2 of evidence and one copy of the branch's 2 by Ada or Paul",
			before[c.sAdmin], before[c.sPhys], before[c.sPh2])
	}
}

// TestAttackS23cCarriedBeforeTheProof: as above, but the physician holding
// the other branch never witnessed it, and hears the chain that carries the
// standing branch before the one proving the fork: she takes the branch at
// the proof (scanCarried).
func TestAttackS23cCarriedBeforeTheProof(t *testing.T) {
	c := newClinic(t)
	exchange(t, c.stations()...)
	twin := restoredCopy(t, c.sRecep, false)
	a1, a2, a3 := c.sRecep.writesEnv(t), c.sRecep.writesEnv(t), c.sRecep.writesEnv(t)
	b1 := twin.writesEnv(t)
	c.sPhys.apply(raws(a1, a2, a3)...)
	c.sPh2.apply(raws(b1)...)
	c.sAdmin.apply(raws(a1, a2, a3)...)
	c.sAdmin.apply(raws(b1)...) // the fork's evidence
	witnessAll(t, c.sAdmin, c.sPhys)
	proof := c.sAdmin.own()        // the evidence and her witness, before she carries anything
	c.sPhys.apply(proof...)        // Paul: the proof, and a branch that stands: he carries it
	turnComes(c.sPhys)             // (in his turn, since session 24)
	c.sPh2.apply(c.sPhys.own()...) // Pia: the carried branch first
	if fs := c.sPh2.r.Forks(); len(fs) != 0 {
		t.Fatalf("setup: Pia knows the fork before the administrator's chain: %+v", fs)
	}
	c.sPh2.apply(proof...)
	honest := []*station{c.sAdmin, c.sPhys, c.sPh2}
	c.sAdmin.apply(c.sPhys.own()...)
	for _, s := range honest {
		for _, e := range []*crypto.Envelope{a1, a2, a3, b1} {
			st, why := s.stateOf(e)
			if stands := st == store.Applied || st == store.Sealed; stands != (e != b1) {
				t.Errorf("%s: her event %d (%s) is %v (%s); want the witnessed branch to stand, the other not",
					s.p.name, e.Header.Seq, short(e.Hash()), st, why)
			}
		}
	}
	ownOnly(t, honest...) // the carriers each wrote since
	if d := c.sPhys.snapshot().diff(c.sPh2.snapshot()); d != "" {
		t.Errorf("the physicians' workstations disagree:\n%s", d)
	}
}

// TestAttackS23cRevokedWitnessLaterPinHigher (h-fork23, finding 3): the
// only colleague who witnessed the physician's chain past her allergy is
// revoked (she left) while her workstation, not yet told, witnesses that
// chain once more, higher (the physician charted on). One pin was kept a
// writer, her highest: written above her revocation's head, it counted
// nowhere, and her earlier witness, written below it, was lost with it.
// When the physician, fired too, forks at the allergy's place, the
// allergy must stay.
func TestAttackS23cRevokedWitnessLaterPinHigher(t *testing.T) {
	c := newClinic(t)
	twin := restoredCopy(t, c.sPh2, false)
	allergy := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"substance": "penicillin", "status": "active"})})
	exchange(t, c.stations()...)
	witnessAll(t, c.sRecep) // Rita's upkeep: her pin below her revocation's head
	exchange(t, c.stations()...)
	c.revoke(c.sRecep.p) // she left; the administrator's heads of her chain end here
	c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"substance": "latex", "status": "active"})})
	c.sRecep.apply(c.sPh2.own()...) // Rita's workstation, not told yet, hears more of Pia's chain
	witnessAll(t, c.sRecep)         // and witnesses it higher, above her revocation's head
	exchange(t, c.stations()...)
	c.revoke(c.sPh2.p) // fired
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
}

// TestAttackS23cColluderCarriesTheOutvotedBranch: a hostile colleague's
// software carries the outvoted branch (fork-seen events of her own chain
// carrying its envelopes) to a workstation that holds neither branch yet
// and hears her chain first. Only a run more than half the votes name is
// taken: the newcomer ends with the majority's branch, as the others.
func TestAttackS23cColluderCarriesTheOutvotedBranch(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	_, mal := c.admitted(t, "Mallory Physician", roles.Physician)
	_, quinn := c.admitted(t, "Quinn Physician", roles.Physician)
	exchange(t, append(c.stations(), mal, quinn)...)
	twin := restoredCopy(t, c.sRecep, false)
	a1, a2 := c.sRecep.writesEnv(t), c.sRecep.writesEnv(t)
	b1, b2 := twin.writesEnv(t), twin.writesEnv(t)
	c.sPhys.apply(raws(a1, a2)...)
	c.sPh2.apply(raws(b1, b2)...)
	c.sAdmin.apply(raws(a1, a2)...)
	c.sAdmin.apply(raws(b1, b2)...)
	honest := []*station{c.sAdmin, c.sPhys, c.sPh2}
	witnessAll(t, honest...)
	batch := mal.r.Batch()
	for _, e := range []*crypto.Envelope{b1, b2} {
		raw := e.Raw
		batch.add(KindForkSeen, ScopePublic, 0, ForkEntity(e.Header.Device), func(h crypto.Header) (*crypto.Envelope, error) {
			return crypto.SealRaw(h, raw, mal.r.p.Identity)
		})
	}
	if _, err := batch.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	quinn.apply(mal.own()...) // her carried branch first
	ownOnly(t, append(honest, mal, quinn)...)
	// One carrier suffices (session 24): the honest ones carry in turn, and
	// Mallory's turn, or Quinn's, may come first.
	turnsPass(t, 3, append(honest, mal, quinn)...)
	for _, s := range append(honest, quinn) {
		for _, e := range []*crypto.Envelope{a1, a2, b1, b2} {
			st, why := s.stateOf(e)
			if stands := st == store.Applied || st == store.Sealed; stands != (e == a1 || e == a2) {
				t.Errorf("%s: her event %d (%s) is %v (%s); want the majority's branch to stand, the other not",
					s.p.name, e.Header.Seq, short(e.Hash()), st, why)
			}
		}
	}
	// (Quinn holds the directory key alone, as Ada: her events sealed.)
	if d := c.sAdmin.snapshot().diff(quinn.snapshot()); d != "" {
		t.Errorf("Ada's workstation and the newcomer's disagree:\n%s", d)
	}
}

// TestS23cPinsKeptAgainOnUpgrade: a version before h-fork23 kept one pin a
// writer. Once upgraded (fields revision 22) the workstation takes every
// applied witness's pins again, her next highest with them: as
// TestAttackS23cRevokedWitnessLaterPinHigher, the allergy stays.
func TestS23cPinsKeptAgainOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	twin := restoredCopy(t, c.sPh2, false)
	allergy := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"substance": "penicillin", "status": "active"})})
	exchange(t, c.stations()...)
	witnessAll(t, c.sRecep)
	exchange(t, c.stations()...)
	c.revoke(c.sRecep.p)
	c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"substance": "latex", "status": "active"})})
	c.sRecep.apply(c.sPh2.own()...)
	witnessAll(t, c.sRecep)
	exchange(t, c.stations()...)
	c.revoke(c.sPh2.p)
	exchange(t, c.stations()...)
	s := c.sPhys
	// As h-fork22's version kept them: her highest only.
	stripped := 0
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var keys []string
		if err := tx.MetaWithPrefix(ctx, metaPins, func(k string, _ []byte) { keys = append(keys, k) }); err != nil {
			return err
		}
		for _, k := range keys {
			held, _, err := s.r.readPins(ctx, tx, strings.Split(strings.TrimPrefix(k, metaPins), "/")[0], strings.Split(strings.TrimPrefix(k, metaPins), "/")[1])
			if err != nil {
				return err
			}
			for w, p := range held {
				if len(p.Below) > 0 {
					stripped++
				}
				held[w] = p.kept()[0]
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
	if stripped == 0 {
		t.Fatal("setup: no writer with two pins of a chain")
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	erase := twin.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Erase"})})
	s.apply(erase.Raw)
	allergyKept(t, allergy, s)
}
