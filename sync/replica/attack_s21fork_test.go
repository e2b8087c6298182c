package replica

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

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
	for _, tc := range []struct {
		adminFirst string
		witnessed  bool
	}{{"A", false}, {"B", false}, {"A", true}, {"B", true}} {
		adminFirst := tc.adminFirst
		name := "administrator hears branch " + adminFirst + " first"
		if tc.witnessed {
			// Each holder witnesses the branch it holds (h-fork21b): the
			// branch two of the three hold stands (h-fork22: majority).
			name += ", witnessed"
		}
		t.Run(name, func(t *testing.T) {
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
			if tc.witnessed {
				witnessAll(t, honest...)
			}
			for round := 0; round < 4; round++ {
				for _, dst := range honest {
					for _, src := range honest {
						if src != dst {
							dst.apply(src.own()...)
						}
					}
				}
			}
			if tc.witnessed {
				// h-fork22: two of the three witnesses (the administrator
				// and the physician that got her branch first) hold one
				// branch: it stands by their majority; the other stands
				// nowhere. The third workstation kept neither (pending)
				// until the branch that stands was sent to it; since
				// h-fork23 the workstations on which it stands carry it
				// in their own chains (carry.go), so it holds it already.
				won, lost, minority := []*crypto.Envelope{a1, a2}, []*crypto.Envelope{b1, b2}, c.sPh2
				if adminFirst == "B" {
					won, lost, minority = lost, won, c.sPhys
				}
				minority.apply(raws(won...)...)
				for _, s := range honest {
					for _, e := range append(slices.Clone(won), lost...) {
						st, why := s.stateOf(e)
						if stands := st == store.Applied || st == store.Sealed; stands != slices.Contains(won, e) {
							t.Errorf("%s: her event %d (%s) is %v (%s); want the majority's branch to stand, the other not", s.p.name, e.Header.Seq, short(e.Hash()), st, why)
						}
					}
				}
				if d := c.sPhys.snapshot().diff(c.sPh2.snapshot()); d != "" {
					t.Errorf("the physicians' workstations disagree:\n%s", d)
				}
				for _, s := range []*station{c.sRecep, twin} {
					for _, src := range honest {
						s.apply(src.own()...)
					}
					if _, err := s.r.Append(context.Background(), Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
						Fields: fields(t, map[string]any{"family": "F"})}); !errors.Is(err, ErrForked) {
						t.Errorf("a forked copy writes on: %v", err)
					}
				}
				return
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

// TestAttackS21ForkFramed: a hostile physician writes fork-seen events
// to have a colleague's device set aside without her forking it: one
// event of hers with another signature over the same signed bytes (what
// anyone may do to a signature's encoding; here her key signs again), and
// an event the physician signed herself into the colleague's chain. Neither
// proves a fork: nothing of the receptionist is set aside anywhere.
func TestAttackS21ForkFramed(t *testing.T) {
	c := newClinic(t)
	a1 := c.sRecep.writesEnv(t)
	exchange(t, c.stations()...)
	resigned, err := crypto.SealRaw(a1.Header, a1.Ciphertext, c.recep.id)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(resigned.Raw, a1.Raw) {
		t.Fatal("signing again gave the same bytes: the test proves nothing")
	}
	squat := c.sPh2.forge(forged{Device: a1.Header.Device, Seq: a1.Header.Seq, Prev: a1.Header.Prev, Entity: crypto.NewEventID(),
		Kind: "patient", Scope: "frontdesk", Fields: fields(t, map[string]any{"family": "Squat"})})
	for _, carried := range []*crypto.Envelope{a1, resigned, squat} {
		c.sPh2.forge(forged{Entity: ForkEntity(a1.Header.Device), Kind: KindForkSeen, Scope: ScopePublic, Raw: carried.Raw})
	}
	// And her honest colleague's workstation meets the re-signed copy.
	c.sPhys.apply(resigned.Raw)
	exchange(t, c.stations()...)
	for _, s := range c.stations() {
		if fs := s.r.Forks(); len(fs) != 0 {
			t.Errorf("%s: forks %+v from a re-signed copy or a squat", s.p.name, fs)
		}
		if st, reason := s.state(a1.Header.ID); st != store.Applied && st != store.Sealed {
			t.Errorf("%s: her event is %v (%s)", s.p.name, st, reason)
		}
	}
	if _, err := c.sRecep.r.Append(context.Background(), Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "F"})}); err != nil {
		t.Fatalf("she cannot write: %v", err)
	}
}

