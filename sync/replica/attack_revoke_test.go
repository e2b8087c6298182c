package replica

import (
	"context"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// revoke has the administrator revoke p, naming the last event of each of
// p's devices this workstation accepted, as the app does.
func (c *clinic) revoke(p *person) *crypto.Envelope {
	ctx := context.Background()
	heads := map[string]uint64{}
	err := c.sAdmin.db.View(ctx, func(tx *store.Tx) error {
		hs, err := tx.Heads(ctx)
		for _, h := range hs {
			if e, err := tx.EnvelopeAt(ctx, h.Device, h.Seq); err == nil && e.Author == p.fp() {
				heads[h.Device] = h.Seq
			}
		}
		return err
	})
	if err != nil {
		c.sAdmin.t.Fatal(err)
	}
	m, _ := c.sAdmin.r.Member(p.fp())
	heads[RevokedChanges], heads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
	return c.sAdmin.append(Change{Entity: p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(c.sAdmin.t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
}

// memberHeads is p's heads as s knows them, as app.ChangeRole and
// app.RevokeMember name them (Replica.MemberHeads).
func memberHeads(t testing.TB, s *station, p *person) map[string]uint64 {
	t.Helper()
	heads, err := s.r.MemberHeads(context.Background(), p.fp(), MaxRevokedDevices)
	if err != nil {
		t.Fatal(err)
	}
	return heads
}

// revokeAsTheAppDoes has the administrator revoke p, her heads by
// MemberHeads, as app.RevokeMember does.
func (c *clinic) revokeAsTheAppDoes(t testing.TB, p *person) {
	t.Helper()
	revokeOn(t, c.sAdmin, p)
}

// revokeOn has the administrator of workstation s revoke p, her heads by
// MemberHeads, as app.RevokeMember does.
func revokeOn(t testing.TB, s *station, p *person) *crypto.Envelope {
	t.Helper()
	m, _ := s.r.Member(p.fp())
	heads := memberHeads(t, s, p)
	heads[RevokedChanges], heads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
	return s.append(Change{Entity: p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
}

// TestAttackRevocationOrder: Attack (issue 13, finding 12): a physician is
// revoked; her workstation, not yet aware (or on purpose), keeps writing: a
// new note, a change to a note she wrote before, and a change to a
// patient. A workstation that hears of the revocation first and one that
// hears of her late events first end in the same state: the late events
// rejected, every record as it was before them.
func TestAttackRevocationOrder(t *testing.T) {
	c := newClinic(t)
	patient := c.sRecep.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Before"})})
	note := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"plan": "before revocation"})})
	exchange(t, c.stations()...)
	revocation := c.revoke(c.phys2)
	late := []*crypto.Envelope{
		c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical, Fields: fields(t, map[string]any{"plan": "after"})}),
		c.sPh2.append(Change{Entity: note.Header.Entity, Kind: "note", Scope: roles.Clinical, Fields: fields(t, map[string]any{"plan": "rewritten after"})}),
		c.sPh2.append(Change{Entity: patient.Header.Entity, Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{"family": "After"})}),
	}
	// A new device of hers, which the revocation does not name.
	other := join(t, c.phys2, c.id)
	other.holdKeys(c.sPh2, roles.Directory, roles.FrontDesk, roles.Clinical)
	late = append(late, other.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{"family": "Other"})}))

	observer := func() *station {
		s := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
		s.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
		s.apply(c.sPhys.everything()...) // everything before the revocation
		return s
	}
	revocationFirst, lateFirst := observer(), observer()
	revocationFirst.apply(raws(revocation)...)
	revocationFirst.apply(append(c.sPh2.own(), other.own()...)...)
	lateFirst.apply(append(c.sPh2.own(), other.own()...)...)
	for _, env := range late {
		if st, _ := lateFirst.state(env.Header.ID); st != store.Applied {
			t.Fatalf("before the revocation arrives, her late event is %v; the test wants it applied", st)
		}
	}
	rep := lateFirst.apply(raws(revocation)...)
	if rep.Rejected != len(late) {
		t.Errorf("the revocation refused %d applied events, want %d: %+v", rep.Rejected, len(late), rep.Problems)
	}
	for _, s := range []*station{revocationFirst, lateFirst, c.sPhys} {
		if s == c.sPhys {
			s.apply(c.sAdmin.everything()...)
			s.apply(append(c.sPh2.own(), other.own()...)...)
		}
		for _, env := range late {
			if st, reason := s.state(env.Header.ID); st != store.Rejected || !strings.Contains(reason, "revoked") {
				t.Errorf("%s: late event %s is %v (%s), want rejected", s.p.name, env.Header.Kind, st, reason)
			}
		}
		if _, st, err := s.r.Entity(context.Background(), note.Header.Entity); err != nil || st.String("plan") != "before revocation" {
			t.Errorf("%s: her earlier note reads %q, %v", s.p.name, st.String("plan"), err)
		}
		if _, st, err := s.r.Entity(context.Background(), patient.Header.Entity); err != nil || st.String("family") != "Before" {
			t.Errorf("%s: the patient reads %q, %v", s.p.name, st.String("family"), err)
		}
	}
	if d := revocationFirst.snapshot().diff(lateFirst.snapshot()); d != "" {
		t.Errorf("the two orders disagree:\n%s", d)
	}
}

// TestRevocationIsFinal: an administrator writes a revoked member's entry
// "active" again (session 11 review, finding 2); every workstation still
// reads her as revoked and refuses what she writes after her revocation.
func TestRevocationIsFinal(t *testing.T) {
	c := newClinic(t)
	c.revoke(c.phys2)
	exchange(t, c.stations()...)
	c.sAdmin.append(Change{Entity: c.phys2.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"status": StatusActive})})
	exchange(t, c.stations()...)
	late := c.sPh2.forge(forged{Entity: crypto.NewEventID(), Kind: "note", Scope: string(roles.Clinical),
		Fields: fields(t, map[string]any{"plan": "after she left"})})
	exchange(t, c.stations()...)
	for _, s := range []*station{c.sAdmin, c.sRecep, c.sPhys} {
		if m, _ := s.r.Member(c.phys2.fp()); m.Active() || !m.Revoked() {
			t.Errorf("%s reads the reinstated entry as %q", s.p.name, m.Status)
		}
		if s.r.Confirmed(roles.Clinical, c.phys2.fp()) || s.r.MayGrant(roles.Clinical, c.phys2.fp()) {
			t.Errorf("%s counts the reinstated physician as confirmed", s.p.name)
		}
		if st, _ := s.state(late.Header.ID); st != store.Rejected {
			t.Errorf("%s: her note after the revocation is %v, want rejected", s.p.name, st)
		}
	}
}
