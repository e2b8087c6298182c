package replica

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// writeChange has s write change n of p's role: from, to and heads, and
// the role to as well when withRole (as the app's ChangeRole does).
func writeChange(t *testing.T, s *station, p *person, n int, c RoleChange, withRole bool) *crypto.Envelope {
	t.Helper()
	f := map[string]any{RoleChangeField(n): c}
	if withRole {
		f["role"] = c.To
	}
	return s.append(Change{Entity: p.fp(), Kind: KindMember, Scope: roles.Directory, Fields: fields(t, f)})
}

// honestChange changes p's role as this version's ChangeRole does: change
// n from her role now, with her heads as s knows them.
func honestChange(t *testing.T, s *station, p *person, n int, to roles.Role) {
	t.Helper()
	heads := memberHeads(t, s, p)
	m, _ := s.r.Member(p.fp())
	writeChange(t, s, p, n, RoleChange{From: m.Role, To: to, Heads: heads}, true)
}

// TestRoleHistoryIsAHistory (session 13 review, S4-S7): what an
// administrator writes into a physician's entry after he wrote a note.
// The history is read as far as it is consistent (change 1 leaves the role
// he was admitted with, each next one the role the one before took), a
// change once written is never rewritten, and a role written without a
// change into an entry that records one takes no effect. Every
// workstation, and a newcomer, agree on his role and on his note.
func TestRoleHistoryIsAHistory(t *testing.T) {
	far := func(s *station) map[string]uint64 { return map[string]uint64{s.r.Device(): 1 << 40} }
	for _, tc := range []struct {
		name     string
		write    func(t *testing.T, c *clinic)
		role     roles.Role
		noteKept bool
	}{
		{name: "a change leaving a role he never held (S5)", role: roles.Physician, noteKept: true,
			write: func(t *testing.T, c *clinic) {
				writeChange(t, c.sAdmin, c.phys, 1, RoleChange{From: roles.Receptionist, To: roles.Physician, Heads: far(c.sPhys)}, true)
			}},
		{name: "a change of an administrator over a physician's chain (S7)", role: roles.Physician, noteKept: true,
			write: func(t *testing.T, c *clinic) {
				writeChange(t, c.sAdmin, c.phys, 1, RoleChange{From: roles.Administrator, To: roles.Physician, Heads: far(c.sPhys)}, false)
			}},
		{name: "an honest change, then a role without a change (S4)", role: roles.Receptionist, noteKept: true,
			write: func(t *testing.T, c *clinic) {
				honestChange(t, c.sAdmin, c.phys, 1, roles.Receptionist)
				c.changeRole(c.phys, roles.Physician)
			}},
		{name: "an honest change, then the change rewritten without heads (S5, S6)", role: roles.Receptionist, noteKept: true,
			write: func(t *testing.T, c *clinic) {
				honestChange(t, c.sAdmin, c.phys, 1, roles.Receptionist)
				exchange(t, c.stations()...)
				writeChange(t, c.sAdmin, c.phys, 1, RoleChange{From: roles.Physician, To: roles.Receptionist, Heads: map[string]uint64{}}, false)
			}},
		{name: "a change with a gap (change 2 without change 1)", role: roles.Physician, noteKept: true,
			write: func(t *testing.T, c *clinic) {
				writeChange(t, c.sAdmin, c.phys, 2, RoleChange{From: roles.Physician, To: roles.Administrator, Heads: map[string]uint64{}}, false)
			}},
		{name: "a change written before the note (control: judged by the new role)", role: roles.Receptionist,
			write: func(t *testing.T, c *clinic) {
				writeChange(t, c.sAdmin, c.phys, 1, RoleChange{From: roles.Physician, To: roles.Receptionist, Heads: map[string]uint64{}}, true)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			note := c.sPhys.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
				Fields: fields(t, map[string]any{"plan": "written by a physician"})})
			exchange(t, c.stations()...)
			tc.write(t, c)
			exchange(t, c.stations()...)
			_, sZed := c.admitted(t, "Zed Later", roles.Physician)
			for _, s := range []*station{c.sRecep, c.sAdmin, c.sPh2, c.sPhys} {
				sZed.apply(s.everything()...)
			}
			for _, s := range append(c.stations(), sZed) {
				m, _ := s.r.Member(c.phys.fp())
				st, why := s.state(note.Header.ID)
				if m.Role != tc.role || (st != store.Rejected) != tc.noteKept {
					t.Errorf("%s: Paul %s, his note %v (%s); want %s, kept %v", s.p.name, m.Role, st, why, tc.role, tc.noteKept)
				}
			}
		})
	}
}

