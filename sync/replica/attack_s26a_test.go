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
// (app's registerInto), and returns the registration.
func registered(t *testing.T, s *station, family, mrn string) *crypto.Envelope {
	t.Helper()
	return s.append(Change{Entity: roles.NewRecordID("patient"), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{
		"mrn": mrn, "family": family, "registered": time.Now().UnixMilli()})})
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

// lastWriterWins writes into s's record id the fields env wrote as a
// version that read every field by its last writer kept them, and has
// the store judged again at the next Open (its fields rule forgotten).
func lastWriterWins(t *testing.T, s *station, id string, env *crypto.Envelope) {
	t.Helper()
	ctx := context.Background()
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
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		e, err := tx.Entity(ctx, id)
		if err != nil {
			return err
		}
		st, err := s.r.openState(e)
		if err != nil {
			return err
		}
		st.Merge(f, env.Header.Lamport, env.Header.Device)
		if e.State, err = s.r.sealState(id, st); err != nil {
			return err
		}
		if err := tx.PutEntity(ctx, e); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
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
