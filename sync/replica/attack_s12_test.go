package replica

// Session 12 hostile review (h-sec12): throw-away proofs, each failing on
// main at the commit the review began.

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// personBefore is a person whose fingerprint sorts before fp (a key made
// again until it does: a few tries).
func personBefore(t *testing.T, name string, role roles.Role, fp string) *person {
	t.Helper()
	for {
		if p := newPerson(t, name, role); p.fp() < fp {
			return p
		}
	}
}

// (c *clinic) admit p on a workstation of her own, handed the directory key.
func (c *clinic) admitPerson(t *testing.T, p *person) *station {
	t.Helper()
	s := join(t, p, c.id, c.admin.fp())
	c.sAdmin.apply(s.own()...)
	c.sAdmin.admit(p)
	c.sAdmin.grant(roles.Directory, p)
	return s
}

// TestAttackAsideTakesDeskReachedStrangersKey: adoptAside gathers the
// public keys of the members reached for every scope with a grant aside
// into one map, then takes the first applied grant of a due clinical
// epoch whose author is in that map: a physician the newcomer reaches
// only for the front desk (a receptionist confirmed her in person) is
// taken as the source of the clinical key. Her made-up key under the
// clinic's genuine epoch replaces the confirmed colleague's grant, and the
// newcomer cannot open the clinic's notes of that epoch.
func TestAttackAsideTakesDeskReachedStrangersKey(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	sly := personBefore(t, "Sly Standin", roles.Physician, c.phys.fp())
	sSly := c.admitPerson(t, sly)
	xena := newPerson(t, "Xena Other", roles.Physician)
	sX := c.admitPerson(t, xena)
	nora := newPerson(t, "Nora Newcomer", roles.Physician)
	sNora := c.admitPerson(t, nora)
	all := append(c.stations(), sSly, sX, sNora)
	exchange(t, all...)
	// Rita met Sly at the desk and confirmed her for the front desk (a
	// receptionist confirms anyone: desk/).
	if err := c.sRecep.r.Confirm(ctx, sly.fp()); err != nil {
		t.Fatal(err)
	}
	k, _ := c.sPhys.r.Key(roles.Clinical)
	note := c.sPhys.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"plan": "written under the clinic's epoch"})})
	exchange(t, all...)
	// Before Nora confirms anyone: Paul's grant of the clinic's key, Sly's
	// made-up key under the same epoch, and Xena's front-desk epoch of her
	// own all arrive and wait aside.
	if _, err := c.sPhys.r.Grant(ctx, k, nora.fp()); err != nil {
		t.Fatal(err)
	}
	fake := sSly.grantMadeUp(roles.Clinical, k.Epoch, nora)
	xk, err := sX.r.NewEpoch(ctx, roles.FrontDesk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sX.r.Grant(ctx, xk, nora.fp()); err != nil {
		t.Fatal(err)
	}
	// Sly's front-desk epoch waits aside too: she will be reached for it.
	dk, err := sSly.r.NewEpoch(ctx, roles.FrontDesk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sSly.r.Grant(ctx, dk, nora.fp()); err != nil {
		t.Fatal(err)
	}
	exchange(t, all...)
	if sNora.r.Holds(roles.Clinical) {
		t.Fatal("setup: Nora took a key before she confirmed anyone")
	}
	// Nora confirms Paul in person: she reaches Paul and Pia for the
	// clinical key, and through Rita, Sly for the front desk only.
	if err := sNora.r.Confirm(ctx, c.phys.fp()); err != nil {
		t.Fatal(err)
	}
	sNora.apply()
	if sNora.r.Confirmed(roles.Clinical, sly.fp()) || !sNora.r.Reaches(roles.FrontDesk, nora.fp())[sly.fp()] {
		t.Fatal("setup: Sly should be reached for the front desk only")
	}
	for _, held := range sNora.r.Keys(roles.Clinical) {
		if held.Epoch == k.Epoch && held.Secret == fake.Secret {
			t.Errorf("Nora took Sly's made-up key for the clinic's epoch %#x (Sly is reached for the front desk only)", k.Epoch)
		}
	}
	if _, _, err := sNora.r.Entity(ctx, note.Header.Entity); err != nil {
		t.Errorf("Nora cannot open Paul's note of the clinic's epoch: %v", err)
	}
	// The neighbouring case: for the front desk Sly is reached, so her
	// grant of a front-desk epoch is taken from the aside.
	if !slices.ContainsFunc(sNora.r.Keys(roles.FrontDesk), func(k crypto.ScopeKey) bool { return k == dk }) {
		t.Errorf("Nora did not take Sly's front-desk epoch %#x (Sly is reached for the front desk)", dk.Epoch)
	}
}

// TestAttackRevokedPhysiciansRoleRewriteSplitsClinic: a confirmation
// stands after its writer is revoked, "so a clinic whose senior physician
// leaves is not split" (confirm.go); but a "member/" field counted by its
// writer's role now (edgeLocked), and nothing stops an administrator from
// writing another role into a revoked member's entry. She did, and the
// physicians the leaver alone connected no longer counted each other as
// confirmed: neither granted the other the clinic's new epochs (session 12
// review, F2). A revoked member's "member/" fields now count whatever role
// her entry says. An active physician moved to the front desk honestly no
// longer vouches for physicians: the colleagues she alone connected stop
// counting each other until they confirm each other in person (Known
// limits), which the last case shows.
func TestAttackRevokedPhysiciansRoleRewriteSplitsClinic(t *testing.T) {
	for _, tc := range []struct {
		name   string
		revoke bool
		role   roles.Role
		split  bool // the honest move: expected, until they confirm each other
	}{
		{"revoked, rewritten administrator", true, roles.Administrator, false},
		{"revoked, rewritten receptionist", true, roles.Receptionist, false},
		{"active, moved to the front desk", false, roles.Receptionist, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Paul, the senior physician, met Pia and Tom; they met him.
			c, tom, sTom, all := clinicAroundPaul(t)
			if !c.sPh2.r.MayGrant(roles.Clinical, tom.fp()) || !sTom.r.MayGrant(roles.Clinical, c.phys2.fp()) {
				t.Fatal("setup: Pia and Tom should count each other through Paul")
			}
			if tc.revoke {
				c.revoke(c.phys)
				exchange(t, all...)
				if !c.sPh2.r.MayGrant(roles.Clinical, tom.fp()) {
					t.Fatal("setup: Paul's leaving split the clinic")
				}
			}
			// The administrator writes another role into Paul's entry.
			c.changeRole(c.phys, tc.role)
			exchange(t, all...)
			counted := c.sPh2.r.Confirmed(roles.Clinical, tom.fp()) && sTom.r.Confirmed(roles.Clinical, c.phys2.fp())
			if counted == tc.split {
				t.Errorf("Pia and Tom count each other as confirmed: %v, want %v", counted, !tc.split)
			}
			if !tc.split {
				return
			}
			// What the clinic does: Pia and Tom confirm each other in person.
			confirmEachOther(t, c.sPh2, sTom)
			exchange(t, all...)
			if !c.sPh2.r.MayGrant(roles.Clinical, tom.fp()) || !sTom.r.MayGrant(roles.Clinical, c.phys2.fp()) {
				t.Error("Pia and Tom confirmed each other in person and still do not count each other")
			}
		})
	}
}

