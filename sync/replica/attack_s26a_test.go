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

// Session 26 (h-mrn26): a patient's MRN and an appointment's visit status
// against a receptionist's modified software.

// registered has s register a patient with mrn as the front desk does
// (app's registerInto: an id bound to the MRN, records.NewPatientID), and
// returns the registration.
func registered(t *testing.T, s *station, family, mrn string) *crypto.Envelope {
	t.Helper()
	id, seal := roles.NewPinnedID("patient", mustJSON(mrn))
	return s.append(Change{Entity: id, Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{
		"mrn": mrn, "mrn_seal": seal, "family": family, "registered": time.Now().UnixMilli()})})
}

// imported has s import an appointment another clinic saw as the desk
// does (app/interop: an id bound to the import,
// records.NewImportedAppointmentID), and returns the import.
func imported(t *testing.T, s *station, patient string) *crypto.Envelope {
	t.Helper()
	at := time.Now().UnixMilli()
	id, seal := roles.NewPinnedID("appointment", mustJSON(at), mustJSON("seen"))
	return s.append(Change{Entity: id, Kind: "appointment", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"patient": patient, "start": "2026-01-05T09:00:00Z", "minutes": 20,
			"status": "seen", "attribution": "Other Clinic", "imported": at, "import_seal": seal,
			"booked_by": s.p.fp(), "booked_at": at})})
}

// mrnOf is the MRN s reads on patient id.
func mrnOf(t *testing.T, s *station, id string) string {
	t.Helper()
	_, st, err := s.r.Entity(context.Background(), id)
	if err != nil {
		t.Fatalf("%s reads patient %s: %v", s.p.name, id, err)
	}
	return st.String("mrn")
}

// TestAttackS26aMRNMovedToAnotherPatient: Attack (MEDIUM): honest software
// writes a patient's MRN once, at registration, and every document, chat
// reference, prescription and lookup finds the patient by it. A
// receptionist's modified software (a member, her own signed events)
// wrote a later event of patient B with patient A's MRN: every
// workstation applied it, and A's MRN found B. Keeping the first value
// written (roles.Kind.Once) stops her only when she does not choose a
// clock below the registration's, which her admission alone bounds. Now a
// new patient's record id is bound to its MRN (roles.NewPinnedID): an
// event writing another MRN under it, at any clock, is refused by every
// workstation, and her own unmodified workstation does not write it.
func TestAttackS26aMRNMovedToAnotherPatient(t *testing.T) {
	for _, tc := range []struct {
		name string
		mrn  any // what Rita writes as patient B's MRN
		low  bool
	}{
		{"A's MRN, later", "MH0000001", false},
		{"A's MRN, below B's registration", "MH0000001", true},
		{"erased, later", nil, false},
		{"another MRN, with a seal of her own", "MH0000003", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			a := registered(t, c.sPhys, "Abbott", "MH0000001")
			b := registered(t, c.sPhys, "Baker", "MH0000002")
			exchange(t, c.stations()...)
			f := map[string]any{"mrn": tc.mrn}
			if tc.name == "another MRN, with a seal of her own" {
				f["mrn_seal"] = "00112233445566778899aabbccddeeff"
			}
			var lamport uint64
			if tc.low {
				lamport = b.Header.Lamport - 1
			}
			forged := c.sRecep.forge(forged{Entity: b.Header.Entity, Kind: "patient", Scope: string(roles.FrontDesk),
				Fields: fields(t, f), Lamport: lamport})
			for _, s := range []*station{c.sPhys, c.sPh2} {
				s.apply(c.sRecep.own()...)
				if st, rule := s.ruleOf(forged.Header.ID); st != store.Rejected || rule != ruleContent {
					t.Errorf("%s keeps Rita's MRN of Baker %v (rule %q); want refused by the content rule", s.p.name, st, rule)
				}
				if got := mrnOf(t, s, b.Header.Entity); got != "MH0000002" {
					t.Errorf("%s reads Baker's MRN as %q; want MH0000002", s.p.name, got)
				}
				if got := mrnOf(t, s, a.Header.Entity); got != "MH0000001" {
					t.Errorf("%s reads Abbott's MRN as %q; want MH0000001", s.p.name, got)
				}
			}
			// An unmodified workstation does not write it.
			if _, err := c.sRecep.r.Append(ctx, Change{Entity: b.Header.Entity, Kind: "patient", Scope: roles.FrontDesk,
				Fields: fields(t, map[string]any{"mrn": "MH0000001"})}); !errors.Is(err, ErrForbidden) {
				t.Errorf("an unmodified workstation writes another MRN on Baker: %v", err)
			}
		})
	}
}