// TestAttackS21ForkHonestRestore (h-sec15e F3, closed by h-restore22). A
// workstation restored from a backup whose old computer's last event
// reached one colleague only (the sync room's history moved on, the old
// computer is gone) wrote in the old chain at the place of that event: a
// fork of its own device, proven and set aside everywhere. A restored
// workstation now moves onto a new chain of its own before it writes
// (app/move.go; here as the app does): both events stand everywhere.
// TestAttackS22cRestoreForksNoMore proves it from bound ids too.
func TestAttackS21ForkHonestRestore(t *testing.T) {
	c := newClinic(t)
	back := restoredCopy(t, c.sRecep, true)
	lost := c.sRecep.writesEnv(t) // the old computer's last, heard by Paul only
	c.sPhys.apply(lost.Raw)
	back, _ = back.moveOnto() // as the app does after a restore
	mine := back.writesEnv(t)
	honest := []*station{c.sAdmin, c.sPhys, c.sPh2, back}
	exchange(t, honest...)
	for _, s := range honest {
		if st, reason := s.stateOf(mine); st != store.Applied && st != store.Sealed {
			t.Errorf("%s: the restored workstation's write is %v (%s)", s.p.name, st, reason)
		}
	}
}

// TestAttackS21ForkUndoesHerAdmissions (found reviewing h-fork21, MEDIUM,
// closed by h-fork21b). An administrator's modified software forks her own
// chain at the place of an admission she wrote (a copy of her profile
// signs another event there) and shows the other branch to one colleague,
// after an administrator revoked her with heads past it. The fork is
// proven everywhere; but her colleagues' workstations had witnessed her
// chain past that place (witness events at their upkeep), so the branch
// they witnessed stands up to the highest pin and Carol's admission with
// it, on every workstation alike.
func TestAttackS21ForkUndoesHerAdmissions(t *testing.T) {
	c := newClinic(t)
	bob := c.anotherAdmin(t, "Bob Admin")
	carol := c.newcomer(t, "Carol Colleague")
	twin := restoredCopy(t, bob, false)
	bob.apply(carol.own()...)
	bob.admit(carol.p)
	all := append(c.stations(), bob, carol)
	exchange(t, all...)
	carol.patient("Kept")
	exchange(t, all...)
	witnessAll(t, all...) // their upkeep
	exchange(t, all...)
	other := twin.append(Change{Entity: newPerson(t, "Nobody", roles.Physician).fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"name": "Nobody", "role": roles.Physician, "status": StatusActive})})
	c.revoke(bob.p)
	exchange(t, all...)
	c.sPhys.apply(other.Raw)
	honest := append(c.stations(), carol)
	exchange(t, honest...)
	for _, s := range honest {
		if m, ok := s.r.Member(carol.p.fp()); !ok || !m.Active() {
			t.Errorf("%s: Carol, admitted before Bob's revocation, is no longer a member (%v)", s.p.name, ok)
		}
		if fs := s.r.Forks(); len(fs) != 1 || fs[0].Author != bob.p.fp() {
			t.Errorf("%s: forks %+v, want Bob's", s.p.name, fs)
		}
		if st, _ := s.stateOf(other); st == store.Applied || st == store.Sealed {
			t.Errorf("%s: the branch nobody witnessed stands", s.p.name)
		}
	}
}

// witnessAll has every station write its witness event now (the app's
// upkeep does, at most once per 10 minutes).
func witnessAll(t *testing.T, ss ...*station) {
	t.Helper()
	if os.Getenv("MEDIHAVEN_TEST_NO_WITNESS") == "1" { // shows the proofs fail without them
		return
	}
	for _, s := range ss {
		if _, err := s.r.witness(context.Background()); err != nil && !errors.Is(err, ErrForked) {
			t.Fatalf("%s witnesses: %v", s.p.name, err)
		}
	}
}

