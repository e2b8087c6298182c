package replica

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// ruleOf returns the state and rule an envelope holds on s.
func (s *station) ruleOf(id string) (store.EnvelopeState, string) {
	s.t.Helper()
	e, err := s.envelope(id)
	if err != nil {
		s.t.Fatal(err)
	}
	return e.State, e.Rule
}

// split is a recovery split's id (32 hex digits).
var split = strings.Repeat("ab", 16)

// TestConfirmsJudgedByTheRoleAtTheEvent (session 13 review, B5): a
// confirms field is judged on apply by the role its writer held at the
// event (roleAt): "member/" and "recovery/" need the clinical scope,
// "desk/" the front desk's. Refused by the role rule, so a change of her
// history judges it again, and every workstation ends alike whichever of
// the change and the confirmation it applied first.
func TestConfirmsJudgedByTheRoleAtTheEvent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		writer  func(c *clinic) *station
		prefix  string
		about   func(c *clinic) *person
		toDesk  bool // Ada moves Pia to the front desk before she writes it
		applied bool
	}{
		{name: "control: a physician confirms a physician", writer: func(c *clinic) *station { return c.sPh2 },
			prefix: confirmsFieldPrefix, about: func(c *clinic) *person { return c.recep }, applied: true},
		{name: "control: a receptionist confirms for the front desk", writer: func(c *clinic) *station { return c.sRecep },
			prefix: deskFieldPrefix, about: func(c *clinic) *person { return c.phys2 }, applied: true},
		{name: "a receptionist writes member/", writer: func(c *clinic) *station { return c.sRecep },
			prefix: confirmsFieldPrefix, about: func(c *clinic) *person { return c.phys2 }},
		{name: "a receptionist approves a recovery split", writer: func(c *clinic) *station { return c.sRecep },
			prefix: approvesFieldPrefix},
		{name: "an administrator writes desk/", writer: func(c *clinic) *station { return c.sAdmin },
			prefix: deskFieldPrefix, about: func(c *clinic) *person { return c.recep }},
		{name: "a physician moved to the desk writes member/", writer: func(c *clinic) *station { return c.sPh2 },
			prefix: confirmsFieldPrefix, about: func(c *clinic) *person { return c.recep }, toDesk: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			w := tc.writer(c)
			if tc.toDesk {
				honestChange(t, c.sAdmin, c.phys2, 1, roles.Receptionist) // not yet sent to anyone
			}
			field := tc.prefix + split
			if tc.about != nil {
				field = w.confirmation(tc.prefix, tc.about(c))
			}
			conf := w.forge(forged{Entity: ConfirmsEntity(w.p.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{field: mustJSON(true)}})
			// Paul applies the confirmation first, Rita the change first.
			c.sPhys.apply(w.own()...)
			c.sRecep.apply(c.sAdmin.own()...)
			exchange(t, c.stations()...)
			// A newcomer who takes it all, her directory grant last,
			// ends alike.
			_, sNew := c.admitted(t, "Nora Newcomer", roles.Receptionist)
			sNew.apply(c.sPh2.everything()...)
			sNew.apply(c.sAdmin.everything()...)
			for _, s := range []*station{c.sPhys, c.sRecep, c.sAdmin, sNew} {
				if s == w {
					continue // its own software wrote it (forge)
				}
				st, rule := s.ruleOf(conf.Header.ID)
				if got := st == store.Applied; got != tc.applied || !tc.applied && rule != ruleRole {
					t.Errorf("%s: %s's %s is %v (rule %q); want applied %v, else refused by the role rule",
						s.p.name, w.p.name, field, st, rule, tc.applied)
				}
			}
		})
	}
}

// TestConfirmsRoleRuleBeforeWriting: a workstation does not write the
// confirms field every other would refuse for its role (Append).
func TestConfirmsRoleRuleBeforeWriting(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	for _, tc := range []struct {
		name  string
		s     *station
		field string
	}{
		{"a receptionist's member/", c.sRecep, c.sRecep.confirmation(confirmsFieldPrefix, c.phys)},
		{"a receptionist's recovery/", c.sRecep, approvesFieldPrefix + split},
		{"an administrator's desk/", c.sAdmin, c.sAdmin.confirmation(deskFieldPrefix, c.recep)},
	} {
		_, err := tc.s.r.Append(ctx, Change{Entity: ConfirmsEntity(tc.s.p.fp()), Kind: KindConfirms, Scope: roles.Directory,
			Fields: Fields{tc.field: mustJSON(true)}})
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: Append = %v; want ErrForbidden", tc.name, err)
		}
	}
}

// TestConfirmsRoleRuleMendedOnUpgrade: a store an older version judged
// (it applied a receptionist's member/ field) judges it again once opened
// by this version (roles.FieldsVersion changed: mendFields).
func TestConfirmsRoleRuleMendedOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	conf := c.sRecep.forge(forged{Entity: ConfirmsEntity(c.recep.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
		Fields: Fields{c.sRecep.confirmation(confirmsFieldPrefix, c.phys2): mustJSON(true)}})
	exchange(t, c.stations()...)
	s := c.sPhys
	// As the older version kept it: applied, in the record.
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		defer s.r.begin()()
		if err := tx.SetStates(ctx, []string{conf.Header.ID}, store.Applied, ""); err != nil {
			return err
		}
		if err := s.r.rebuildEntity(ctx, tx, ConfirmsEntity(c.recep.fp())); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.ruleOf(conf.Header.ID); st != store.Applied {
		t.Fatalf("setup: the confirmation is %v, want applied", st)
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply()
	if st, rule := s.ruleOf(conf.Header.ID); st != store.Rejected || rule != ruleRole {
		t.Errorf("after the upgrade Rita's member/ field is %v (rule %q); want refused by the role rule", st, rule)
	}
	s.r.state.RLock()
	_, kept := s.r.confirms[c.recep.fp()].set[c.sRecep.confirmation(confirmsFieldPrefix, c.phys2)]
	s.r.state.RUnlock()
	if kept {
		t.Error("Rita's record on Paul's workstation still holds her member/ field")
	}
}

// TestConfirmsRoleRuleWhenUnsealed: a confirmation kept sealed (its
// workstation held no key of its epoch) is judged by the role rule when
// the key comes and it opens (unseal.go), as on apply.
func TestConfirmsRoleRuleWhenUnsealed(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	if _, err := c.sAdmin.r.NewEpoch(ctx, roles.Directory); err != nil {
		t.Fatal(err)
	}
	c.sAdmin.grant(roles.Directory, c.recep)
	c.sRecep.apply(c.sAdmin.own()...)
	conf := c.sRecep.forge(forged{Entity: ConfirmsEntity(c.recep.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
		Fields: Fields{c.sRecep.confirmation(confirmsFieldPrefix, c.phys2): mustJSON(true)}})
	c.sPhys.apply(c.sRecep.own()...)
	if st, _ := c.sPhys.ruleOf(conf.Header.ID); st != store.Sealed {
		t.Fatalf("setup: Rita's confirmation is %v on Paul's workstation, want sealed (no key of its epoch yet)", st)
	}
	c.sAdmin.grant(roles.Directory, c.phys)
	c.sPhys.apply(c.sAdmin.own()...)
	if st, rule := c.sPhys.ruleOf(conf.Header.ID); st != store.Rejected || rule != ruleRole {
		t.Errorf("opened on Paul's workstation, Rita's member/ field is %v (rule %q); want refused by the role rule", st, rule)
	}
}
