package replica

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestConfirmationNamesAnAdmission: this version's confirmation names the
// colleague's admission (an event of her directory entry, by hash), and
// the fields rule takes that form, the older bare form, and nothing else.
func TestConfirmationNamesAnAdmission(t *testing.T) {
	c := newClinic(t)
	field := c.sPh2.confirmation("member/", c.phys)
	if _, adm, _ := strings.Cut(strings.TrimPrefix(field, "member/"), "/"); len(adm) != 64 {
		t.Fatalf("setup: no admission known for Paul: %q", field)
	}
	c.sPh2.r.state.RLock()
	_, wrote := c.sPh2.r.confirms[c.phys2.fp()].set[field]
	c.sPh2.r.state.RUnlock()
	if !wrote || !c.sPhys.r.Confirms(roles.Clinical, c.phys2.fp(), c.phys.fp()) {
		t.Errorf("Pia's confirmation of Paul does not name his admission (%s), or does not count", field)
	}
	for _, tc := range []struct {
		name, field string
		want        store.EnvelopeState
	}{
		{"naming an admission", "member/" + c.recep.fp() + "/" + guessedAdmission, store.Applied},
		{"bare, as older versions wrote", "desk/" + c.recep.fp(), store.Applied},
		{"an admission too short", "member/" + c.recep.fp() + "/" + guessedAdmission[:40], store.Rejected},
		{"an admission in capitals", "member/" + c.recep.fp() + "/" + strings.ToUpper(guessedAdmission), store.Rejected},
		{"two admissions", "desk/" + c.recep.fp() + "/" + guessedAdmission + "/" + guessedAdmission, store.Rejected},
		{"no fingerprint", "desk//" + guessedAdmission, store.Rejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{tc.field: json.RawMessage("true")}})
			c.sPhys.apply(env.Raw)
			if st, reason := c.sPhys.state(env.Header.ID); st != tc.want {
				t.Errorf("%s (%s), want %s", st, reason, tc.want)
			}
		})
	}
	// A field naming anything but an event of Rita's entry confirms nobody.
	if c.sPhys.r.Confirms(roles.FrontDesk, c.phys2.fp(), c.recep.fp()) {
		t.Error("a confirmation naming an admission that is not Rita's counts")
	}
	// One naming a later event of her entry that is neither her admission
	// nor a change of her role counts for nothing: an event written before
	// the admission, with another role or none, is such an event too
	// (session 16 review h-sec16b, A).
	later := c.sAdmin.append(Change{Entity: c.recep.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"name": c.recep.name})})
	exchange(t, c.stations()...)
	env := c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
		Fields: Fields{"desk/" + c.recep.fp() + "/" + later.Hash(): json.RawMessage("true")}})
	c.sPhys.apply(env.Raw)
	if c.sPhys.r.Confirms(roles.FrontDesk, c.phys2.fp(), c.recep.fp()) {
		t.Error("a confirmation naming a later event of Rita's entry, not her admission, counts")
	}
}

