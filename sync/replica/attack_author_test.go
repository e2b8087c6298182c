package replica

import (
	"context"
	"errors"
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

// TestAttackBookingUnderAColleaguesName: an appointment's booked_by was
// checked by nobody, so a receptionist's modified software could put a
// colleague's name to a booking she made (or, by a later change, to any
// booking), and the front desk shows who booked what. Where an event
// writes booked_by it names its own author; a change that leaves it out
// stands; her own workstation refuses to write the forgery too.
func TestAttackBookingUnderAColleaguesName(t *testing.T) {
	c := newClinic(t)
	id := crypto.NewEventID()
	booking, err := c.sRecep.r.Append(context.Background(), Change{Entity: id, Kind: "appointment", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"patient": "p1", "status": "booked", "booked_by": c.recep.fp()})})
	if err != nil {
		t.Fatal(err)
	}
	c.sPhys.apply(booking.Raw)
	if st, why := c.sPhys.state(booking.Header.ID); st != store.Applied {
		t.Fatalf("an honest booking is %v (%s)", st, why)
	}
	for _, tc := range []struct {
		name   string
		entity string
		f      map[string]any
		apply  bool
	}{
		{"a booking under the physician's name", crypto.NewEventID(), map[string]any{"patient": "p1", "status": "booked", "booked_by": c.phys.fp()}, false},
		{"a change putting the physician's name to it", id, map[string]any{"booked_by": c.phys.fp()}, false},
		{"a booked_by that is no text", id, map[string]any{"booked_by": 7}, false},
		{"a change leaving booked_by out", id, map[string]any{"status": "arrived"}, true},
	} {
		env := c.sRecep.forge(forged{Entity: tc.entity, Kind: "appointment", Scope: string(roles.FrontDesk), Fields: fields(t, tc.f)})
		c.sPhys.apply(env.Raw)
		if st, why := c.sPhys.state(env.Header.ID); (st == store.Applied) != tc.apply {
			t.Errorf("%s: the event is %v (%s)", tc.name, st, why)
		}
	}
	_, err = c.sRecep.r.Append(context.Background(), Change{Entity: crypto.NewEventID(), Kind: "appointment", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"patient": "p1", "booked_by": c.phys.fp()})})
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("her own workstation wrote a booking under a colleague's name: %v", err)
	}
	// Claiming a colleague's booking (session 13 review, O5): a later
	// booked_by naming its own author is applied, but who booked it stays
	// the booking's (roles.Kind.Once), on every workstation, whichever
	// event arrives first.
	claim, err := c.sPhys.r.Append(context.Background(), Change{Entity: id, Kind: "appointment", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"booked_by": c.phys.fp(), "booked_at": 1})})
	if err != nil {
		t.Fatal(err)
	}
	c.sPh2.apply(claim.Raw)
	c.sPh2.apply(booking.Raw)
	for _, s := range []*station{c.sPhys, c.sPh2} {
		if _, st, err := s.r.Entity(context.Background(), id); err != nil || string(st["booked_by"].V) != `"`+c.recep.fp()+`"` {
			t.Errorf("booked_by is %s (%v), want the receptionist who booked it", st["booked_by"].V, err)
		}
	}
}
