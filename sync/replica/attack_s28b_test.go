package replica

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Session 28 (h-secb28): the bounds the desk and the prescription form keep
// on what they write (a booking's start, a prescribed dose), kept again by
// every workstation that applies the event (roles.Kind.Values).

// afterValues sets every station's clock an hour after the value rules
// began, so the events they write from now on are judged by them, and
// returns that time in unix milliseconds.
func afterValues(c *clinic) int64 {
	at := int64(roles.ValuesSince) + 3_600_000
	for _, s := range c.stations() {
		s.r.now = func() time.Time { return time.UnixMilli(at) }
	}
	return at
}

// startWrites are starts a receptionist's modified software writes on a
// booking, and whether every workstation keeps them (the booking stated
// at roles.ValuesSince + 1 h).
var startWrites = []struct {
	name  string
	start any
	keeps bool
}{
	{"year 9999", "9999-01-01T10:00:00Z", false},
	{"year 1", "0001-01-01T00:00:00Z", false},
	{"eleven years ahead", "2037-12-09T10:00:00+01:00", false},
	{"eleven years ago", "2015-12-01T10:00:00+01:00", false},
	{"not a time", "next Tuesday", false},
	{"a number", 1796605200000, false},
	{"erased", nil, false},
	{"nine years ahead", "2035-12-07T10:00:00+01:00", true},
	{"a week before, entered after the fact", "2026-11-30T10:00:00+01:00", true},
}

// TestAttackS28bStartOutOfReach: Attack (LOW, the calendar export's denial
// and an appointment on no day, attributable): the desk books and moves
// within ten years of today (records.CheckStart, session 27), but a
// receptionist's modified software wrote year 9999, or a start that is no
// time, and every workstation applied it (readers coped on read). Now
// every workstation refuses it (the content rule), relative to the time
// the event states it was written; what the desk writes stands.
func TestAttackS28bStartOutOfReach(t *testing.T) {
	for _, tc := range startWrites {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			afterValues(c)
			p := registered(t, c.sRecep, "Abbott", "MH0000001")
			b := booking(t, c.sRecep, p.Header.Entity, c.phys.fp(), nil)
			exchange(t, c.stations()...)
			moved := c.sRecep.forge(forged{Entity: b.Header.Entity, Kind: "appointment", Scope: string(roles.FrontDesk),
				Fields: fields(t, map[string]any{"start": tc.start})})
			checkIn := c.sRecep.append(Change{Entity: b.Header.Entity, Kind: "appointment", Scope: roles.FrontDesk,
				Fields: fields(t, map[string]any{"status": "arrived"})})
			for _, s := range []*station{c.sPhys, c.sPh2} {
				s.apply(c.sRecep.own()...)
				st, rule := s.ruleOf(moved.Header.ID)
				switch {
				case tc.keeps && st != store.Applied:
					t.Errorf("%s keeps the start %v as %v (rule %q); want applied", s.p.name, tc.start, st, rule)
				case !tc.keeps && (st != store.Rejected || rule != ruleContent):
					t.Errorf("%s keeps the start %v as %v (rule %q); want refused by the content rule", s.p.name, tc.start, st, rule)
				}
				if st, why := s.stateOf(checkIn); st != store.Applied {
					t.Errorf("%s keeps the desk's check-in %v (%s); want applied", s.p.name, st, why)
				}
				want := "2026-11-02T10:00:00+01:00"
				if tc.keeps {
					want = tc.start.(string)
				}
				if _, st, err := s.r.Entity(context.Background(), b.Header.Entity); err != nil || st.String("start") != want {
					t.Errorf("%s reads the start %q (%v); want %q", s.p.name, st.String("start"), err, want)
				}
			}
		})
	}
}