// openedLater has Rita forge f in a front-desk epoch Pia's workstation
// holds no key of yet, so that it keeps it sealed, then gives Pia the key:
// her workstation judges f when it opens (unseal.go).
func openedLater(t *testing.T, c *clinic, f forged) *crypto.Envelope {
	t.Helper()
	if _, err := c.sPhys.r.NewEpoch(context.Background(), roles.FrontDesk); err != nil {
		t.Fatal(err)
	}
	c.sPhys.grant(roles.FrontDesk, c.recep)
	c.sRecep.apply(c.sPhys.own()...)
	env := c.sRecep.forge(f)
	c.sPh2.apply(c.sRecep.own()...)
	if st, _ := c.sPh2.ruleOf(env.Header.ID); st != store.Sealed {
		t.Fatalf("setup: Rita's event is %v on Pia's workstation, want sealed (no key of its epoch yet)", st)
	}
	c.sPhys.grant(roles.FrontDesk, c.phys2)
	c.sPh2.apply(c.sPhys.own()...)
	return env
}

// TestAttackS26aMRNWhenUnsealed: Rita's MRN under Baker's id, kept sealed
// by a workstation that held no key of its epoch yet, is judged by the pin
// rule when the key comes and it opens (unseal.go), as on apply.
func TestAttackS26aMRNWhenUnsealed(t *testing.T) {
	c := newClinic(t)
	b := registered(t, c.sPhys, "Baker", "MH0000002")
	exchange(t, c.stations()...)
	forged := openedLater(t, c, forged{Entity: b.Header.Entity, Kind: "patient", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"mrn": "MH0000001"})})
	if st, rule := c.sPh2.ruleOf(forged.Header.ID); st != store.Rejected || rule != ruleContent {
		t.Errorf("opened on Pia's workstation, Rita's MRN is %v (rule %q); want refused by the content rule", st, rule)
	}
	if got := mrnOf(t, c.sPh2, b.Header.Entity); got != "MH0000002" {
		t.Errorf("Pia reads Baker's MRN as %q; want MH0000002", got)
	}
}

// TestAttackS26aMRNOfAnOlderRecord: a patient registered before the
// binding (an id of another shape, its MRN bound to nothing) keeps the
// MRN written first (roles.Kind.Once): a later event writing another is
// applied (no workstation can tell it from an older version's
// registration) but does not change what the record reads.
func TestAttackS26aMRNOfAnOlderRecord(t *testing.T) {
	c := newClinic(t)
	old := c.sPhys.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{
		"mrn": "MH0000002", "family": "Baker", "registered": time.Now().UnixMilli()})})
	exchange(t, c.stations()...)
	c.sRecep.forge(forged{Entity: old.Header.Entity, Kind: "patient", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"mrn": "MH0000001"})})
	for _, s := range []*station{c.sPhys, c.sPh2} {
		s.apply(c.sRecep.own()...)
		if got := mrnOf(t, s, old.Header.Entity); got != "MH0000002" {
			t.Errorf("%s reads the older record's MRN as %q; want the first written, MH0000002", s.p.name, got)
		}
	}
}

// TestAttackS26aMRNMendedOnUpgrade: a store a version before the rule
// judged (it applied Rita's later MRN on an older record, read last
// writer first) is judged again once opened by this version (fields
// revision 26: mendFields): the record reads the MRN written first.
func TestAttackS26aMRNMendedOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	old := c.sPhys.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{
		"mrn": "MH0000002", "family": "Baker", "registered": time.Now().UnixMilli()})})
	exchange(t, c.stations()...)
	forged := c.sRecep.forge(forged{Entity: old.Header.Entity, Kind: "patient", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"mrn": "MH0000001"})})
	s := c.sPh2
	s.apply(c.sRecep.own()...)
	// As the older version kept it: the later MRN in the record.
	lastWriterWins(t, s, old.Header.Entity, forged)
	if got := mrnOf(t, s, old.Header.Entity); got != "MH0000001" {
		t.Fatalf("setup: the older version's record reads MRN %q, want Rita's MH0000001", got)
	}
	var err error
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply()
	if got := mrnOf(t, s, old.Header.Entity); got != "MH0000002" {
		t.Errorf("after the upgrade the record reads MRN %q; want the first written, MH0000002", got)
	}
}

