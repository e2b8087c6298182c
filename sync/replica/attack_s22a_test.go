package replica

// Session 22 review h-ret22: a revoked administrator's late retaliation
// (session 21's C2 follow-up, TestAttackS21cLateRetaliation). Hal revokes
// Pam; days later Pam's modified software revokes Hal in her chain's next
// place, naming his chain just before his act (the shape of a tight pair:
// neither saw the other) and his other workstation's chain low or not at
// all, so her act cuts what that workstation wrote long before (an
// admission, a correction). Her own workstation had witnessed (heads-seen,
// witness.go) that workstation's chain far above what her act names:
// her signed word that she held those events. Findings:
// /work/notes/sec-s22a.md.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// s22aClinic is the test clinic with administrators Hal (two
// workstations) and Pam. Hal's second workstation admitted Nora and
// corrected Rita's name; every workstation witnessed what it held and
// everything was exchanged. before is an observer that holds what came
// before Hal's second workstation wrote anything.
type s22aClinic struct {
	c                  *clinic
	sHal, sHal2, sPam  *station
	sNora              *station
	nora               *person
	admission, rename  string // Hal2's events
	before, beforeHal2 *station
	all                []*station
}

func s22aSetup(t *testing.T) *s22aClinic {
	t.Helper()
	k := &s22aClinic{}
	c, sHal, sPam, all := s21cAdmins(t)
	k.c, k.sHal, k.sPam = c, sHal, sPam
	k.beforeHal2 = s21cObserver(t, c, c.sAdmin, "Bea Before")
	k.sHal2 = sHal.secondStation(c)
	k.sHal2.apply(c.sAdmin.everything()...)
	k.sHal2.apply(sHal.everything()...)
	k.nora, k.sNora = c.admittedBy(t, k.sHal2, "Nora Reception", roles.Receptionist)
	k.admission = lastOwn(t, k.sHal2, KindMember, k.nora.fp())
	k.rename = k.sHal2.append(Change{Entity: c.recep.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"name": "Rita Reception-Smith"})}).Header.ID
	k.all = append(all, k.sHal2, k.sNora)
	exchange(t, k.all...)
	if m, _ := sPam.r.Member(k.nora.fp()); !m.Active() {
		t.Fatalf("setup: Pam reads Nora %s", m.Status)
	}
	// Every workstation's upkeep witnesses what it holds (Pam's among
	// them: Hal2's chain up to the correction).
	witnessAll(t, k.all...)
	exchange(t, k.all...)
	k.before = s21cObserver(t, c, c.sAdmin, "Nina Newcomer")
	return k
}

// lastOwn is the id of the last event of s's own chain on entity of kind.
func lastOwn(t *testing.T, s *station, kind, entity string) string {
	t.Helper()
	own := s.own()
	for i := len(own) - 1; i >= 0; i-- {
		env, err := crypto.ParseEnvelope(own[i])
		if err != nil {
			t.Fatal(err)
		}
		if env.Header.Kind == kind && env.Header.Entity == entity {
			return env.Header.ID
		}
	}
	t.Fatalf("%s wrote no %s on %s", s.p.name, kind, entity)
	return ""
}