// TestOlderConfirmationsCarriedOver: confirmations an older version wrote
// (a bare key: "member/FINGERPRINT") keep counting where they were written
// after the colleague's admission, also once their writer is revoked; the
// writer's own workstation writes them again naming the admission, once;
// from then on her bare fields count no more, and one written before the
// admission is never carried over.
func TestOlderConfirmationsCarriedOver(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		upgrade bool // Tom's workstation carries his confirmations over
		revoke  bool // Tom leaves (before or after)
		carried int  // of Tom's confirmations, carried over before (a carry interrupted)
	}{
		{"older records", false, false, 0},
		{"older records, their writer revoked", false, true, 0},
		{"carried over", true, false, 0},
		{"carried over, then revoked", true, true, 0},
		{"carried over after an interruption", true, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Tom, on an older version, confirmed Paul and Uma; Uma and Paul
			// confirmed him: Paul and Uma count each other through Tom.
			c := newClinic(t)
			tom, sTom := c.admitted(t, "Tom Third", roles.Physician)
			uma, sUma := c.admitted(t, "Uma Upgraded", roles.Physician)
			yan := newPerson(t, "Yan Yet-to-come", roles.Physician)
			all := append(c.stations(), sTom, sUma)
			exchange(t, all...)
			bare := func(s *station, of ...*person) { // as an older version's Confirm wrote them
				f := Fields{}
				for _, p := range of {
					f["member/"+p.fp()] = json.RawMessage("true")
				}
				s.append(Change{Entity: ConfirmsEntity(s.p.fp()), Kind: KindConfirms, Scope: roles.Directory, Fields: f})
			}
			bare(sTom, c.phys, uma, yan) // Yan: a key nobody admitted yet
			bare(sUma, tom)
			if err := c.sPhys.r.Confirm(ctx, tom.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			sYan := c.admitPerson(t, yan)
			all = append(all, sYan)
			exchange(t, all...)
			bare(sYan, tom)
			exchange(t, all...)
			if tc.upgrade {
				if tc.carried > 0 {
					sTom.append(Change{Entity: ConfirmsEntity(tom.fp()), Kind: KindConfirms, Scope: roles.Directory,
						Fields: Fields{sTom.confirmation("member/", c.phys): json.RawMessage("true")}})
				}
				for _, want := range []int{2 - tc.carried, 0} { // Paul and Uma, then nothing more
					if n, err := sTom.r.CarryConfirmations(ctx); err != nil || n != want {
						t.Fatalf("Tom carries over %d confirmations (%v), want %d", n, err, want)
					}
				}
				exchange(t, all...)
				if f := sTom.confirmation("member/", uma); !c.sPhys.holdsField(ConfirmsEntity(tom.fp()), f) {
					t.Errorf("Tom's carried confirmation of Uma does not name her admission (%s)", f)
				}
			}
			if tc.revoke {
				c.revoke(tom)
				exchange(t, all...)
			}
			late := c.observer(t)
			evs := slices.Clone(c.sAdmin.everything())
			slices.Reverse(evs)
			for range 4 {
				late.apply(evs...)
			}
			for _, s := range append(all, late) {
				if !s.r.Reaches(roles.Clinical, c.phys.fp())[uma.fp()] || !s.r.Reaches(roles.Clinical, uma.fp())[c.phys.fp()] {
					t.Errorf("on %s's workstation Paul and Uma no longer reach each other through Tom's confirmations", s.p.name)
				}
				if s.r.Reaches(roles.Clinical, c.phys.fp())[yan.fp()] {
					t.Errorf("on %s's workstation Paul reaches Yan through Tom's confirmation written before her admission", s.p.name)
				}
			}
			if !tc.upgrade || tc.revoke {
				return
			}
			// From now on Tom's bare fields count no more: his software
			// names admissions, so a bare one is no older version's.
			vic, sVic := c.admitted(t, "Vic Fourth", roles.Physician)
			all = append(all, sVic)
			exchange(t, all...)
			bare(sTom, vic)
			bare(sVic, tom)
			exchange(t, all...)
			if c.sPhys.r.Reaches(roles.Clinical, c.phys.fp())[vic.fp()] {
				t.Error("a bare confirmation counts in a record that names admissions")
			}
		})
	}
}

// holdsField reports whether record id holds field name set true on s.
func (s *station) holdsField(id, name string) bool {
	s.t.Helper()
	_, st, err := s.r.Entity(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return string(st[name].V) == "true"
}

// TestOlderWorkstationTakesConfirmationsNamingAdmissions: a workstation of
// the version before refused a confirmation naming an admission (its
// fields rule knew the bare form only); opened by this version (the fields
// rule's version changed) it judges that event again, applies it and
// counts the colleague.
func TestOlderWorkstationTakesConfirmationsNamingAdmissions(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	tom, sTom := c.admitted(t, "Tom Third", roles.Physician)
	exchange(t, append(c.stations(), sTom)...)
	if err := c.sPhys.r.Confirm(ctx, tom.fp()); err != nil {
		t.Fatal(err)
	}
	own := c.sPhys.own()
	env, err := crypto.ParseEnvelope(own[len(own)-1])
	if err != nil {
		t.Fatal(err)
	}
	s := c.sPh2
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.PutEnvelope(ctx, rowOf(env, store.Applied, "")); err != nil {
			return err
		}
		old := fmt.Errorf("confirms records have no field %q", c.sPhys.confirmation("member/", tom))
		if err := tx.Refuse(ctx, env.Header.ID, ruleContent, fieldsReason(old)); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply()
	if st, reason := s.state(env.Header.ID); st != store.Applied || !s.r.Confirms(roles.Clinical, c.phys.fp(), tom.fp()) {
		t.Errorf("after the upgrade Paul's confirmation of Tom is %v (%s), counted: %v", st, reason, s.r.Confirms(roles.Clinical, c.phys.fp(), tom.fp()))
	}
}