// TestAttackS26aPinnedMendedOnUpgrade: a store a version before the rule
// judged (it applied Rita's MRN under a patient's id bound to another,
// and her status "seen" on a booked appointment) judges them again once
// opened by this version (fields revision 26: mendFields): both refused,
// the records read as before them; the desk's import of a seen
// appointment stands.
func TestAttackS26aPinnedMendedOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	b := registered(t, c.sPhys, "Baker", "MH0000002")
	appt := bookedAppointment(t, c.sRecep, b.Header.Entity, c.phys.fp())
	imp := imported(t, c.sRecep, b.Header.Entity)
	exchange(t, c.stations()...)
	mrn := c.sRecep.forge(forged{Entity: b.Header.Entity, Kind: "patient", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"mrn": "MH0000001"})})
	seen := c.sRecep.forge(forged{Entity: appt, Kind: "appointment", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"status": "seen"})})
	s := c.sPh2
	s.apply(c.sRecep.own()...)
	// As the older version kept them: applied, in the records.
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		defer s.r.begin()()
		if err := tx.SetStates(ctx, []string{mrn.Header.ID, seen.Header.ID}, store.Applied, ""); err != nil {
			return err
		}
		return s.r.rebuildEntity(ctx, tx, appt)
	})
	if err != nil {
		t.Fatal(err)
	}
	lastWriterWins(t, s, b.Header.Entity, mrn)
	if got := mrnOf(t, s, b.Header.Entity); got != "MH0000001" {
		t.Fatalf("setup: the older version's record reads MRN %q, want Rita's MH0000001", got)
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply()
	for _, env := range []*crypto.Envelope{mrn, seen} {
		if st, _ := s.ruleOf(env.Header.ID); st != store.Rejected {
			t.Errorf("after the upgrade Rita's %s event is %v; want refused", env.Header.Kind, st)
		}
	}
	if got := mrnOf(t, s, b.Header.Entity); got != "MH0000002" {
		t.Errorf("after the upgrade Baker's MRN reads %q; want MH0000002", got)
	}
	if _, got, err := s.r.Entity(ctx, appt); err != nil || got.String("status") != "booked" {
		t.Errorf("after the upgrade the appointment reads %v (%v); want booked", fieldNames(got), err)
	}
	if st, why := s.stateOf(imp); st != store.Applied {
		t.Errorf("after the upgrade the desk's import is %v (%s); want applied", st, why)
	}
}

// TestTwoDesksDrawTheSameMRN: two desks that drew the same MRN at once
// (app's freshMRN: one in ten million) register two patients, each under
// an id of its own bound to it; no workstation merges them.
func TestTwoDesksDrawTheSameMRN(t *testing.T) {
	c := newClinic(t)
	a := registered(t, c.sPhys, "Abbott", "MH0000001")
	b := registered(t, c.sRecep, "Baker", "MH0000001")
	exchange(t, c.stations()...)
	for _, s := range []*station{c.sRecep, c.sPhys, c.sPh2} {
		for _, env := range []*crypto.Envelope{a, b} {
			if st, why := s.stateOf(env); st != store.Applied && st != store.Sealed {
				t.Errorf("%s keeps a registration %v (%s); want applied", s.p.name, st, why)
			}
		}
		if mrnOf(t, s, a.Header.Entity) != "MH0000001" || mrnOf(t, s, b.Header.Entity) != "MH0000001" {
			t.Errorf("%s does not read both patients with the MRN", s.p.name)
		}
	}
}