// TestAttackS21bForkErasesHerAllergy (h-fork21b): a physician, revoked
// (fired), runs a copy of her profile from before she charted an allergy
// and signs another event at that place of her chain, shown to one
// colleague: proven a fork, it would set aside her allergy (and all she
// charted since) on every workstation. Her colleagues had witnessed her
// chain past it: the allergy stays on every workstation, and on a
// workstation that hears everything late, in both orders (the proof before
// her chain, her chain before the proof).
func TestAttackS21bForkErasesHerAllergy(t *testing.T) {
	for _, proofFirst := range []bool{true, false} {
		name := "her chain first"
		if proofFirst {
			name = "the proof first"
		}
		t.Run(name, func(t *testing.T) {
			c := newClinic(t)
			twin := restoredCopy(t, c.sPh2, false)
			allergy := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
				Fields: fields(t, map[string]any{"substance": "penicillin", "status": "active"})})
			note := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
				Fields: fields(t, map[string]any{"substance": "latex", "status": "active"})})
			exchange(t, c.stations()...)
			witnessAll(t, c.sAdmin, c.sRecep, c.sPhys)
			exchange(t, c.stations()...)
			c.revoke(c.sPh2.p)
			exchange(t, c.stations()...)
			erase := twin.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
				Fields: fields(t, map[string]any{"family": "Erase"})})
			if erase.Header.Seq != allergy.Header.Seq {
				t.Fatalf("no fork: seq %d and %d", erase.Header.Seq, allergy.Header.Seq)
			}
			c.sPhys.apply(erase.Raw)
			honest := []*station{c.sAdmin, c.sRecep, c.sPhys}
			exchange(t, honest...)
			late := open(t, newPerson(t, "Lena Late", roles.Physician), c.id)
			late.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
			if proofFirst {
				late.apply(c.sPhys.own()...)
				late.apply(c.sAdmin.everything()...)
			} else {
				late.apply(c.sPh2.own()...)
				late.apply(c.sAdmin.everything()...)
				late.apply(c.sPhys.everything()...)
			}
			exchange(t, append(honest, late)...)
			for _, s := range append(honest, late) {
				for _, e := range []*crypto.Envelope{allergy, note} {
					if st, reason := s.stateOf(e); st != store.Applied && st != store.Sealed {
						t.Errorf("%s: her allergy at place %d is %v (%s), want it kept", s.p.name, e.Header.Seq, st, reason)
					}
				}
				if fs := s.r.Forks(); len(fs) != 1 || fs[0].Seq != allergy.Header.Seq {
					t.Errorf("%s: forks %+v, want hers from %d", s.p.name, fs, allergy.Header.Seq)
				}
				if st, _ := s.stateOf(erase); st == store.Applied || st == store.Sealed {
					t.Errorf("%s: the branch nobody witnessed stands", s.p.name)
				}
			}
			if d := c.sPhys.snapshot().diff(late.snapshot()); d != "" {
				t.Errorf("Paul's workstation and the late one disagree:\n%s", d)
			}
		})
	}
}