// TestAttackS22aLateRetaliationCutsHisPast: Hal revokes Pam, everybody
// applies it. Later Pam's modified software revokes Hal as the pair of a
// race (his main chain named just before his act, her chain's next place)
// naming his second workstation's chain low, or not at all. Her own
// witness, signed before she was revoked, pinned that chain at its head.
// The invariant: every workstation, whatever the arrival order, keeps
// Hal2's admission of Nora and its correction, reads Hal active and Pam
// revoked, and refuses her late act (she had witnessed more of his chains
// than it names: it is no word of what she had not seen).
func TestAttackS22aLateRetaliationCutsHisPast(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hal2   func(seq uint64) (uint64, bool) // what her act names of Hal2's chain
		demote bool                            // her act makes him a receptionist instead
		pad    bool                            // her change names MaxRoleDevices chains, made-up ones
	}{
		{name: "his second chain named at its first place", hal2: func(uint64) (uint64, bool) { return 1, true }},
		{name: "his second chain left out", hal2: func(uint64) (uint64, bool) { return 0, false }},
		{name: "his second chain named one below what she witnessed", hal2: func(s uint64) (uint64, bool) { return s - 1, true }},
		{name: "a demotion, his second chain named at its first place", hal2: func(uint64) (uint64, bool) { return 1, true }, demote: true},
		{name: "a demotion, his second chain left out, padded to the bound with made-up devices", hal2: func(uint64) (uint64, bool) { return 0, false }, demote: true, pad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := s22aSetup(t)
			hal, pam := k.sHal.p, k.sPam.p
			rh := revokeOn(t, k.sHal, pam)
			exchange(t, k.all...)
			if m, _ := k.c.sAdmin.r.Member(pam.fp()); !m.Revoked() {
				t.Fatal("setup: Pam is not revoked")
			}
			had := s21cObserver(t, k.c, k.c.sAdmin, "Olga Observer") // had Hal's act
			pins, err := readPinsOf(k.sPam, k.sHal2.r.Device(), hal.fp())
			if err != nil || pins[pam.fp()].Seq < 2 {
				t.Fatalf("setup: Pam witnessed Hal2's chain at %+v (%v)", pins[pam.fp()], err)
			}
			hal2Heads := pins[pam.fp()].Seq
			heads := map[string]uint64{k.sHal.r.Device(): rh.Header.Seq - 1, RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
			if seq, named := tc.hal2(hal2Heads); named {
				heads[k.sHal2.r.Device()] = seq
			}
			act := map[string]any{"status": StatusRevoked, "revoked_heads": heads}
			if tc.demote {
				delete(heads, RevokedChanges)
				delete(heads, RevokedRole+string(roles.Administrator))
				for tc.pad && len(heads) < MaxRoleDevices {
					heads[crypto.NewDeviceID(hal.fp())] = 1
				}
				act = map[string]any{RoleChangeField(1): RoleChange{From: roles.Administrator, To: roles.Receptionist, Heads: heads}}
			}
			e := k.sPam.forge(forged{Entity: hal.fp(), Kind: KindMember, Scope: string(roles.Directory), Fields: fields(t, act)})
			// Three orders: Hal's act first; Pam's chain first; Pam's
			// chain, then Hal's, then Hal2's.
			had.apply(k.sPam.own()...)
			k.before.apply(k.sPam.own()...)
			k.before.apply(k.sHal.own()...)
			k.beforeHal2.apply(k.sPam.own()...)
			k.beforeHal2.apply(k.sHal.own()...)
			k.beforeHal2.apply(k.sHal2.own()...)
			k.beforeHal2.apply(k.sNora.own()...)
			k.beforeHal2.apply(k.c.sAdmin.everything()...)
			observers := []*station{had, k.before, k.beforeHal2}
			want := s21cView(had, hal, pam)
			for _, s := range observers[1:] {
				if v := s21cView(s, hal, pam); v != want {
					t.Errorf("arrival order decides:\n  %s: %s\n  %s: %s", had.p.name, want, s.p.name, v)
				}
				if d := had.snapshot().diff(s.snapshot()); d != "" {
					t.Errorf("%s and %s differ:\n%s", had.p.name, s.p.name, d)
				}
			}
			exchange(t, append(k.all, observers...)...)
			for _, s := range append(observers, k.c.sAdmin, k.sHal, k.sHal2, k.c.sRecep) {
				if st, why := s.state(e.Header.ID); st == store.Applied {
					t.Errorf("%s: Pam's late act on Hal, naming less of his chains than she had witnessed, stands (%s)", s.p.name, why)
				}
				if m, _ := s.r.Member(hal.fp()); m.Revoked() || !m.Active() || m.Role != roles.Administrator {
					t.Errorf("%s: Hal reads %s %s", s.p.name, m.Status, m.Role)
				}
				if m, _ := s.r.Member(pam.fp()); !m.Revoked() {
					t.Errorf("%s: Pam reads %s", s.p.name, m.Status)
				}
				for what, id := range map[string]string{"admission of Nora": k.admission, "correction of Rita's name": k.rename} {
					if st, why := s.state(id); st != store.Applied {
						t.Errorf("%s: Hal2's %s, written and witnessed long before, is %v (%s)", s.p.name, what, st, why)
					}
				}
				if m, _ := s.r.Member(k.nora.fp()); !m.Active() {
					t.Errorf("%s: Nora reads %s", s.p.name, m.Status)
				}
			}
		})
	}
}

