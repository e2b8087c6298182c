package replica

import (
	"context"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS29XReasonHoldsNoRecordText: Attack (MEDIUM, plaintext on
// disk: the reason a refused envelope is kept with is a column in clear
// of the profile's database, and the refused list shows it): the value
// rule (session 28) quoted what it refused — a prescription's drug and
// dose ("drug 1 of a signed prescription (amoxicillin) … "lots""), a
// booking's start — so a physician's modified software that signed a
// dose of "lots" put the patient's drug in clear on every colleague's
// disk. The reason now says which rule and where, never the value.
func TestAttackS29XReasonHoldsNoRecordText(t *testing.T) {
	c := newClinic(t)
	at := afterValues(c)
	p := registered(t, c.sPhys, "Abbott", "MH0000001")
	exchange(t, c.stations()...)
	envs := []*crypto.Envelope{
		prescription(t, c.sPhys, p.Header.Entity, at, "lots"),
		prescription(t, c.sPhys, p.Header.Entity, at, "1", "as much as you like"),
	}
	c.sPh2.apply(c.sPhys.own()...)
	for _, env := range envs {
		st, why := c.sPh2.stateOf(env)
		if st != store.Rejected {
			t.Fatalf("the prescription is %v on Pia's workstation (%s); want refused", st, why)
		}
		for _, secret := range []string{"amoxicillin", "lots", "as much"} {
			if strings.Contains(why, secret) {
				t.Errorf("the refusal's reason, kept in clear, quotes %q: %s", secret, why)
			}
		}
		if !strings.Contains(why, "the dose is not an amount") {
			t.Errorf("the reason no longer says what is wrong: %s", why)
		}
	}
	r := registered(t, c.sRecep, "Baker", "MH0000002")
	b := booking(t, c.sRecep, r.Header.Entity, c.phys.fp(), nil)
	exchange(t, c.stations()...)
	for _, start := range []string{"next Tuesday", "9999-01-01T10:00:00Z"} {
		moved := c.sRecep.forge(forged{Entity: b.Header.Entity, Kind: "appointment", Scope: string(roles.FrontDesk),
			Fields: fields(t, map[string]any{"start": start})})
		c.sPh2.apply(c.sRecep.own()...)
		st, why := c.sPh2.stateOf(moved)
		if st != store.Rejected {
			t.Fatalf("the move to %q is %v (%s); want refused", start, st, why)
		}
		for _, secret := range []string{"Tuesday", "9999"} {
			if strings.Contains(why, secret) {
				t.Errorf("the refusal's reason, kept in clear, quotes %q: %s", secret, why)
			}
		}
	}
}

// TestAttackS29XOldReasonRewrittenOnUpgrade: a reason kept by a version
// that quoted the refused values (session 28) is written again, without
// them, when this version opens the store (the declarations changed, so
// the records the value rules judge are judged again).
func TestAttackS29XOldReasonRewrittenOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	at := afterValues(c)
	p := registered(t, c.sPhys, "Abbott", "MH0000001")
	exchange(t, c.stations()...)
	lots := prescription(t, c.sPhys, p.Header.Entity, at, "lots")
	s := c.sPh2
	s.apply(c.sPhys.own()...)
	if st, rule := s.ruleOf(lots.Header.ID); st != store.Rejected {
		t.Fatalf("setup: the prescription is %v (rule %q); want refused", st, rule)
	}
	// As session 28 kept it: the reason quoting the drug and the dose.
	old := `content: drug 1 of a signed prescription (amoxicillin 500 mg capsule): the dose "lots" is not an amount`
	if err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Refuse(ctx, lots.Header.ID, ruleContent, old); err != nil {
			return err
		}
		return forgetFieldsRule(ctx, tx)
	}); err != nil {
		t.Fatal(err)
	}
	openAgain(t, s)
	st, why := s.stateOf(lots)
	if st != store.Rejected {
		t.Fatalf("after the upgrade the prescription is %v (%s); want refused", st, why)
	}
	for _, secret := range []string{"amoxicillin", "lots"} {
		if strings.Contains(why, secret) {
			t.Errorf("after the upgrade the reason kept in clear still quotes %q: %s", secret, why)
		}
	}
}
