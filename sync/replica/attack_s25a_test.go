package replica

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Session 25 review (h-rev25a): a rule a workstation keeps on its own
// writes, kept again by every workstation that applies another's.

// bookedAppointment has s book an appointment of patient with physician
// fp, as the front desk does (app/frontdesk), and returns its id.
func bookedAppointment(t *testing.T, s *station, patient, physician string) string {
	t.Helper()
	id := roles.NewRecordID("appointment")
	s.append(Change{Entity: id, Kind: "appointment", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{
		"patient": patient, "physician": physician, "start": time.Now().Truncate(time.Hour).Format(time.RFC3339),
		"minutes": 20, "reason": "cough", "status": "booked", "booked_by": s.p.fp(), "booked_at": time.Now().UnixMilli()})})
	return id
}

// TestAttackS25aReceptionistMarksAVisitSeen: Attack (MEDIUM): an
// appointment's visit_started and visit_finished are written by app/chart
// alone, when the physician starts and finishes the visit (session 24),
// and every workstation reads the status from them over the status field
// (app/records visitKept): once visit_finished is set the appointment is
// "seen" for good, whatever the desk or the physician writes after. The
// appointment is a front-desk record a receptionist may change, and the
// rule that only the physician starts a visit was kept by the writer
// alone (the desk's software never writes them): a receptionist's
// modified software wrote visit_finished on a booked appointment, and
// every workstation showed the patient seen by the physician (the
// physician's Start visit hidden, the patient's copy "Attended", the FHIR
// export "fulfilled") with no visit, and nobody could set it back. Now the
// fields are the physician's (roles.Kind.Holders): every workstation
// refuses an event writing them by a member whose role at the event holds
// no clinical key, and an unmodified workstation never writes one.
func TestAttackS25aReceptionistMarksAVisitSeen(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	patient := c.sRecep.patient("Okafor")
	appt := bookedAppointment(t, c.sRecep, patient.Header.Entity, c.phys.fp())
	exchange(t, c.stations()...)
	now := time.Now().UnixMilli()
	seen := fields(t, map[string]any{"status": "seen", "visit_started": now - 60000, "visit_finished": now})
	// An unmodified receptionist's workstation does not write it.
	if _, err := c.sRecep.r.Append(ctx, Change{Entity: appt, Kind: "appointment", Scope: roles.FrontDesk, Fields: seen}); !errors.Is(err, ErrForbidden) {
		t.Errorf("an unmodified receptionist's workstation writes the visit's fields: %v", err)
	}
	forged := c.sRecep.forge(forged{Entity: appt, Kind: "appointment", Scope: string(roles.FrontDesk), Fields: seen})
	for _, s := range []*station{c.sPhys, c.sPh2} {
		s.apply(c.sRecep.own()...)
		if st, rule := s.ruleOf(forged.Header.ID); st != store.Rejected || rule != ruleRole {
			t.Errorf("%s keeps Rita's visit_finished %v (rule %q); want refused by the role rule", s.p.name, st, rule)
		}
		if _, got, err := s.r.Entity(ctx, appt); err != nil || got.String("status") != "booked" || hasField(got, "visit_finished") {
			t.Errorf("%s reads the appointment as %v (%v); want booked, no visit", s.p.name, fieldNames(got), err)
		}
	}
	// The physician's own visit still writes them (app/chart's StartVisit).
	started := c.sPhys.append(Change{Entity: appt, Kind: "appointment", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"status": "in-visit", "visit_started": now})})
	c.sPh2.apply(c.sPhys.own()...)
	c.sRecep.apply(c.sPhys.own()...)
	for _, s := range []*station{c.sPh2, c.sRecep} {
		if st, why := s.stateOf(started); st != store.Applied {
			t.Errorf("%s keeps Paul's start of the visit %v (%s); want applied", s.p.name, st, why)
		}
	}
}

// TestAttackS25aReceptionistSetsTheVisitStatus (open: MEDIHAVEN_OPEN_ATTACKS=1):
// Attack (LOW): the
// statuses "in-visit" and "seen" are the physician's visit's (app/chart);
// the desk sets booked, arrived, cancelled and no-show, and imports an
// appointment another clinic saw ("fulfilled": seen). A receptionist's
// modified software wrote "seen" on a booked appointment: every
// workstation read it seen (the physician's Start visit hidden, the
// patient's copy "Attended", the FHIR export "fulfilled"), and the desk's
// own rules left no way back (check-in, cancel, no-show start from booked).
// The desk's import of an appointment another clinic saw wrote the same
// event (status "seen", by a receptionist, with no mark), so no rule
// judging one event alone told them apart. Since session 26 (h-mrn26) an
// appointment's id is bound to its import (roles.Kind.Pin): the status
// "seen" and "in-visit" are the physician's (roles.Held.Values) but in
// the event that proves the import, on every workstation. Appointments
// made before keep no such rule (Known limits).
func TestAttackS25aReceptionistSetsTheVisitStatus(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	patient := c.sRecep.patient("Okafor")
	appt := bookedAppointment(t, c.sRecep, patient.Header.Entity, c.phys.fp())
	exchange(t, c.stations()...)
	seen := fields(t, map[string]any{"status": "seen"})
	if _, err := c.sRecep.r.Append(ctx, Change{Entity: appt, Kind: "appointment", Scope: roles.FrontDesk, Fields: seen}); !errors.Is(err, ErrForbidden) {
		t.Errorf("an unmodified receptionist's workstation writes the status seen: %v", err)
	}
	forged := c.sRecep.forge(forged{Entity: appt, Kind: "appointment", Scope: string(roles.FrontDesk), Fields: seen})
	// An appointment another clinic saw, imported at the desk.
	imported := imported(t, c.sRecep, patient.Header.Entity)
	for _, s := range []*station{c.sPhys, c.sPh2} {
		s.apply(c.sRecep.own()...)
		if st, rule := s.ruleOf(forged.Header.ID); st != store.Rejected || rule != ruleRole {
			t.Errorf("%s keeps Rita's status seen %v (rule %q); want refused by the role rule", s.p.name, st, rule)
		}
		if _, got, err := s.r.Entity(ctx, appt); err != nil || got.String("status") != "booked" {
			t.Errorf("%s reads the appointment as %v (%v); want booked", s.p.name, fieldNames(got), err)
		}
		if st, why := s.stateOf(imported); st != store.Applied {
			t.Errorf("%s keeps Rita's import of a seen appointment %v (%s); want applied", s.p.name, st, why)
		}
	}
}

