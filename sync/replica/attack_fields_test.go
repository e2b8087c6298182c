package replica

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// junk is n field names no kind declares, each written true.
func junk(n int) Fields {
	f := Fields{}
	for i := range n {
		f[fmt.Sprintf("junk/%08d", i)] = json.RawMessage("true")
	}
	return f
}

// heldEpochs is n key-held names of the right pattern, each written true.
func heldEpochs(n int) Fields {
	f := Fields{}
	for i := range n {
		f[heldField(string(roles.Clinical), 7<<16|uint32(i))] = json.RawMessage("true")
	}
	return f
}

// TestAttackRecordBloat: Attack (session 9, finding 3): a receptionist's
// modified software writes thousands of fields into records every member
// applies: her own key-held record (directory scope: every workstation
// opens it), the front desk's settings and a patient (front-desk scope),
// a physician's availability (days off of the right pattern, more than
// the one an event may write). Before the fields rule every workstation merged them, kept
// the whole record sealed as one state (each later change re-seals all of
// it) and held every key-held name in memory (r.held). Now every
// workstation refuses each such event alone (ruleContent), whether it
// opens it on arrival or keeps it sealed until its key comes; her chain
// stays whole, so her next honest event applies.
func TestAttackRecordBloat(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	patient := c.sRecep.patient("Okafor")
	exchange(t, c.stations()...)
	days := Fields{"off/2026-12-24": json.RawMessage("true"), "off/2026-12-25": json.RawMessage("true")}
	for _, tc := range []struct {
		name, entity, kind, scope string
		fields                    Fields
		reason                    string
	}{
		{"junk in her key-held record", HeldEntity(c.recep.fp()), KindKeyHeld, "directory", junk(200), `no field "junk/00000000"`},
		{"too many epochs in her key-held record", HeldEntity(c.recep.fp()), KindKeyHeld, "directory", heldEpochs(roles.MaxEventFields + 1), "more than the 256"},
		{"junk in the front desk's settings", roles.DeskSettingsID, "desk-settings", "frontdesk", junk(200), `no field "junk/00000000"`},
		{"junk in a patient", patient.Header.Entity, "patient", "frontdesk", junk(200), `no field "junk/00000000"`},
		{"a patient field and one of another kind", patient.Header.Entity, "patient", "frontdesk", Fields{"family": json.RawMessage(`"Okafor"`), "doc": json.RawMessage(`"x"`)}, `no field "doc"`},
		{"too many days off", "availability:" + c.phys.fp(), "availability", "frontdesk", days, "more than the 1 one event may"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bloat := c.sRecep.forge(forged{Entity: tc.entity, Kind: tc.kind, Scope: tc.scope, Fields: tc.fields})
			// Her modified software keeps it; an unmodified one never writes it.
			if _, err := c.sRecep.r.Append(ctx, Change{Entity: tc.entity, Kind: tc.kind, Scope: roles.Scope(tc.scope), Fields: tc.fields}); !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("an unmodified workstation writes it: %v", err)
			}
			// The administrator holds no front-desk key: she keeps those
			// sealed and judges them once the key comes (below).
			for _, s := range []*station{c.sAdmin, c.sPhys, c.sPh2} {
				rep := s.apply(bloat.Raw)
				if tc.scope == "frontdesk" && s == c.sAdmin {
					if st, _ := s.state(bloat.Header.ID); st != store.Sealed {
						t.Errorf("%s keeps it %v, want sealed", s.p.name, st)
					}
					continue
				}
				if rep.Rejected != 1 || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Reason, tc.reason) {
					t.Errorf("%s: report %+v, want one refusal for %q", s.p.name, rep, tc.reason)
				}
				wantRefused(t, bloat, tc.reason, s)
			}
		})
	}
	// Her chain stays whole: her next honest event applies everywhere.
	honest := c.sRecep.append(Change{Entity: patient.Header.Entity, Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{"given": "Ada"})})
	exchange(t, c.stations()...)
	for _, s := range []*station{c.sPhys, c.sPh2} {
		if st, reason := s.state(honest.Header.ID); st != store.Applied {
			t.Errorf("%s: her next honest event is %v (%s)", s.p.name, st, reason)
		}
		if _, got, _ := s.r.Entity(ctx, patient.Header.Entity); len(got) > 20 || got.String("given") != "Ada" {
			t.Errorf("%s: the patient holds %d fields, given %q", s.p.name, len(got), got.String("given"))
		}
	}
	// A newcomer receptionist keeps the front desk's events sealed until
	// her key comes: what she kept sealed opens and is refused as
	// everywhere else. (The administrator never takes a front-desk key:
	// no colleague confirms an administrator.)
	nia, n := c.admitted(t, "Nia Newcomer", roles.Receptionist)
	exchange(t, append(c.stations(), n)...)
	confirmEachOther(t, c.sPhys, n)
	c.sPhys.grant(roles.FrontDesk, nia)
	exchange(t, append(c.stations(), n)...)
	if !n.r.Holds(roles.FrontDesk) {
		t.Fatal("the newcomer holds no front-desk key")
	}
	for _, s := range []*station{c.sPhys, c.sPh2} {
		if diff := n.snapshot().diff(s.snapshot()); diff != "" {
			t.Errorf("the newcomer and %s differ once she opens the front desk: %s", s.p.name, diff)
		}
	}
	for _, s := range c.stations() {
		if n := len(s.r.held[c.recep.fp()]); n > 16 {
			t.Errorf("%s holds %d key-held names of the receptionist in memory", s.p.name, n)
		}
		for _, id := range []string{roles.DeskSettingsID, patient.Header.Entity, HeldEntity(c.recep.fp())} {
			if _, st, err := s.r.Entity(ctx, id); err == nil && len(st) > 20 {
				t.Errorf("%s: record %s holds %d fields", s.p.name, short(id), len(st))
			}
		}
	}
}