// writtenBy is what env wrote, as s (holding its scope's key) reads it.
func writtenBy(t *testing.T, s *station, env *crypto.Envelope) Fields {
	t.Helper()
	k, ok := s.r.Key(roles.Scope(env.Header.Scope))
	if !ok {
		t.Fatalf("%s holds no %s key", s.p.name, env.Header.Scope)
	}
	plain, err := env.Open(k)
	if err != nil {
		t.Fatal(err)
	}
	var f Fields
	if err := json.Unmarshal(plain, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// lastWriterWins writes into s's record id the fields env wrote as a
// version that read every field by its last writer kept them, and has
// the store judged again at the next Open (forgetFieldsRule).
func lastWriterWins(t *testing.T, s *station, id string, env *crypto.Envelope) {
	t.Helper()
	ctx := context.Background()
	f := writtenBy(t, s, env)
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		e, err := tx.Entity(ctx, id)
		if err != nil {
			return err
		}
		st, err := s.r.openState(e)
		if err != nil {
			return err
		}
		st.Merge(f, env.Header.Lamport, env.Header.Device)
		e.Updated = max(e.Updated, env.Header.Time)
		if e.State, err = s.r.sealState(id, st); err != nil {
			return err
		}
		if err := tx.PutEntity(ctx, e); err != nil {
			return err
		}
		return forgetFieldsRule(ctx, tx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// forgetFieldsRule makes a store read as one a version before fields
// revision 26 judged: the fields rule and the pin rule forgotten.
func forgetFieldsRule(ctx context.Context, tx *store.Tx) error {
	if err := tx.DeleteMeta(ctx, metaPinRule); err != nil {
		return err
	}
	return tx.DeleteMeta(ctx, metaFieldsRule)
}

// TestAttackS26aForgedImportMark: Attack (LOW): an appointment's status
// "in-visit" and "seen" are the physician's visit's (app/chart), or an
// appointment another clinic saw, imported at the desk. A receptionist's
// modified software wrote "seen" on a booked appointment with the mark of
// an import: every workstation read it seen, and the desk's rules (check-in,
// cancel, no-show start from booked) left no way back. Now an appointment's
// id is bound to its import (roles.NewPinnedID): only an event proving it
// (the seal its import wrote) writes the mark, and only such an event, or
// one by a member whose role holds the clinical key, writes the status
// "seen"; "in-visit" only the physician's.
func TestAttackS26aForgedImportMark(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    map[string]any
	}{
		{"seen with the mark", map[string]any{"status": "seen", "imported": time.Now().UnixMilli()}},
		{"seen with a seal of her own", map[string]any{"status": "seen", "imported": time.Now().UnixMilli(),
			"import_seal": "00112233445566778899aabbccddeeff"}},
		{"in visit", map[string]any{"status": "in-visit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			patient := registered(t, c.sRecep, "Okafor", "MH0000001")
			appt := bookedAppointment(t, c.sRecep, patient.Header.Entity, c.phys.fp())
			exchange(t, c.stations()...)
			forged := c.sRecep.forge(forged{Entity: appt, Kind: "appointment", Scope: string(roles.FrontDesk), Fields: fields(t, tc.f)})
			for _, s := range []*station{c.sPhys, c.sPh2} {
				s.apply(c.sRecep.own()...)
				if st, _ := s.ruleOf(forged.Header.ID); st != store.Rejected {
					t.Errorf("%s keeps Rita's %v: %v; want refused", s.p.name, tc.f, st)
				}
				if _, got, err := s.r.Entity(ctx, appt); err != nil || got.String("status") != "booked" {
					t.Errorf("%s reads the appointment as %v (%v); want booked", s.p.name, fieldNames(got), err)
				}
			}
		})
	}
}

// TestAttackS26aImportProvedAgain: an appointment another clinic booked,
// imported at the desk (booked), then visited here. Rita reads its seal
// and proves the import again beside the status "seen": refused, for the
// id binds the import's status too (roles.Pin.With); the desk's check-in
// of it stands.
func TestAttackS26aImportProvedAgain(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	patient := registered(t, c.sRecep, "Okafor", "MH0000001")
	at := time.Now().UnixMilli()
	id, seal := roles.NewPinnedID("appointment", mustJSON(at), mustJSON("booked"))
	c.sRecep.append(Change{Entity: id, Kind: "appointment", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"patient": patient.Header.Entity, "physician": c.phys.fp(), "start": "2026-01-05T09:00:00Z",
			"minutes": 20, "status": "booked", "imported": at, "import_seal": seal, "booked_by": c.recep.fp(), "booked_at": at})})
	exchange(t, c.stations()...)
	forged := c.sRecep.forge(forged{Entity: id, Kind: "appointment", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"status": "seen", "imported": at, "import_seal": seal})})
	checkIn := c.sRecep.append(Change{Entity: id, Kind: "appointment", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"status": "arrived", "arrived_at": time.Now().UnixMilli()})})
	for _, s := range []*station{c.sPhys, c.sPh2} {
		s.apply(c.sRecep.own()...)
		if st, _ := s.ruleOf(forged.Header.ID); st != store.Rejected {
			t.Errorf("%s keeps Rita's seen proved by the import's seal: %v; want refused", s.p.name, st)
		}
		if st, why := s.stateOf(checkIn); st != store.Applied {
			t.Errorf("%s keeps the desk's check-in of the imported appointment %v (%s); want applied", s.p.name, st, why)
		}
		if _, got, err := s.r.Entity(ctx, id); err != nil || got.String("status") != "arrived" {
			t.Errorf("%s reads the appointment as %v (%v); want arrived", s.p.name, fieldNames(got), err)
		}
	}
}