// TestRoleChangeCoversNoLaterEvent (session 13 review, S1): the heads of
// a change reach no event written after it. An administrator writes Pia's
// move to the administrators with heads far past her chain; what Pia
// writes afterwards is an administrator's (her note is refused
// everywhere), not a physician's.
func TestRoleChangeCoversNoLaterEvent(t *testing.T) {
	c := newClinic(t)
	before := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"plan": "written as a physician"})})
	exchange(t, c.stations()...)
	writeChange(t, c.sAdmin, c.phys2, 1, RoleChange{From: roles.Physician, To: roles.Administrator,
		Heads: map[string]uint64{c.sPh2.r.Device(): 1 << 40}}, true)
	exchange(t, c.stations()...)
	after := c.sPh2.forge(forged{Entity: crypto.NewEventID(), Kind: "note", Scope: string(roles.Clinical),
		Fields: Fields{"plan": mustJSON("written as an administrator")}})
	exchange(t, c.stations()...)
	for _, s := range []*station{c.sAdmin, c.sPhys, c.sRecep} {
		if st, why := s.state(before.Header.ID); st == store.Rejected {
			t.Errorf("%s refuses Pia's note written as a physician: %s", s.p.name, why)
		}
		if st, _ := s.state(after.Header.ID); st != store.Rejected {
			t.Errorf("%s keeps Pia's note written after she was made an administrator (%v): the change's heads reached it", s.p.name, st)
		}
	}
}

// TestStateMergeWrittenOnce: a change of role keeps the cell written
// first, whatever order the events are merged in; other fields the last.
func TestStateMergeWrittenOnce(t *testing.T) {
	early, late := json.RawMessage(`"early"`), json.RawMessage(`"late"`)
	for _, order := range [][2]uint64{{3, 7}, {7, 3}} {
		st := State{}
		for _, l := range order {
			v := early
			if l == 7 {
				v = late
			}
			st.Merge(map[string]json.RawMessage{RoleChangeField(1): v, "role": v}, l, "dev")
		}
		if string(st[RoleChangeField(1)].V) != string(early) || string(st["role"].V) != string(late) {
			t.Errorf("merged in order %v: change %s, role %s; want the change written first, the role last", order, st[RoleChangeField(1)].V, st["role"].V)
		}
	}
}

// TestRoleFieldsContentRule: what no event writes into a directory entry.
func TestRoleFieldsContentRule(t *testing.T) {
	ada, pia := "ada", "pia"
	for _, tc := range []struct {
		name   string
		author string
		f      map[string]any
		bad    bool
	}{
		{"a change", ada, map[string]any{"role": roles.Receptionist, RoleChangeField(1): RoleChange{From: roles.Physician, To: roles.Receptionist}}, false},
		{"the admission role", ada, map[string]any{admittedField: roles.Physician}, true},
		{"a change keeping the role", ada, map[string]any{RoleChangeField(1): RoleChange{From: roles.Physician, To: roles.Physician}}, true},
		{"a change to no role", ada, map[string]any{RoleChangeField(1): RoleChange{From: roles.Physician, To: "owner"}}, true},
		{"her own change", pia, map[string]any{RoleChangeField(1): RoleChange{From: roles.Physician, To: roles.Administrator}}, true},
		{"her own role", pia, map[string]any{"role": roles.Physician}, true},
		{"her own former roles", pia, map[string]any{FieldRoleHeads: []RoleHeld{}}, true},
		{"her own revocation", pia, map[string]any{"revoked_heads": map[string]uint64{}}, true},
		{"her own name", pia, map[string]any{"name": "Pia"}, false},
	} {
		err := checkRoleFields(crypto.Header{Kind: KindMember, Entity: pia, Author: tc.author}, fields(t, tc.f))
		if (err != nil) != tc.bad {
			t.Errorf("%s: %v, want refused %v", tc.name, err, tc.bad)
		}
	}
}

// TestRoleHistoryMendedOnUpgrade: a store a version before this one kept
// holds entries without the role they were admitted with, and a
// member's session 12 change (role_heads). Opened by this version (the
// fields rule's version changed), every entry is rebuilt and read as a
// history: Pia's change is carried over, with the role she was admitted
// with.
func TestRoleHistoryMendedOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	changeRole(t, c.sAdmin, c.phys2, roles.Physician, roles.Receptionist)
	exchange(t, c.stations()...)
	s := c.sPhys
	// As the older version kept it: no admission role.
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		e, err := tx.Entity(ctx, c.phys2.fp())
		if err != nil {
			return err
		}
		st, err := s.r.openState(e)
		if err != nil {
			return err
		}
		delete(st, admittedField)
		if e.State, err = s.r.sealState(e.ID, st); err != nil {
			return err
		}
		if err := tx.PutEntities(ctx, []store.Entity{e}); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	m, _ := s.r.Member(c.phys2.fp())
	if m.Admitted != roles.Physician || m.Role != roles.Receptionist || len(m.Changes) != 1 || m.Changes[0].From != roles.Physician {
		t.Errorf("after the upgrade Pia reads admitted %q, role %q, changes %+v; want physician, receptionist, one change", m.Admitted, m.Role, m.Changes)
	}
}