// TestAttackS22aWitnessedRaceTheSeniorStands: the control. Pam's
// workstation witnessed Hal's chains; then Hal and Pam revoke each other
// at once, as the app does (heads by MemberHeads): a tight pair, judged
// alike on every workstation whatever the order, and Hal2's events before
// stand. Both acts stood until session 27; now Hal's, the senior's (Ada
// admitted him first: seniority.go), stands and Pam's falls.
func TestAttackS22aWitnessedRaceTheSeniorStands(t *testing.T) {
	k := s22aSetup(t)
	hal, pam := k.sHal.p, k.sPam.p
	rh := revokeOn(t, k.sHal, pam)
	rp := revokeOn(t, k.sPam, hal)
	k.before.apply(k.sHal.own()...)
	k.before.apply(k.sPam.own()...)
	k.beforeHal2.apply(k.sPam.own()...)
	k.beforeHal2.apply(k.sHal.own()...)
	k.beforeHal2.apply(k.sHal2.own()...)
	k.beforeHal2.apply(k.sNora.own()...)
	k.beforeHal2.apply(k.c.sAdmin.everything()...)
	all := append(k.all, k.before, k.beforeHal2)
	exchange(t, all...)
	want := s21cView(k.before, hal, pam)
	for _, s := range all {
		if v := s21cView(s, hal, pam); v != want {
			t.Errorf("%s reads %s, %s reads %s", k.before.p.name, want, s.p.name, v)
		}
		for what, id := range map[string]string{"Hal's act": rh.Header.ID, "admission of Nora": k.admission} {
			if st, why := s.state(id); st != store.Applied {
				t.Errorf("%s: %s is %v (%s)", s.p.name, what, st, why)
			}
		}
		if st, why := s.state(rp.Header.ID); st != store.Rejected {
			t.Errorf("%s: Pam's act is %v (%s)", s.p.name, st, why)
		}
	}
	if d := k.before.snapshot().diff(k.beforeHal2.snapshot()); d != "" {
		t.Errorf("the observers differ:\n%s", d)
	}
	if m, _ := k.before.r.Member(pam.fp()); !m.Revoked() {
		t.Error("Pam is not revoked")
	}
	if m, _ := k.before.r.Member(hal.fp()); m.Revoked() || !m.Active() {
		t.Errorf("Hal reads %s, active %v", m.Status, m.Active())
	}
}

