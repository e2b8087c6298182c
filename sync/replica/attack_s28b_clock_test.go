package replica

import (
	"context"
	"os"
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

// chainFloor is the lowest clock s's next event may have: that of the last
// event of its chain (a chain's clocks never go down, session 28). A
// forgery "with the lowest clock" from a busy workstation has this one.
func (s *station) chainFloor() uint64 {
	s.t.Helper()
	var floor uint64
	if err := s.db.View(context.Background(), func(tx *store.Tx) error {
		e, err := tx.EnvelopeAt(context.Background(), s.r.p.Device, s.r.mySeq)
		floor = e.Lamport
		return err
	}); err != nil {
		s.t.Fatal(err)
	}
	return floor
}

// quietChain is a new workstation of s's member (an administrator) that her
// entry names, written from s: its chain begins at the clocks she likes (its
// key at 1), below every event of her busy chain, which the chain rule does
// not bound (Known limits). It holds s's directory key; the stations in to
// have applied its key and her entry's naming of it.
func quietChain(t *testing.T, s *station, clinic string, to ...*station) *station {
	t.Helper()
	q := join(t, s.p, clinic)
	q.holdKeys(s, roles.Directory)
	m, _ := s.r.Member(s.p.fp())
	s.append(Change{Entity: s.p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"devices": append(m.Devices, q.r.p.Device)})})
	for _, o := range to {
		o.apply(s.own()...)
		o.apply(q.own()...)
	}
	return q
}

// clockRule is in the reason of an event the chain rule refuses.
const clockRule = "a chain's clocks never go down"

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

// TestAttackS28bChainClockMendedOnUpgrade: a workstation of an older
// version applied Rita's MRN clocked below her chain (and read it, first
// by clock); opened by this version, the store is judged again once: her
// event refused by the clock rule, the record reading the registration's
// MRN, her later events standing. A store with nothing below is not
// judged again (only marked).
func TestAttackS28bChainClockMendedOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	old := c.sPhys.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{
		"mrn": "MH0000002", "family": "Baker", "registered": time.Now().UnixMilli()})})
	exchange(t, c.stations()...)
	registered(t, c.sRecep, "Abbott", "MH0000003")
	below := c.sRecep.forge(forged{Entity: old.Header.Entity, Kind: "patient", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"mrn": "MH0000001"}), Lamport: old.Header.Lamport - 1})
	after := registered(t, c.sRecep, "Carter", "MH0000004")
	s := c.sPh2
	s.apply(c.sRecep.own()...)
	// As the older version kept it: applied, merged, the store never
	// judged by the chain rule.
	if err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.SetStates(ctx, []string{below.Header.ID}, store.Applied, ""); err != nil {
			return err
		}
		if err := tx.DeleteMeta(ctx, metaChainClock); err != nil {
			return err
		}
		defer s.r.begin()()
		return s.r.rebuildEntity(ctx, tx, old.Header.Entity)
	}); err != nil {
		t.Fatal(err)
	}
	if got := mrnOf(t, s, old.Header.Entity); got != "MH0000001" {
		t.Fatalf("setup: the older version's record reads MRN %q, want Rita's MH0000001", got)
	}
	openAgain(t, s)
	if st, rule := s.ruleOf(below.Header.ID); st != store.Rejected || rule != ruleClock {
		t.Errorf("after the upgrade Rita's MRN clocked below her chain is %v (rule %q); want refused by the clock rule", st, rule)
	}
	if st, why := s.stateOf(after); st != store.Applied {
		t.Errorf("after the upgrade Rita's next registration is %v (%s); want applied", st, why)
	}
	if got := mrnOf(t, s, old.Header.Entity); got != "MH0000002" {
		t.Errorf("after the upgrade the record reads MRN %q; want the registration's, MH0000002", got)
	}
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		_, err := tx.Meta(ctx, metaChainClock)
		return err
	}); err != nil {
		t.Errorf("after the upgrade the store is not marked judged by the chain rule: %v", err)
	}
}

// TestAttackS28bRevocationUndoneFromAQuietChain: Attack (found on the way,
// not fixed; MEDIUM: a revoked physician active again, silently): the
// administrator's admission of the revoked Paul written again at clock 1
// (session 14's TestAttackS14RevokedEntryFallsBackToAForgedAdmissionRole)
// shows as a disputed history when it comes from her busy chain; since
// session 28 the chain rule refuses it there. From a workstation of hers
// her entry names late (its chain begins at clock 1) it is applied, and
// every workstation reads Paul an active receptionist, no dispute shown.
// Fails when run (MEDIHAVEN_OPEN_S28B=1); left for the directory's owner.
func TestAttackS28bRevocationUndoneFromAQuietChain(t *testing.T) {
	if os.Getenv("MEDIHAVEN_OPEN_S28B") == "" {
		t.Skip("open (h-secb28's report): MEDIHAVEN_OPEN_S28B=1 runs it; it fails")
	}
	c, tom, _, all := clinicAroundPaul(t)
	c.revokeAsTheAppDoes(t, c.phys)
	exchange(t, all...)
	if !c.sPh2.r.Confirmed(roles.Clinical, tom.fp()) {
		t.Fatal("setup: Paul's leaving split the clinic")
	}
	q := quietChain(t, c.sAdmin, c.id, all...)
	q.forge(forged{Entity: c.phys.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 1,
		Fields: fields(t, map[string]any{"role": roles.Receptionist, "status": StatusActive})})
	c.sAdmin.forge(forged{Entity: c.phys.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"role": roles.Receptionist})})
	for _, s := range all {
		s.apply(q.own()...)
	}
	exchange(t, all...)
	m, _ := c.sPh2.r.Member(c.phys.fp())
	t.Logf("Paul on Pia's workstation: %s %s, admitted %s, %d change(s), disputed %v", m.Status, m.Role, m.Admitted, len(m.Changes), m.HistoryDisputed())
	if !m.Revoked() && !m.HistoryDisputed() {
		t.Error("the revoked Paul is active again, no dispute shown")
	}
}
