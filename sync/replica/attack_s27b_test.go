package replica

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Session 27 (h-secb27): an appointment's patient and physician against a
// receptionist's modified software.

// booking has s book patient with physician as the desk does since
// session 27 (app/frontdesk: an id bound to what the booking writes once,
// records.NewBookingID), with more fields (an import's), and returns the
// booking.
func booking(t *testing.T, s *station, patient, physician string, more map[string]any) *crypto.Envelope {
	t.Helper()
	f := map[string]any{"patient": patient, "physician": physician, "start": "2026-11-02T10:00:00+01:00", "minutes": 15,
		"reason": "cough", "status": "booked", "overbooked": false, "booked_by": s.p.fp(), "booked_at": time.Now().UnixMilli()}
	for k, v := range more {
		f[k] = v
	}
	written := fields(t, f)
	id, seal := roles.NewBoundID("appointment", written)
	written["import_seal"] = mustJSON(seal)
	return s.append(Change{Entity: id, Kind: "appointment", Scope: roles.FrontDesk, Fields: written})
}

// sealOfEvent is the seal the event that made a bound record wrote, which
// every member holding the front-desk key reads.
func sealOfEvent(t *testing.T, s *station, env *crypto.Envelope) string {
	t.Helper()
	_, st, err := s.r.Entity(context.Background(), env.Header.Entity)
	if err != nil {
		t.Fatal(err)
	}
	return st.String("import_seal")
}

// appointmentReads fails t unless s reads appointment id with patient and
// physician.
func appointmentReads(t *testing.T, s *station, id, patient, physician string) {
	t.Helper()
	_, st, err := s.r.Entity(context.Background(), id)
	if err != nil {
		t.Fatalf("%s reads appointment %s: %v", s.p.name, id, err)
	}
	if got, gotPh := st.String("patient"), st.String("physician"); got != patient || gotPh != physician {
		t.Errorf("%s reads the appointment with patient %.12s and physician %.8s; want %.12s and %.8s", s.p.name, got, gotPh, patient, physician)
	}
}

// TestAttackS27bAppointmentMovedToAnotherPatient: Attack (LOW–MEDIUM):
// honest software writes an appointment's patient and physician once, at
// booking (the desk cancels and books again), and every workstation read
// their last writer: a receptionist's modified software moved Dr A's
// appointment with one patient onto another patient or Dr B's calendar,
// at any clock. Now a booking's id is bound to them (roles.NewBoundID,
// Pin.Bound): every workstation refuses an event under it writing others,
// none, or them with a seal that does not make the id, whatever clock it
// has; what the desk does to a booking (a move, a check-in) stands.
func TestAttackS27bAppointmentMovedToAnotherPatient(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(b *crypto.Envelope, seal, other, dr2 string) map[string]any
		low  bool
	}{
		{"another patient", func(_ *crypto.Envelope, _, other, _ string) map[string]any { return map[string]any{"patient": other} }, false},
		{"another patient, below the booking's clock", func(_ *crypto.Envelope, _, other, _ string) map[string]any {
			return map[string]any{"patient": other}
		}, true},
		{"another physician", func(_ *crypto.Envelope, _, _, dr2 string) map[string]any { return map[string]any{"physician": dr2} }, false},
		{"the patient erased", func(*crypto.Envelope, string, string, string) map[string]any { return map[string]any{"patient": nil} }, false},
		{"another patient with the booking's seal", func(_ *crypto.Envelope, seal, other, _ string) map[string]any {
			return map[string]any{"patient": other, "import_seal": seal}
		}, false},
		{"another patient with a seal of her own", func(_ *crypto.Envelope, _, other, _ string) map[string]any {
			return map[string]any{"patient": other, "import_seal": "00112233445566778899aabbccddeeff"}
		}, false},
		{"into a series", func(*crypto.Envelope, string, string, string) map[string]any {
			return map[string]any{"series": crypto.NewEventID()}
		}, false},
		{"the seal alone", func(_ *crypto.Envelope, seal, _, _ string) map[string]any { return map[string]any{"import_seal": seal} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			p := registered(t, c.sRecep, "Abbott", "MH0000001")
			other := registered(t, c.sRecep, "Other", "MH0000002")
			b := booking(t, c.sRecep, p.Header.Entity, c.phys.fp(), nil)
			exchange(t, c.stations()...)
			var lamport uint64
			if tc.low {
				lamport = b.Header.Lamport - 1
			}
			forged := c.sRecep.forge(forged{Entity: b.Header.Entity, Kind: "appointment", Scope: string(roles.FrontDesk),
				Fields: fields(t, tc.f(b, sealOfEvent(t, c.sRecep, b), other.Header.Entity, c.phys2.fp())), Lamport: lamport})
			moved := c.sRecep.append(Change{Entity: b.Header.Entity, Kind: "appointment", Scope: roles.FrontDesk,
				Fields: fields(t, map[string]any{"start": "2026-11-02T11:00:00+01:00", "minutes": 20, "overbooked": false})})
			for _, s := range []*station{c.sPhys, c.sPh2} {
				s.apply(c.sRecep.own()...)
				// (Below the booking's clock from her chain, which had
				// passed it: refused by the chain rule since session 28.)
				if st, rule := s.ruleOf(forged.Header.ID); st != store.Rejected || rule != ruleContent && !(tc.low && rule == ruleClock) {
					t.Errorf("%s keeps Rita's event %v (rule %q); want refused by the content rule", s.p.name, st, rule)
				}
				if st, why := s.stateOf(moved); st != store.Applied {
					t.Errorf("%s keeps the desk's move %v (%s); want applied", s.p.name, st, why)
				}
				appointmentReads(t, s, b.Header.Entity, p.Header.Entity, c.phys.fp())
			}
		})
	}
}