// TestUpgradeJudgesALateRetaliationAgain: a workstation of an earlier
// version kept Pam's late revocation of Hal (a tight pair by its heads)
// and refused, by it, what Hal's second workstation wrote. The upgrade's
// mend (fields revision 17) judges her act again: refused, Hal active,
// his second workstation's events applied, as on every workstation of
// this version.
func TestUpgradeJudgesALateRetaliationAgain(t *testing.T) {
	ctx := context.Background()
	k := s22aSetup(t)
	hal, pam := k.sHal.p, k.sPam.p
	rh := revokeOn(t, k.sHal, pam)
	exchange(t, k.all...)
	heads := map[string]uint64{k.sHal.r.Device(): rh.Header.Seq - 1, RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
	e := k.sPam.forge(forged{Entity: hal.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	s := k.before
	s.apply(k.sHal.own()...)
	s.apply(k.sPam.own()...)
	if st, _ := s.state(e.Header.ID); st == store.Applied {
		t.Fatal("setup: this version applies her act")
	}
	// As the earlier version left it: her act applied, Hal revoked by it,
	// his second workstation's events refused.
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		defer s.r.begin()()
		set := func(id string, v verdict) error {
			row, err := tx.Envelope(ctx, id)
			if err != nil {
				return err
			}
			return s.r.setState(ctx, tx, row, v)
		}
		if err := set(e.Header.ID, verdict{state: store.Applied}); err != nil {
			return err
		}
		for _, id := range []string{k.admission, k.rename} {
			if err := set(id, refused(ruleRevoked, "written after the author's membership was revoked")); err != nil {
				return err
			}
		}
		for _, fp := range []string{hal.fp(), k.nora.fp(), k.c.recep.fp()} {
			if err := s.r.rebuildEntity(ctx, tx, fp); err != nil {
				return err
			}
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := s.r.Member(hal.fp()); !m.Revoked() {
		t.Fatal("setup: Hal reads active")
	}
	if s.r, err = Open(ctx, s.r.p); err != nil { // the upgrade
		t.Fatal(err)
	}
	s.apply()
	if st, why := s.state(e.Header.ID); st == store.Applied {
		t.Errorf("after the upgrade Pam's late revocation of Hal stands: %s", why)
	}
	if m, _ := s.r.Member(hal.fp()); m.Revoked() || !m.Active() {
		t.Errorf("after the upgrade Hal reads %s", m.Status)
	}
	for what, id := range map[string]string{"admission of Nora": k.admission, "correction of Rita's name": k.rename} {
		if st, why := s.state(id); st != store.Applied {
			t.Errorf("after the upgrade Hal2's %s is %v (%s)", what, st, why)
		}
	}
	if m, _ := s.r.Member(k.nora.fp()); !m.Active() {
		t.Errorf("after the upgrade Nora reads %s", m.Status)
	}
	if m, _ := s.r.Member(pam.fp()); !m.Revoked() {
		t.Errorf("after the upgrade Pam reads %s", m.Status)
	}
}

// BenchmarkS22aNamesLess: what namesLess costs when the act's chain holds
// n witness events (a workstation writes at most 6 an hour, while chains
// move), each pinning five chains, none below the act's heads (it reads
// them all).
func BenchmarkS22aNamesLess(b *testing.B) {
	for _, n := range []int{100, 2000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			c := newClinic(b)
			s := c.sAdmin
			var pins []Pin
			for i, p := range []*station{c.sPhys, c.sPh2, c.sRecep} {
				pins = append(pins, Pin{Device: p.r.Device(), Author: p.p.fp(), Seq: uint64(5 + i), Hash: strings.Repeat("ab", 32)})
			}
			other := crypto.NewDeviceID(c.phys.fp()) // another workstation of his
			pins = append(pins, Pin{Device: other, Author: c.phys.fp(), Seq: 3, Hash: strings.Repeat("cd", 32)},
				Pin{Device: crypto.NewDeviceID(c.recep.fp()), Author: c.recep.fp(), Seq: 4, Hash: strings.Repeat("ef", 32)})
			raw := mustJSON(pins)
			for range n {
				s.forge(forged{Entity: WitnessEntity(s.r.Device()), Kind: KindWitness, Scope: ScopePublic, Raw: raw})
			}
			x := crypto.Header{Kind: KindMember, Author: s.p.fp(), Device: s.r.Device(), Seq: s.r.mySeq + 1, Entity: c.phys.fp()}
			xf := fields(b, map[string]any{"status": StatusRevoked, "revoked_heads": map[string]uint64{
				c.sPhys.r.Device(): 10, other: 10}})
			b.ResetTimer()
			for range b.N {
				err := s.db.View(ctx, func(tx *store.Tx) error {
					less, err := s.r.namesLess(ctx, tx, x, xf)
					if err == nil && less {
						b.Fatal("names less")
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