// TestConfirmNamesNoStranger: this version's software confirms only an
// admitted, active member (session 12 review, F3: the part modified
// software can skip).
func TestConfirmNamesNoStranger(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	stranger := newPerson(t, "Peggy Puppet", roles.Receptionist)
	for _, tc := range []struct {
		name    string
		s       *station
		confirm func(context.Context, string) error
	}{
		{"receptionist, desk", c.sRecep, c.sRecep.r.ConfirmDesk},
		{"receptionist", c.sRecep, c.sRecep.r.Confirm},
		{"physician", c.sPhys, c.sPhys.r.Confirm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.confirm(ctx, stranger.fp()); !errors.Is(err, ErrForbidden) {
				t.Errorf("confirmed a key no member holds: %v", err)
			}
		})
	}
	tom, sTom := c.admitted(t, "Tom Third", roles.Physician)
	exchange(t, append(c.stations(), sTom)...)
	c.revoke(tom)
	exchange(t, append(c.stations(), sTom)...)
	if err := c.sPhys.r.Confirm(ctx, tom.fp()); !errors.Is(err, ErrForbidden) {
		t.Errorf("confirmed a revoked member: %v", err)
	}
}

// TestAttackS12ConfirmationOfAKeyNotYetAdmitted: a confirmation may name
// any fingerprint, a member's or not, and the reckoning counted the edge
// once the key was admitted, whenever the confirmation was written
// (session 12 review, F3). A member's modified software confirms, while
// she is trusted, a key of her own making that nobody in the clinic has
// seen, so nothing on anyone's Colleagues screen shows it; she leaves (or
// is made an administrator), an administrator admits that key, the
// stand-in confirms her back, and a colleague who reaches her through the
// old confirmation grants the stand-in the scope's new epochs. A
// confirmation now names the admission it counts for (the entry's first
// event, by its hash: unknown before the administrator signs it), and one
// in the older form (a bare key) counts only after the admission in the
// clinic's order of events (confirm.go): none of these counts, on any
// workstation, whatever order the events came in.
func TestAttackS12ConfirmationOfAKeyNotYetAdmitted(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		role   roles.Role // the stand-in's, and so the scope she is after
		leaves func(c *clinic, p *person)
		field  func(fp string) string // what the leaver's software writes in advance
		ahead  bool                   // written with its clock run as far ahead as any workstation takes
	}{
		{"receptionist, made an administrator", roles.Receptionist, func(c *clinic, p *person) { c.changeRole(p, roles.Administrator) },
			func(fp string) string { return "desk/" + fp }, false},
		{"receptionist, revoked", roles.Receptionist, func(c *clinic, p *person) { c.revoke(p) },
			func(fp string) string { return "desk/" + fp }, false},
		{"receptionist, revoked, clock run ahead", roles.Receptionist, func(c *clinic, p *person) { c.revoke(p) },
			func(fp string) string { return "desk/" + fp }, true},
		{"receptionist, revoked, an admission guessed", roles.Receptionist, func(c *clinic, p *person) { c.revoke(p) },
			func(fp string) string { return "desk/" + fp + "/" + guessedAdmission }, false},
		{"physician, revoked", roles.Physician, func(c *clinic, p *person) { c.revoke(p) },
			func(fp string) string { return "member/" + fp }, false},
		{"physician, revoked, an admission guessed", roles.Physician, func(c *clinic, p *person) { c.revoke(p) },
			func(fp string) string { return "member/" + fp + "/" + guessedAdmission }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			scope, leaver, sLeaver, prefix := roles.FrontDesk, c.recep, c.sRecep, "desk/"
			if tc.role == roles.Physician {
				scope, leaver, sLeaver, prefix = roles.Clinical, c.phys, c.sPhys, "member/"
			}
			puppet := newPerson(t, "Peggy Puppet", tc.role)
			// While trusted, the leaver confirms a key no member holds: her
			// own software refuses, so her modified software writes it.
			if err := sLeaver.r.Confirm(ctx, puppet.fp()); !errors.Is(err, ErrForbidden) {
				t.Errorf("the leaver's software confirmed a key no member holds: %v", err)
			}
			f := forged{Entity: ConfirmsEntity(leaver.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{tc.field(puppet.fp()): json.RawMessage("true")}}
			if tc.ahead {
				f.Lamport = sLeaver.r.lamport + ClockWindow
			}
			early := sLeaver.forge(f)
			exchange(t, c.stations()...)
			for _, s := range c.stations() {
				// Applied everywhere: what makes it count is judged where it is read.
				if st, reason := s.state(early.Header.ID); st != store.Applied {
					t.Fatalf("setup: %s: the early confirmation is %v (%s)", s.p.name, st, reason)
				}
			}
			tc.leaves(c, leaver)
			exchange(t, c.stations()...)
			// An administrator admits the stand-in; the stand-in confirms
			// the leaver back (her software skips the check on a leaver).
			sPup := c.admitPerson(t, puppet)
			all := append(c.stations(), sPup)
			exchange(t, all...)
			sPup.forge(forged{Entity: ConfirmsEntity(puppet.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{prefix + leaver.fp(): json.RawMessage("true")}})
			exchange(t, all...)
			// A workstation that came later, and took every event in the
			// reverse order of the clinic's.
			late := c.observer(t)
			evs := slices.Clone(c.sAdmin.everything())
			slices.Reverse(evs)
			for range 4 {
				late.apply(evs...)
			}
			late.apply(sPup.everything()...)
			for _, s := range append(all, late) {
				var through []string
				for _, giver := range []*person{c.phys, c.phys2, c.recep} {
					if s.r.Reaches(scope, giver.fp())[puppet.fp()] {
						through = append(through, giver.name)
					}
				}
				if len(through) > 0 {
					t.Errorf("on %s's workstation %v reach the stand-in for the %s key through a confirmation written before her admission",
						s.p.name, through, scope)
				}
				if s != sPup && s.r.MayGrant(scope, puppet.fp()) {
					t.Errorf("%s's workstation grants the %s key to the stand-in", s.p.name, scope)
				}
			}
			if sPup.r.Holds(scope) {
				t.Errorf("the stand-in holds the %s key", scope)
			}
		})
	}
}