// TestFieldsRuleMendsAnOlderWorkstation: a workstation of an older version
// applied a receptionist's bloating events (no fields rule then): its
// records hold her junk, and two days off of one event among the honest
// one. Opened by this version, it refuses those events
// once, as every workstation of this version does, and rebuilds the
// records from the rest: the junk is gone from the record and from memory,
// the honest fields stay. An event a version that declared fewer fields
// refused is judged again, and applies.
func TestFieldsRuleMendsAnOlderWorkstation(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	patient := c.sRecep.patient("Okafor")
	exchange(t, c.stations()...)
	availability := "availability:" + c.phys.fp()
	dayOff := c.sRecep.append(Change{Entity: availability, Kind: "availability", Scope: roles.FrontDesk,
		Fields: Fields{"physician": json.RawMessage(`"` + c.phys.fp() + `"`), "off/2026-12-24": json.RawMessage("true")}})
	exchange(t, c.stations()...)
	held := c.sRecep.forge(forged{Entity: HeldEntity(c.recep.fp()), Kind: KindKeyHeld, Scope: "directory", Fields: junk(200)})
	onPatient := c.sRecep.forge(forged{Entity: patient.Header.Entity, Kind: "patient", Scope: "frontdesk",
		Fields: Fields{"given": json.RawMessage(`"Ada"`), "junk/1": json.RawMessage("true")}})
	// Well-formed names, more than one event may write.
	daysOff := c.sRecep.forge(forged{Entity: availability, Kind: "availability", Scope: "frontdesk",
		Fields: Fields{"off/2026-12-30": json.RawMessage("true"), "off/2026-12-31": json.RawMessage("true")}})
	bloats := []*crypto.Envelope{held, onPatient, daysOff}
	// A field a version that declared fewer refused, this one declares.
	phone := c.sRecep.forge(forged{Entity: patient.Header.Entity, Kind: "patient", Scope: "frontdesk",
		Fields: Fields{"phone": json.RawMessage(`"+49 30 1234567"`)}})
	// As the older versions did: stored, applied, merged; or refused.
	s := c.sPhys
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		defer s.r.begin()()
		if _, err := tx.PutEnvelope(ctx, rowOf(phone, store.Applied, "")); err != nil {
			return err
		}
		if err := tx.Refuse(ctx, phone.Header.ID, ruleContent, fieldsReason(errors.New(`patient records have no field "phone"`))); err != nil {
			return err
		}
		for _, env := range bloats {
			if err := s.applyUnjudged(ctx, tx, env); err != nil {
				return err
			}
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.r.held[c.recep.fp()]); n < 200 {
		t.Fatalf("the older workstation holds %d key-held names, want her 200 junk ones", n)
	}
	reopen := func() {
		t.Helper()
		var err error
		if s.r, err = Open(ctx, s.r.p); err != nil {
			t.Fatal(err)
		}
	}
	reopen()
	wantRefused(t, held, "no field", s)
	wantRefused(t, onPatient, "no field", s)
	wantRefused(t, daysOff, "more than the 1", s)
	if _, st, err := s.r.Entity(ctx, availability); err != nil || len(st) != 2 || st.String("physician") != c.phys.fp() {
		t.Errorf("the availability after the upgrade: %v, %v; want the honest day off (event %s) only", st, err, short(dayOff.Header.ID))
	}
	if n := len(s.r.held[c.recep.fp()]); n > 16 {
		t.Errorf("after the upgrade the workstation holds %d key-held names of the receptionist", n)
	}
	if !s.r.Acknowledged(c.recep.fp(), roles.FrontDesk, c.sRecep.r.Keys(roles.FrontDesk)[0].Epoch) {
		t.Error("her honest acknowledgement was lost in the rebuild")
	}
	// The event refused for a field this version declares is judged again.
	s.apply()
	if st, reason := s.state(phone.Header.ID); st != store.Applied {
		t.Errorf("the event refused for a field now declared is %v (%s)", st, reason)
	}
	_, st, err := s.r.Entity(ctx, patient.Header.Entity)
	if err != nil || st.String("family") != "Okafor" || st.String("given") != "" || st.String("phone") == "" || len(st) > 20 {
		t.Errorf("the patient after the upgrade: %v, %v", st, err)
	}
	// The same as a workstation that had the rule all along.
	c.sPh2.apply(raws(append(bloats, phone)...)...)
	if diff := s.snapshot().diff(c.sPh2.snapshot()); diff != "" {
		t.Errorf("the mended workstation and one of this version differ: %s", diff)
	}
	// Done once: opening again judges nothing.
	err = s.db.View(ctx, func(tx *store.Tx) error {
		v, err := tx.Meta(ctx, metaFieldsRule)
		if err == nil && string(v) != roles.FieldsVersion() {
			err = fmt.Errorf("mark %q", v)
		}
		return err
	})
	if err != nil {
		t.Errorf("the store is not marked as judged by the fields rule: %v", err)
	}
	reopen()
}