// TestS21ForkSeenMendedOnUpgrade: a workstation of an older version
// refused the fork-seen events by the kind rule (it knew no such kind) and
// kept the branch it got. Once upgraded it judges them again (fields
// revision 15) and sets the branch aside as every other does.
func TestS21ForkSeenMendedOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	twin := restoredCopy(t, c.sRecep, false)
	a, b := c.sRecep.writesEnv(t), twin.writesEnv(t)
	s := c.sPhys
	s.apply(a.Raw)
	c.sAdmin.apply(a.Raw)
	c.sAdmin.apply(b.Raw)
	var evidence []*crypto.Envelope
	for _, raw := range c.sAdmin.own() {
		env, err := crypto.ParseEnvelope(raw)
		if err != nil {
			t.Fatal(err)
		}
		if env.Header.Kind == KindForkSeen {
			evidence = append(evidence, env)
		}
	}
	if len(evidence) != 2 {
		t.Fatalf("the administrator wrote %d fork-seen events, want 2", len(evidence))
	}
	// As an older version kept them: refused by the kind rule.
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		for _, env := range evidence {
			row := rowOf(env, store.Pending, "")
			if _, err := tx.PutEnvelope(ctx, row); err != nil {
				return err
			}
			if err := tx.Refuse(ctx, row.ID, ruleKind, "unknown kind"); err != nil {
				return err
			}
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.state(a.Header.ID); st != store.Applied {
		t.Fatalf("setup: her event is %v", st)
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply()
	if st, why := s.state(a.Header.ID); st != store.Rejected {
		t.Errorf("after the upgrade her forked event is %v (%s), want set aside", st, why)
	}
	if fs := s.r.Forks(); len(fs) != 1 || fs[0].Seq != a.Header.Seq {
		t.Errorf("after the upgrade forks are %+v", fs)
	}
}

// TestAttackS21bForkFirstToANewWorkstation: (h-fork21b, MEDIUM; closed by
// h-fork22: the clinic's three witnesses outvote the newcomer's one). The
// fired physician's forked event at her allergy's place reaches a newly
// admitted colleague's workstation before her witnessed chain does (the
// forker serves her own chain to a workstation that never held it). That
// workstation stores the other branch at that place, cannot store the
// witnessed one (one envelope a place), and, honest, witnesses the branch
// it holds: the witnesses disagree, and the allergy is set aside again on
// every workstation. What it needs: a workstation that holds the
// unwitnessed branch below the highest pin takes the witnessed one in its
// place (the fork-seen evidence carries its first envelope; the rest is
// fetched as a head with another hash is), and witnesses only that.
func TestAttackS21bForkFirstToANewWorkstation(t *testing.T) {
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
	twin.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Erase"})})
	quinn.apply(twin.own()...)
	witnessAll(t, quinn) // her upkeep, before she hears the rest
	honest := []*station{c.sAdmin, c.sRecep, c.sPhys, quinn}
	exchange(t, honest...)
	for _, s := range honest[:3] {
		if st, reason := s.stateOf(allergy); st != store.Applied && st != store.Sealed {
			t.Errorf("%s: her allergy is %v (%s), want it kept", s.p.name, st, reason)
		}
	}
}

// TestS21bWitnessBounded: a workstation's upkeep writes at most one
// witness event per 10 minutes, naming only the chains of other members
// whose heads moved since its last, never its member's own.
func TestS21bWitnessBounded(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	exchange(t, c.stations()...)
	s := c.sPhys
	now := time.Now()
	s.r.p.Now = func() time.Time { return now }
	count := func() int {
		n := 0
		for _, raw := range s.own() {
			if env, err := crypto.ParseEnvelope(raw); err == nil && env.Header.Kind == KindWitness {
				n++
			}
		}
		return n
	}
	first, err := s.r.Witness(ctx)
	if err != nil || first == 0 || count() != 1 {
		t.Fatalf("first witness: %d chains, %v, %d events", first, err, count())
	}
	c.sRecep.patient("Moved")
	exchange(t, c.stations()...)
	if n, err := s.r.Witness(ctx); err != nil || n != 0 || count() != 1 {
		t.Fatalf("a second witness within 10 minutes: %d chains, %v", n, err)
	}
	now = now.Add(11 * time.Minute)
	n, err := s.r.Witness(ctx)
	if err != nil || count() != 2 {
		t.Fatalf("after 10 minutes: %d chains, %v, %d events", n, err, count())
	}
	if n >= first {
		t.Errorf("the second witness names %d chains, want only those that moved (fewer than %d)", n, first)
	}
	held, err := readPinsOf(s, c.sRecep.r.p.Device, c.recep.fp())
	if err != nil || len(held) == 0 {
		t.Errorf("the receptionist's chain is not pinned by the witnesses held: %v %v", held, err)
	}
	if _, ok := held[c.sRecep.r.Fingerprint()]; ok {
		t.Errorf("her own witness pins her chain")
	}
}

func readPinsOf(s *station, device, author string) (m map[string]pinHeld, err error) {
	err = s.db.View(context.Background(), func(tx *store.Tx) error {
		m, _, err = s.r.readPins(context.Background(), tx, device, author)
		return err
	})
	return m, err
}

// TestS21bWitnessMendedOnUpgrade: a workstation of an older version
// refused witness events by the kind rule (it knew no such kind). Once
// upgraded it judges them again (fields revision 16) and holds their pins.
func TestS21bWitnessMendedOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	exchange(t, c.stations()...)
	witnessAll(t, c.sAdmin)
	var w *crypto.Envelope
	for _, raw := range c.sAdmin.own() {
		if env, err := crypto.ParseEnvelope(raw); err == nil && env.Header.Kind == KindWitness {
			w = env
		}
	}
	if w == nil {
		t.Fatal("the administrator wrote no witness")
	}
	s := c.sPhys
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		row := rowOf(w, store.Pending, "")
		if _, err := tx.PutEnvelope(ctx, row); err != nil {
			return err
		}
		if err := tx.Refuse(ctx, row.ID, ruleKind, "unknown kind"); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if held, _ := readPinsOf(s, c.sRecep.r.p.Device, c.recep.fp()); len(held) != 0 {
		t.Fatalf("setup: pins %v", held)
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply()
	if st, why := s.state(w.Header.ID); st != store.Applied {
		t.Errorf("after the upgrade the witness is %v (%s)", st, why)
	}
	if held, _ := readPinsOf(s, c.sRecep.r.p.Device, c.recep.fp()); len(held) != 1 {
		t.Errorf("after the upgrade pins are %v", held)
	}
}