// guessedAdmission is what a member who cannot know an admission's hash
// names instead: any 64 hex digits.
const guessedAdmission = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed"

// TestAttackWithdrawnConfirmationsSplitClinic: confirmations "only grow
// (the app never writes one false)", but the reckoning read the record's
// merged state (confirmationsOf): a physician's modified software that
// wrote her confirmations false took the edges out, and the colleagues she
// alone connected stopped counting each other (session 12 review, F4). A
// confirms field is now only ever written true (roles.Keyed.Set): every
// workstation refuses anything else on apply, and the writer's own
// software before it signs.
func TestAttackWithdrawnConfirmationsSplitClinic(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
	}{
		{"false", "false"},
		{"null", "null"},
		{"a string", `"true"`},
		{"a number", "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, tom, sTom, all := clinicAroundPaul(t)
			if !c.sPh2.r.MayGrant(roles.Clinical, tom.fp()) {
				t.Fatal("setup: Pia should count Tom through Paul")
			}
			v := json.RawMessage(tc.value)
			withdraw := Fields{c.sPhys.confirmation("member/", c.phys2): v, c.sPhys.confirmation("member/", tom): v}
			_, err := c.sPhys.r.Append(context.Background(), Change{Entity: ConfirmsEntity(c.phys.fp()), Kind: KindConfirms,
				Scope: roles.Directory, Fields: withdraw})
			if !errors.Is(err, ErrForbidden) {
				t.Errorf("Paul's own workstation wrote his confirmations %s: %v", tc.value, err)
			}
			env := c.sPhys.forge(forged{Entity: ConfirmsEntity(c.phys.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: withdraw})
			exchange(t, all...)
			wantRefused(t, env, "never withdrawn", c.sPh2, sTom, c.sAdmin)
			if !c.sPh2.r.Confirmed(roles.Clinical, tom.fp()) || !sTom.r.Confirmed(roles.Clinical, c.phys2.fp()) {
				t.Errorf("Paul's confirmations written %s split Pia and Tom", tc.value)
			}
		})
	}
}