// TestAcknowledgeManyKeys: a workstation holding more key epochs than one
// event may name acknowledges them in several events, all applied.
func TestAcknowledgeManyKeys(t *testing.T) {
	c := newClinic(t)
	ctx := context.Background()
	for i := range roles.MaxEventFields + 10 {
		k, err := crypto.NewScopeKey(string(roles.Clinical), 3<<16|uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.sPhys.db.Update(ctx, func(tx *store.Tx) error { return c.sPhys.r.keepKey(ctx, tx, k) }); err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.sPhys.r.AcknowledgeKeys(ctx)
	if err != nil || n != roles.MaxEventFields+10 {
		t.Fatalf("acknowledged %d keys, %v", n, err)
	}
	rep := c.sAdmin.apply(c.sPhys.everything()...)
	if rep.Rejected != 0 || !c.sAdmin.r.Acknowledged(c.phys.fp(), roles.Clinical, 3<<16|uint32(roles.MaxEventFields+9)) {
		t.Errorf("the administrator's workstation: %+v", rep)
	}
}

// applyUnjudged stores env as applied and merges its fields, as a version
// before a rule did: no rule judges it.
func (s *station) applyUnjudged(ctx context.Context, tx *store.Tx, env *crypto.Envelope) error {
	if _, err := tx.PutEnvelope(ctx, rowOf(env, store.Applied, "")); err != nil {
		return err
	}
	k, _ := s.r.Key(roles.Scope(env.Header.Scope))
	plain, err := env.Open(k)
	if err != nil {
		return err
	}
	var f Fields
	if err := json.Unmarshal(plain, &f); err != nil {
		return err
	}
	return s.r.mergeEntity(ctx, tx, env.Header, f)
}
