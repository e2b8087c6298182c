package replica

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS28bClockBelowItsChain: Attack (LOW, systemic): no workstation
// refused an event whose Lamport clock is below that of the event before
// it in its device's chain (checkClock bounded only the jump ahead), so a
// receptionist's modified software wrote an older patient's MRN "before"
// the registration (Once keeps the value of the earliest event by clock:
// hers), from her busy workstation whose chain had long passed it. Now a
// chain's clocks never go down on any workstation (rule "clock"); her
// next event, above, applies (the chain stays whole).
func TestAttackS28bClockBelowItsChain(t *testing.T) {
	c := newClinic(t)
	old := c.sPhys.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{
		"mrn": "MH0000002", "family": "Baker", "registered": time.Now().UnixMilli()})})
	exchange(t, c.stations()...)
	registered(t, c.sRecep, "Abbott", "MH0000003") // her chain passes the registration's clock
	below := c.sRecep.forge(forged{Entity: old.Header.Entity, Kind: "patient", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"mrn": "MH0000001"}), Lamport: old.Header.Lamport - 1})
	after := registered(t, c.sRecep, "Carter", "MH0000004")
	for _, s := range []*station{c.sPhys, c.sPh2} {
		s.apply(c.sRecep.own()...)
		if st, rule := s.ruleOf(below.Header.ID); st != store.Rejected || rule != ruleClock {
			t.Errorf("%s keeps Rita's MRN clocked below her chain %v (rule %q); want refused by the clock rule", s.p.name, st, rule)
		}
		if st, why := s.stateOf(after); st != store.Applied {
			t.Errorf("%s keeps Rita's next registration %v (%s); want applied", s.p.name, st, why)
		}
		if got := mrnOf(t, s, old.Header.Entity); got != "MH0000002" {
			t.Errorf("%s reads the older record's MRN as %q; want the registration's, MH0000002", s.p.name, got)
		}
	}
}

// TestChainClockPastARefusedTip: honest software never writes a clock
// below its own chain's, even when the last events of its chain were
// refused after it wrote them (the clock is read from applied and sealed
// events only) and the workstation was opened again.
func TestChainClockPastARefusedTip(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	s := c.sRecep
	a := registered(t, s, "Abbott", "MH0000001")
	b := registered(t, s, "Baker", "MH0000002")
	if err := s.db.Update(ctx, func(tx *store.Tx) error {
		for _, env := range []*crypto.Envelope{a, b} {
			if err := tx.Refuse(ctx, env.Header.ID, ruleRole, "refused since"); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	next := registered(t, s, "Carter", "MH0000003")
	if next.Header.Lamport <= b.Header.Lamport {
		t.Errorf("the next event's clock is %d, not above its chain's last (%d)", next.Header.Lamport, b.Header.Lamport)
	}
	c.sPh2.apply(s.own()...)
	if st, why := c.sPh2.stateOf(next); st != store.Applied {
		t.Errorf("Pia keeps the next registration %v (%s); want applied", st, why)
	}
}