// TestAttackS27bBoundWhenUnsealed: Rita's other patient under a booking's
// id, kept sealed by a workstation that held no key of its epoch yet, is
// judged by the pin rule when the key comes and it opens (unseal.go).
func TestAttackS27bBoundWhenUnsealed(t *testing.T) {
	c := newClinic(t)
	p := registered(t, c.sPhys, "Abbott", "MH0000001")
	b := booking(t, c.sPhys, p.Header.Entity, c.phys.fp(), nil)
	exchange(t, c.stations()...)
	forged := openedLater(t, c, forged{Entity: b.Header.Entity, Kind: "appointment", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"physician": c.phys2.fp()})})
	if st, rule := c.sPh2.ruleOf(forged.Header.ID); st != store.Rejected || rule != ruleContent {
		t.Errorf("opened on Pia's workstation, Rita's physician is %v (rule %q); want refused by the content rule", st, rule)
	}
	appointmentReads(t, c.sPh2, b.Header.Entity, p.Header.Entity, c.phys.fp())
}

// TestAttackS27bImportBound: an appointment another clinic saw, imported
// at the desk since session 27, is bound to its import, its status and
// its patient: the import stands, and neither proving it again with
// another patient nor the status "seen" proved with a booking's seal
// stands (the booking's seal binds "booked" and no import).
func TestAttackS27bImportBound(t *testing.T) {
	c := newClinic(t)
	p := registered(t, c.sRecep, "Okafor", "MH0000001")
	other := registered(t, c.sRecep, "Other", "MH0000002")
	imp := booking(t, c.sRecep, p.Header.Entity, "", map[string]any{"status": "seen", "imported": time.Now().UnixMilli(), "attribution": "Other Clinic"})
	b := booking(t, c.sRecep, p.Header.Entity, c.phys.fp(), nil)
	exchange(t, c.stations()...)
	// Each the making event again, seal and all, but for one value.
	again := writtenBy(t, c.sRecep, imp)
	again["patient"] = mustJSON(other.Header.Entity)
	moved := c.sRecep.forge(forged{Entity: imp.Header.Entity, Kind: "appointment", Scope: string(roles.FrontDesk), Fields: again})
	again = writtenBy(t, c.sRecep, b)
	again["status"] = mustJSON("seen")
	seen := c.sRecep.forge(forged{Entity: b.Header.Entity, Kind: "appointment", Scope: string(roles.FrontDesk), Fields: again})
	// The booking again as it was: the same values, harmless.
	same := c.sRecep.forge(forged{Entity: b.Header.Entity, Kind: "appointment", Scope: string(roles.FrontDesk), Fields: writtenBy(t, c.sRecep, b)})
	for _, s := range []*station{c.sPhys, c.sPh2} {
		s.apply(c.sRecep.own()...)
		for _, env := range []*crypto.Envelope{imp, same} {
			if st, why := s.stateOf(env); st != store.Applied {
				t.Errorf("%s keeps the desk's import, or the booking written again, %v (%s); want applied", s.p.name, st, why)
			}
		}
		for _, env := range []*crypto.Envelope{moved, seen} {
			if st, _ := s.ruleOf(env.Header.ID); st != store.Rejected {
				t.Errorf("%s keeps Rita's event on %.12s: %v; want refused", s.p.name, env.Header.Entity, st)
			}
		}
		appointmentReads(t, s, imp.Header.Entity, p.Header.Entity, "")
		if _, st, err := s.r.Entity(context.Background(), b.Header.Entity); err != nil || st.String("status") != "booked" {
			t.Errorf("%s reads the booking as %v (%v); want booked", s.p.name, fieldNames(st), err)
		}
	}
}