// TestWithdrawnConfirmationMendedOnUpgrade: a workstation of an older
// version applied a physician's withdrawal (no rule then) and split from
// her colleagues; opened by this version (the fields rule's version
// changed), it refuses that event once and counts them again, as a
// workstation that had the rule all along.
func TestWithdrawnConfirmationMendedOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c, tom, sTom, _ := clinicAroundPaul(t)
	env := c.sPhys.forge(forged{Entity: ConfirmsEntity(c.phys.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
		Fields: Fields{c.sPhys.confirmation("member/", tom): json.RawMessage("false")}})
	// As the older version did: stored, applied, merged.
	s := c.sPh2
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		defer s.r.begin()()
		if err := s.applyUnjudged(ctx, tx, env); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.r.Confirmed(roles.Clinical, tom.fp()) {
		t.Fatal("setup: the older workstation should have lost Tom")
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, env, "never withdrawn", s)
	if !s.r.Confirmed(roles.Clinical, tom.fp()) {
		t.Error("after the upgrade Pia still does not count Tom")
	}
	sTom.apply(raws(env)...)
	if !sTom.r.Confirmed(roles.Clinical, c.phys2.fp()) {
		t.Error("Tom does not count Pia")
	}
}

// clinicAroundPaul is the test clinic with a third physician, Tom, whom
// Paul confirmed as he confirmed Pia: Pia and Tom count each other only
// through Paul. all is every station, Tom's included.
func clinicAroundPaul(t *testing.T) (c *clinic, tom *person, sTom *station, all []*station) {
	t.Helper()
	c = newClinic(t)
	tom, sTom = c.admitted(t, "Tom Third", roles.Physician)
	all = append(c.stations(), sTom)
	exchange(t, all...)
	confirmEachOther(t, c.sPhys, sTom)
	exchange(t, all...)
	return c, tom, sTom, all
}

// confirmation is the field s writes when it confirms p by prefix
// ("member/", "desk/"): it names her admission.
func (s *station) confirmation(prefix string, p *person) string {
	s.r.state.RLock()
	defer s.r.state.RUnlock()
	return prefix + p.fp() + "/" + s.r.admissions[p.fp()].hash
}