// TestAttackS25aVisitFieldsMendedOnUpgrade: a store a version before the
// rule judged (it applied a receptionist's visit_finished) judges it again
// once opened by this version (fields revision 25: mendFields), and the
// appointment reads as the desk left it.
func TestAttackS25aVisitFieldsMendedOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	patient := c.sRecep.patient("Okafor")
	appt := bookedAppointment(t, c.sRecep, patient.Header.Entity, c.phys.fp())
	exchange(t, c.stations()...)
	forged := c.sRecep.forge(forged{Entity: appt, Kind: "appointment", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"visit_finished": time.Now().UnixMilli()})})
	s := c.sPhys
	s.apply(c.sRecep.own()...)
	// As the older version kept it: applied, in the record.
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		defer s.r.begin()()
		if err := tx.SetStates(ctx, []string{forged.Header.ID}, store.Applied, ""); err != nil {
			return err
		}
		if err := s.r.rebuildEntity(ctx, tx, appt); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, got, _ := s.r.Entity(ctx, appt); !hasField(got, "visit_finished") {
		t.Fatal("setup: the older version's record holds no visit_finished")
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply()
	if st, rule := s.ruleOf(forged.Header.ID); st != store.Rejected || rule != ruleRole {
		t.Errorf("after the upgrade Rita's visit_finished is %v (rule %q); want refused by the role rule", st, rule)
	}
	if _, got, err := s.r.Entity(ctx, appt); err != nil || hasField(got, "visit_finished") || got.String("status") != "booked" {
		t.Errorf("after the upgrade the appointment reads %v (%v); want booked, no visit", fieldNames(got), err)
	}
}

// TestAttackS25aVisitFieldsWhenUnsealed: an appointment event kept sealed
// (its workstation held no key of its epoch yet) is judged by the role rule
// when the key comes and it opens (unseal.go), as on apply.
func TestAttackS25aVisitFieldsWhenUnsealed(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	patient := c.sRecep.patient("Okafor")
	appt := bookedAppointment(t, c.sRecep, patient.Header.Entity, c.phys.fp())
	exchange(t, c.stations()...)
	if _, err := c.sPhys.r.NewEpoch(ctx, roles.FrontDesk); err != nil {
		t.Fatal(err)
	}
	c.sPhys.grant(roles.FrontDesk, c.recep)
	c.sRecep.apply(c.sPhys.own()...)
	forged := c.sRecep.forge(forged{Entity: appt, Kind: "appointment", Scope: string(roles.FrontDesk),
		Fields: fields(t, map[string]any{"visit_finished": time.Now().UnixMilli()})})
	c.sPh2.apply(c.sRecep.own()...)
	if st, _ := c.sPh2.ruleOf(forged.Header.ID); st != store.Sealed {
		t.Fatalf("setup: Rita's event is %v on Pia's workstation, want sealed (no key of its epoch yet)", st)
	}
	c.sPhys.grant(roles.FrontDesk, c.phys2)
	c.sPh2.apply(c.sPhys.own()...)
	if st, rule := c.sPh2.ruleOf(forged.Header.ID); st != store.Rejected || rule != ruleRole {
		t.Errorf("opened on Pia's workstation, Rita's visit_finished is %v (rule %q); want refused by the role rule", st, rule)
	}
	if _, got, err := c.sPh2.r.Entity(ctx, appt); err != nil || hasField(got, "visit_finished") {
		t.Errorf("Pia reads the appointment as %v (%v); want no visit", fieldNames(got), err)
	}
}

// hasField reports whether st holds field name.
func hasField(st State, name string) bool {
	_, ok := st[name]
	return ok
}

// fieldNames are the names of st's fields, with the status's value.
func fieldNames(st State) []string {
	out := []string{"status " + st.String("status")}
	for _, name := range slices.Sorted(maps.Keys(st)) {
		out = append(out, name)
	}
	return out
}