// TestAttackS27bOlderAppointmentKeepsItsPatient: an appointment made
// before its id was bound (session 26's booking, and an id of before)
// keeps the patient and physician written first (roles.Kind.Once): a
// later event writing others is applied (no workstation can tell it from
// an older version's booking) but changes nothing the record reads.
func TestAttackS27bOlderAppointmentKeepsItsPatient(t *testing.T) {
	c := newClinic(t)
	p := registered(t, c.sRecep, "Abbott", "MH0000001")
	other := registered(t, c.sRecep, "Other", "MH0000002")
	s26 := bookedAppointment(t, c.sRecep, p.Header.Entity, c.phys.fp())
	older := crypto.NewEventID()
	c.sRecep.append(Change{Entity: older, Kind: "appointment", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{
		"patient": p.Header.Entity, "physician": c.phys.fp(), "status": "booked"})})
	exchange(t, c.stations()...)
	for _, id := range []string{s26, older} {
		c.sRecep.forge(forged{Entity: id, Kind: "appointment", Scope: string(roles.FrontDesk),
			Fields: fields(t, map[string]any{"patient": other.Header.Entity, "physician": c.phys2.fp()})})
	}
	for _, s := range []*station{c.sPhys, c.sPh2} {
		s.apply(c.sRecep.own()...)
		for _, id := range []string{s26, older} {
			appointmentReads(t, s, id, p.Header.Entity, c.phys.fp())
		}
	}
}

// TestAttackS27bBoundMendedOnUpgrade: a store a version before the rule
// judged (it applied Rita's other patient under a bound booking's id,
// and read an older appointment's patient by its last writer) is judged
// again once opened by this version (fields revision 29: mendFields):
// her event under the bound id refused, both records read their patient
// as booked; the desk's own change stands. A store judged by the pin rule
// of session 26 (meta replica/pin-rule 26) too.
func TestAttackS27bBoundMendedOnUpgrade(t *testing.T) {
	for _, pinRule := range []string{"", "26"} {
		t.Run("pin rule "+pinRule, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			p := registered(t, c.sRecep, "Abbott", "MH0000001")
			other := registered(t, c.sRecep, "Other", "MH0000002")
			b := booking(t, c.sRecep, p.Header.Entity, c.phys.fp(), nil)
			older := bookedAppointment(t, c.sRecep, p.Header.Entity, c.phys.fp())
			exchange(t, c.stations()...)
			onBound := c.sRecep.forge(forged{Entity: b.Header.Entity, Kind: "appointment", Scope: string(roles.FrontDesk),
				Fields: fields(t, map[string]any{"patient": other.Header.Entity})})
			onOlder := c.sRecep.forge(forged{Entity: older, Kind: "appointment", Scope: string(roles.FrontDesk),
				Fields: fields(t, map[string]any{"patient": other.Header.Entity})})
			checkIn := c.sRecep.append(Change{Entity: b.Header.Entity, Kind: "appointment", Scope: roles.FrontDesk,
				Fields: fields(t, map[string]any{"status": "arrived"})})
			s := c.sPh2
			s.apply(c.sRecep.own()...)
			// As the older version kept them: applied, the last writer read.
			if err := s.db.Update(ctx, func(tx *store.Tx) error {
				return tx.SetStates(ctx, []string{onBound.Header.ID}, store.Applied, "")
			}); err != nil {
				t.Fatal(err)
			}
			lastWriterWins(t, s, b.Header.Entity, onBound)
			lastWriterWins(t, s, older, onOlder)
			if pinRule != "" {
				if err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.SetMeta(ctx, metaPinRule, []byte(pinRule)) }); err != nil {
					t.Fatal(err)
				}
			}
			_, st, err := s.r.Entity(ctx, older)
			if err != nil || st.String("patient") != other.Header.Entity {
				t.Fatalf("setup: the older version's record reads patient %.12s (%v), want Rita's", st.String("patient"), err)
			}
			if s.r, err = Open(ctx, s.r.p); err != nil {
				t.Fatal(err)
			}
			s.apply()
			if st, _ := s.ruleOf(onBound.Header.ID); st != store.Rejected {
				t.Errorf("after the upgrade Rita's event under the bound id is %v; want refused", st)
			}
			if st, why := s.stateOf(checkIn); st != store.Applied {
				t.Errorf("after the upgrade the desk's check-in is %v (%s); want applied", st, why)
			}
			appointmentReads(t, s, b.Header.Entity, p.Header.Entity, c.phys.fp())
			appointmentReads(t, s, older, p.Header.Entity, c.phys.fp())
		})
	}
}