// TestRoleChangeRejudgesOnlyWhatChanged (session 13 review, S6): a change
// of role judges again only the events whose role at their place changed.
// Rita, a receptionist with 3,000 patients, is made a physician: her
// patients were written as a receptionist before and after, so Paul's
// workstation re-applies none of them (the change costs a read of her
// chain, far less than applying her history once); a change written
// again over the first one takes no effect.
func TestRoleChangeRejudgesOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	const records = 3000
	b := c.sRecep.r.Batch()
	for range records {
		b.Append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
			Fields: fields(t, map[string]any{"family": "Family", "given": "Ann"})})
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.sPhys.apply(c.sRecep.everything()...)
	c.sAdmin.apply(c.sRecep.everything()...)
	once := time.Since(start) / 2
	heads := memberHeads(t, c.sAdmin, c.recep)
	var changes time.Duration
	before := c.sPhys.r.rejudged.Load()
	for _, heads := range []map[string]uint64{heads, {}} { // the honest change, then one written over it
		env := writeChange(t, c.sAdmin, c.recep, 1, RoleChange{From: roles.Receptionist, To: roles.Physician, Heads: heads}, true)
		start := time.Now()
		rep := c.sPhys.apply(env.Raw)
		changes += time.Since(start)
		if rep.Rejected > 0 || rep.Applied > 1 {
			t.Errorf("the change made Paul refuse %d and apply %d events", rep.Rejected, rep.Applied)
		}
	}
	rejudged := c.sPhys.r.rejudged.Load() - before
	t.Logf("applying %d records once: %v; a change of role and one written over it: %v, %d events judged again", records, once, changes, rejudged)
	// Counted, not timed (a time bound failed on loaded machines twice):
	// her records were written as a receptionist before and after, so
	// neither change judges one of them again.
	if rejudged != 0 {
		t.Errorf("two changes of role judged %d of the receptionist's %d records again, want none", rejudged, records)
	}
}

// TestFakeIntermediateRoleGivesNoKey: what an administrator can still do
// to a role history (Known limits), and why it gives no key (session 13
// review, S1 with S2). Pia, a physician Paul confirmed, is made an
// administrator (change 1). She admits Sly, a stand-in of her own, and
// writes a confirmation of her (refused: an administrator's). Pam, a
// puppet administrator Pia admitted, invents two changes, visible in Pia's
// history: administrator -> physician just before the confirmation and
// physician -> administrator covering it, so the confirmation is judged a
// physician's and applied. But Pia "entered" the physician role after
// Paul confirmed her, so his confirmation of her counts no more: once Pia
// is revoked, Paul reaches nobody through her and grants Sly nothing.
func TestFakeIntermediateRoleGivesNoKey(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	honestChange(t, c.sAdmin, c.phys2, 1, roles.Administrator)
	exchange(t, c.stations()...)
	sly, sSly := c.admittedBy(t, c.sPh2, "Sly Standin", roles.Physician)
	_, sPam := c.admittedBy(t, c.sPh2, "Pam Puppet", roles.Administrator)
	all := append(c.stations(), sSly, sPam)
	exchange(t, all...)
	conf := c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
		Fields: Fields{confirmsFieldPrefix + sly.fp(): mustJSON(true)}})
	exchange(t, all...)
	pia, _ := sPam.r.Member(c.phys2.fp())
	dev := c.sPh2.r.Device()
	first := pia.Changes[0].Heads
	before, at := map[string]uint64{dev: conf.Header.Seq - 1}, map[string]uint64{dev: conf.Header.Seq}
	for d, s := range first {
		before[d], at[d] = max(before[d], s), max(at[d], s)
	}
	// Her software sets its clock past the refused confirmation's, which
	// her workstation did not count (a change covers only what was
	// written before it).
	sPam.forge(forged{Entity: c.phys2.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: conf.Header.Lamport + 5,
		Fields: fields(t, map[string]any{
			RoleChangeField(2): RoleChange{From: roles.Administrator, To: roles.Physician, Heads: before},
			RoleChangeField(3): RoleChange{From: roles.Physician, To: roles.Administrator, Heads: at},
			"role":             roles.Administrator})})
	if err := sSly.r.Confirm(ctx, c.phys.fp()); err != nil {
		t.Fatal(err)
	}
	exchange(t, all...)
	c.revokeAsTheAppDoes(t, c.phys2)
	exchange(t, all...)
	m, _ := c.sPhys.r.Member(c.phys2.fp())
	st, why := c.sPhys.state(conf.Header.ID)
	t.Logf("Pia's history on Paul's workstation: %d changes, role %s; her confirmation of Sly: %v %s", len(m.Changes), m.Role, st, why)
	if len(m.Changes) != 3 || !m.Revoked() {
		t.Fatalf("setup: Pia's history reads %d changes, revoked %v", len(m.Changes), m.Revoked())
	}
	if c.sPhys.r.MayGrant(roles.Clinical, sly.fp()) {
		t.Error("Paul grants the clinical key to Sly, whom nobody met: Pia's invented physician role made her confirmation count")
	}
}
