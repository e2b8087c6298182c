package replica

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackVitalsAuthorRuleIsNotDated: the author rule judged only events
// whose signed time was from the day it began, and nothing bounds that
// time: a physician's modified software that put a colleague's name in
// recorded_by also signed a time the day before, and every workstation
// applied it (session 11 review, finding 7).
func TestAttackVitalsAuthorRuleIsNotDated(t *testing.T) {
	c := newClinic(t)
	for _, at := range []int64{nameRuleSince - 1, 1} {
		env := c.sPhys.forge(forged{Entity: crypto.NewEventID(), Kind: "vitals", Scope: string(roles.Clinical), Time: at,
			Fields: fields(t, map[string]any{"patient": "p1", "pulse": 70, "recorded_by": c.phys2.fp()})})
		for _, s := range []*station{c.sRecep, c.sPh2, c.sAdmin} {
			s.apply(env.Raw)
		}
		if st, why := c.sPh2.state(env.Header.ID); st != store.Rejected {
			t.Errorf("a vitals set naming a colleague as recorded_by, signed at %d ms, is %v (%s) on the colleague's own workstation", at, st, why)
		}
	}
}

// TestAttackVitalsChangeNamesItsAuthor: the author rule judged only an
// event that wrote recorded_by, so a colleague's modified software that
// changed the values of Petra's vitals set left her name on what it wrote
// (session 11 review, finding 8). Every event of a set now names its
// author there: a change without it is refused, and one with it names who
// changed the values.
func TestAttackVitalsChangeNamesItsAuthor(t *testing.T) {
	c := newClinic(t)
	id := crypto.NewEventID()
	first, err := c.sPh2.r.Append(context.Background(), Change{Entity: id, Kind: "vitals", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"patient": "p1", "systolic": 120, "recorded_by": c.phys2.fp()})})
	if err != nil {
		t.Fatal(err)
	}
	c.sPhys.apply(first.Raw)
	for _, tc := range []struct {
		name  string
		f     map[string]any
		apply bool
	}{
		{"values alone", map[string]any{"systolic": 250}, false},
		{"under the colleague's name", map[string]any{"systolic": 250, "recorded_by": c.phys2.fp()}, false},
		{"under her own name", map[string]any{"systolic": 130, "recorded_by": c.phys.fp()}, true},
	} {
		change := c.sPhys.forge(forged{Entity: id, Kind: "vitals", Scope: string(roles.Clinical), Fields: fields(t, tc.f)})
		c.sPh2.apply(change.Raw)
		if st, why := c.sPh2.state(change.Header.ID); (st == store.Applied) != tc.apply {
			t.Errorf("%s: the change is %v (%s)", tc.name, st, why)
		}
	}
	_, state, err := c.sPh2.r.Entity(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if string(state["systolic"].V) != "130" || string(state["recorded_by"].V) != `"`+c.phys.fp()+`"` {
		t.Errorf("the set holds systolic %s recorded by %s, want 130 by the colleague who changed it", state["systolic"].V, state["recorded_by"].V)
	}
}