// TestAttackS28bStartRefusedBeforeWriting: the workstation refuses to
// append what every other would refuse, saying so (ErrForbidden); and a
// booking signed as written before the rules began is not judged by them
// (what an older version wrote stands; modified software that backdates
// escapes them: Known limits).
func TestAttackS28bStartRefusedBeforeWriting(t *testing.T) {
	c := newClinic(t)
	afterValues(c)
	p := registered(t, c.sRecep, "Abbott", "MH0000001")
	b := booking(t, c.sRecep, p.Header.Entity, c.phys.fp(), nil)
	_, err := c.sRecep.r.Append(context.Background(), Change{Entity: b.Header.Entity, Kind: "appointment", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"start": "9999-01-01T10:00:00Z"})})
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("appending a start in 9999: %v; want ErrForbidden", err)
	}
	older := c.sRecep.forge(forged{Entity: b.Header.Entity, Kind: "appointment", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"start": "9999-01-01T10:00:00Z"}), Time: roles.ValuesSince - 1})
	c.sPh2.apply(c.sRecep.own()...)
	if st, why := c.sPh2.stateOf(older); st != store.Applied {
		t.Errorf("a start signed before the rules began is %v (%s); want applied as written", st, why)
	}
}

// TestAttackS28bStartWhenUnsealed: her start in 9999, kept sealed by a
// workstation that held no key of its epoch yet, is judged when the key
// comes and it opens (unseal.go), as on apply.
func TestAttackS28bStartWhenUnsealed(t *testing.T) {
	c := newClinic(t)
	afterValues(c)
	p := registered(t, c.sPhys, "Abbott", "MH0000001")
	b := booking(t, c.sPhys, p.Header.Entity, c.phys.fp(), nil)
	exchange(t, c.stations()...)
	env := openedLater(t, c, forged{Entity: b.Header.Entity, Kind: "appointment", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"start": "9999-01-01T10:00:00Z"})})
	if st, rule := c.sPh2.ruleOf(env.Header.ID); st != store.Rejected || rule != ruleContent {
		t.Errorf("opened on Pia's workstation, Rita's start is %v (rule %q); want refused by the content rule", st, rule)
	}
}

// prescription has s sign a prescription of patient whose drugs have
// doses (as app/prescribing writes it: the signed document in "doc"; the
// signature is not the replica's to check), forged or appended.
func prescription(t *testing.T, s *station, patient string, time int64, doses ...string) *crypto.Envelope {
	t.Helper()
	id := roles.NewRecordID("prescription")
	var items []map[string]any
	for _, d := range doses {
		items = append(items, map[string]any{"drug_id": "amoxicillin-500-cap", "generic": "amoxicillin", "dose": d, "unit": "capsule",
			"frequency": "three times daily", "days": 7})
	}
	doc, err := json.Marshal(map[string]any{"id": id, "patient": patient, "prescriber": s.p.fp(), "time": time, "items": items})
	if err != nil {
		t.Fatal(err)
	}
	return s.forge(forged{Entity: id, Kind: "prescription", Scope: string(roles.Clinical), Time: time,
		Fields: fields(t, map[string]any{"doc": string(doc), "sig": "c2ln", "patient": patient, "code": "ABCDE-FGHIJ"})})
}

// TestAttackS28bDoseNoAmount: Attack (LOW–MEDIUM, clinical: a signed
// prescription no pharmacist can dispense as written): the prescription
// form and Prescribe refuse a dose that is no amount (session 27), but a
// physician's modified software still signed "lots", 0 or -1 and every
// workstation showed it in the chart. Now every workstation refuses it
// where its payload opens (the content rule); one signed as written
// before the rules began stands as signed (an older version's).
func TestAttackS28bDoseNoAmount(t *testing.T) {
	c := newClinic(t)
	at := afterValues(c)
	p := registered(t, c.sPhys, "Abbott", "MH0000001")
	exchange(t, c.stations()...)
	bad := map[string]*crypto.Envelope{}
	for _, d := range [][]string{{"lots"}, {"0"}, {"-1"}, {""}, {"1", "as much as you like"}} {
		bad[d[len(d)-1]] = prescription(t, c.sPhys, p.Header.Entity, at, d...)
	}
	good := prescription(t, c.sPhys, p.Header.Entity, at, "1", "1/2", "500 mg")
	older := prescription(t, c.sPhys, p.Header.Entity, roles.ValuesSince-1, "lots")
	c.sPh2.apply(c.sPhys.own()...)
	for dose, env := range bad {
		if st, rule := c.sPh2.ruleOf(env.Header.ID); st != store.Rejected || rule != ruleContent {
			t.Errorf("a prescription of the dose %q is %v on Pia's workstation (rule %q); want refused by the content rule", dose, st, rule)
		}
		if _, _, err := c.sPh2.r.Entity(context.Background(), env.Header.Entity); err == nil {
			t.Errorf("Pia's chart holds the prescription of the dose %q", dose)
		}
	}
	for _, env := range []*crypto.Envelope{good, older} {
		if st, why := c.sPh2.stateOf(env); st != store.Applied {
			t.Errorf("a prescription of amounts, or one signed before the rules began, is %v (%s); want applied", st, why)
		}
	}
}

// TestAttackS28bValuesMendedOnUpgrade: a workstation of an older version
// applied her start in 9999 and a prescription of "lots" signed since the
// rules began; the upgrade judges the records changed since then again:
// both refused, the booking read as the desk wrote it, the honest ones
// standing.
func TestAttackS28bValuesMendedOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	at := afterValues(c)
	p := registered(t, c.sRecep, "Abbott", "MH0000001")
	b := booking(t, c.sRecep, p.Header.Entity, c.phys.fp(), nil)
	exchange(t, c.stations()...)
	moved := c.sRecep.forge(forged{Entity: b.Header.Entity, Kind: "appointment", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"start": "9999-01-01T10:00:00Z"})})
	lots := prescription(t, c.sPhys, p.Header.Entity, at, "lots")
	good := prescription(t, c.sPhys, p.Header.Entity, at, "1")
	s := c.sPh2
	s.apply(c.sRecep.own()...)
	s.apply(c.sPhys.own()...)
	// As the older version kept them: applied, merged.
	if err := s.db.Update(ctx, func(tx *store.Tx) error {
		return tx.SetStates(ctx, []string{moved.Header.ID, lots.Header.ID}, store.Applied, "")
	}); err != nil {
		t.Fatal(err)
	}
	lastWriterWins(t, s, b.Header.Entity, moved)
	putAsApplied(t, s, lots)
	openAgain(t, s)
	for _, env := range []*crypto.Envelope{moved, lots} {
		if st, rule := s.ruleOf(env.Header.ID); st != store.Rejected || rule != ruleContent {
			t.Errorf("after the upgrade %s's event on %.12s is %v (rule %q); want refused by the content rule", short(env.Header.Author), env.Header.Entity, st, rule)
		}
	}
	if _, _, err := s.r.Entity(ctx, lots.Header.Entity); err == nil {
		t.Errorf("after the upgrade the chart still holds the prescription of \"lots\"")
	}
	if st, why := s.stateOf(good); st != store.Applied {
		t.Errorf("after the upgrade the prescription of 1 is %v (%s); want applied", st, why)
	}
	if _, st, err := s.r.Entity(ctx, b.Header.Entity); err != nil || st.String("start") != "2026-11-02T10:00:00+01:00" {
		t.Errorf("after the upgrade the booking starts %q (%v); want as the desk booked it", st.String("start"), err)
	}
}

// putAsApplied writes the record env's event makes, as a version that
// applied it did, and forgets the declarations its store was judged by.
func putAsApplied(t *testing.T, s *station, env *crypto.Envelope) {
	t.Helper()
	ctx := context.Background()
	f := writtenBy(t, s, env)
	h := env.Header
	st := State{}
	st.Merge(f, h.Lamport, h.Device)
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		sealed, err := s.r.sealState(h.Entity, st)
		if err != nil {
			return err
		}
		if err := tx.PutBinding(ctx, claimOf(h)); err != nil {
			return err
		}
		if err := tx.PutEntity(ctx, store.Entity{ID: h.Entity, Kind: h.Kind, Scope: h.Scope, State: sealed, Lamport: h.Lamport, Updated: h.Time}); err != nil {
			return err
		}
		return forgetFieldsRule(ctx, tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// openAgain opens s's store again, as the upgraded version does, and has it
// apply nothing new (what the mend sent back is judged).
func openAgain(t *testing.T, s *station) {
	t.Helper()
	var err error
	if s.r, err = Open(context.Background(), s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply()
}
