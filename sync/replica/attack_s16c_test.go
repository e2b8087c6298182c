package replica

// Session 16 hostile review h-sec16c of the fixes landed after h-sec16a and
// h-sec16b (/work/notes/sec-s16c.md). Each proof fails on main when
// committed.

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// nameDevices has Ada name p's workstation in p's entry, as the app's
// admission writes it.
func (c *clinic) nameDevices(t *testing.T, s *station, all ...*station) {
	t.Helper()
	c.sAdmin.append(Change{Entity: s.p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"devices": []string{s.r.Device()}})})
	exchange(t, all...)
}

// puppetNames has Ada's modified software write a puppet's directory entry
// (no key, no workstation: an id) that names device, clocked below every
// entry that named it.
func (c *clinic) puppetNames(t *testing.T, device string, all ...*station) {
	t.Helper()
	puppet := newPerson(t, "Pat Puppet", roles.Receptionist)
	c.sAdmin.forge(forged{Entity: puppet.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 1,
		Fields: fields(t, map[string]any{"name": puppet.name, "role": roles.Receptionist, "status": StatusActive,
			"devices": []string{device}})})
	exchange(t, all...)
}

// TestAttackS16cPuppetTakesTheRevokersDevice: devices are the directory's,
// and a device two entries name belongs to "the entry that named it first"
// (admission.go rightfulOwner: the lowest naming claim by Lamport, device,
// seq), clocks being their writers' word. h-sec16a's H1 was closed for a
// list written into the revoker's own entry (devices only grow); Ada
// writes instead a puppet's entry naming Carl's workstation at Lamport 1.
// The puppet owns it on every workstation but Carl's (settleDevice): every
// event Carl's workstation signed is dropped, his revocation of Pia with
// them, no claim is left to hold her, and Pia reads active (V2 by one
// administrator, no revocation of Carl). Carl still reads "active
// administrator"; nothing in the directory shows it but a new
// receptionist.
func TestAttackS16cPuppetTakesTheRevokersDevice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		puppet bool
	}{
		{name: "control: no puppet"},
		{name: "Ada's puppet entry names Carl's workstation below his admission", puppet: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sCarl, sly, all := carlRevokesPia(t, c, true)
			if tc.puppet {
				c.puppetNames(t, sCarl.r.Device(), all...)
			}
			t.Logf("Carl's workstation on Paul's belongs to %s (Carl %s)", short(c.sPhys.deviceOwner(sCarl.r.Device())), short(sCarl.p.fp()))
			// A newcomer's workstation hears of Ada's events (the puppet
			// among them) before Carl's.
			late := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
			late.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
			late.apply(c.sAdmin.own()...)
			late.apply(c.sPhys.everything()...)
			late.apply(sCarl.own()...)
			if m, _ := late.r.Member(c.phys2.fp()); m.Active() {
				t.Errorf("Pia reads active on a newcomer's workstation that heard of Ada's events first")
			}
			if d := c.sPhys.snapshot().diff(late.snapshot()); d != "" {
				t.Errorf("Paul's and the newcomer's workstations differ: %s", d)
			}
			piaBack(t, c, sly, all)
		})
	}
}

// TestAttackS16cPuppetErasesAPhysiciansRecords: the same rule erases what
// a physician wrote. Paul's entry names his workstation (as the app's
// admission does); Ada's puppet entry names it at Lamport 1: every event
// Paul's workstation signed, his patients, notes, confirmations and key,
// is dropped on every other workstation (V1's erasure, by an
// administrator, of records she could not even read).
func TestAttackS16cPuppetErasesAPhysiciansRecords(t *testing.T) {
	for _, tc := range []struct {
		name   string
		puppet bool
	}{
		{name: "control: no puppet"},
		{name: "Ada's puppet entry names Paul's workstation below his admission", puppet: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			all := c.stations()
			c.nameDevices(t, c.sPhys, all...)
			p := c.sPhys.patient("Paul's patient")
			exchange(t, all...)
			if tc.puppet {
				c.puppetNames(t, c.sPhys.r.Device(), all...)
			}
			for _, s := range []*station{c.sPh2, c.sRecep} {
				st, why := s.state(p.Header.ID)
				t.Logf("Paul's patient on %s's workstation: %v %s; his device belongs to %s", s.p.name, st, why,
					short(s.deviceOwner(c.sPhys.r.Device())))
				if st != store.Applied {
					t.Errorf("Paul's patient is gone from %s's workstation (%v)", s.p.name, st)
				}
			}
			if c.sPh2.r.MayGrant(roles.Clinical, c.phys.fp()) != true {
				t.Errorf("Pia no longer counts Paul confirmed")
			}
		})
	}
}

// TestAttackS16cDemotingTheAdmitterErasesTheRevoker: an administrator's
// change of a colleague's role names his heads (her word), and what he
// wrote past them is judged by the new role. Ada moves Bob, the
// administrator who admitted Carl, to the desk with his heads from before
// that admission: Carl's admission is refused by the role rule, his entry
// is gone, and nothing judges again what he wrote (judgeRoles skips a
// member who is not in the directory). Paul's workstation, which applied
// Carl's revocation of Pia before, keeps it; Nina, a physician admitted
// afterwards, holds it pending ("author not in the directory"): no claim,
// no hold, and Pia reads active there and is granted the clinical key.
// One administrator, no puppet (with Ada as the admitter, a puppet
// administrator she admitted before does the same).
//
// Fixed: a vanished entry's events wait again on every workstation
// (rebuildEntity), and a revocation waiting for a writer whose refused
// admission made him an administrator holds (hold.go readVanished).
func TestAttackS16cDemotingTheAdmitterErasesTheRevoker(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before bool // Bob's heads from before he admitted Carl
	}{
		{name: "control: Bob moved to the desk with his heads as they are"},
		{name: "Bob moved to the desk with his heads from before he admitted Carl", before: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sBob := c.anotherAdmin(t, "Bob Admin")
			all := append(c.stations(), sBob)
			bobBefore := memberHeads(t, c.sAdmin, sBob.p)
			carl := newPerson(t, "Carl Admin", roles.Administrator)
			sCarl := join(t, carl, c.id, c.admin.fp())
			sBob.apply(sCarl.own()...)
			sBob.admit(carl)
			all = append(all, sCarl)
			exchange(t, all...)
			c.sAdmin.grant(roles.Directory, carl) // the keys Ada's upkeep hands him
			c.sAdmin.grant(roles.Admin, carl)
			exchange(t, all...)
			m, _ := sCarl.r.Member(c.phys2.fp())
			heads := memberHeads(t, sCarl, c.phys2)
			heads[RevokedChanges], heads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
			rev := sCarl.append(Change{Entity: c.phys2.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
			exchange(t, all...)
			if m, _ := c.sPhys.r.Member(c.phys2.fp()); !m.Revoked() {
				t.Fatalf("setup: Pia on Paul's workstation after Carl revoked her: %s", m.Status)
			}
			bh := memberHeads(t, c.sAdmin, sBob.p)
			if tc.before {
				bh = bobBefore
			}
			mb, _ := c.sAdmin.r.Member(sBob.p.fp())
			writeChange(t, c.sAdmin, sBob.p, len(mb.Changes)+1, RoleChange{From: mb.Role, To: roles.Receptionist, Heads: bh}, true)
			exchange(t, all...)
			nina, sNina := c.admitted(t, "Nina Newcomer", roles.Physician)
			all = append(all, sNina)
			exchange(t, all...)
			confirmEachOther(t, c.sPhys, sNina)
			exchange(t, all...)
			for _, s := range []*station{c.sPhys, sNina} {
				mc, okc := s.r.Member(carl.fp())
				mp, _ := s.r.Member(c.phys2.fp())
				st, why := s.state(rev.Header.ID)
				t.Logf("on %s's workstation: Carl in the directory %v (%s %s); his revocation of Pia %v %s; Pia %s, held %v, active %v; may be granted the clinical key %v",
					s.p.name, okc, mc.Status, mc.Role, st, why, mp.Status, mp.Held(), mp.Active(), s.r.MayGrant(roles.Clinical, c.phys2.fp()))
				if mp.Active() {
					t.Errorf("Pia, revoked by Carl, reads active on %s's workstation", s.p.name)
				}
				if s.r.MayGrant(roles.Clinical, c.phys2.fp()) {
					t.Errorf("%s grants the clinical key to Pia, a revoked physician", s.p.name)
				}
			}
			_ = nina
			for _, s := range []*station{c.sAdmin, c.sPhys, sNina} { // the cut is shown (setaside.go)
				aside, err := s.r.SetAside(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				want := []SetAsideEntry(nil)
				if tc.before {
					want = []SetAsideEntry{{Fingerprint: carl.fp(), Name: "Carl Admin", Role: roles.Administrator,
						WrittenBy: sBob.p.fp(), Rule: ruleRole}}
				}
				if !reflect.DeepEqual(aside, want) {
					t.Errorf("entries set aside on %s's workstation: %+v, want %+v", s.p.name, aside, want)
				}
			}
			if d := c.sPhys.snapshot().diff(sNina.snapshot()); d != "" {
				t.Errorf("Paul's and Nina's workstations differ: %s", d)
			}
		})
	}
}

// junkDevices is n device ids nobody uses.
func junkDevices(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%032x", i+1)
	}
	return out
}

// TestAttackS16cFullDeviceListDropsTheRevokersDevice: an entry's devices
// only grow (rolecells.go devicesSeenField), up to maxEntryDevices: a
// device named once the cell is full is not kept in it, so which devices
// it keeps depends on the order events were folded in (merge is no longer
// order-free), and the entry then names the member's workstation only
// while "devices", the last list written, does. Ada writes 64 device ids
// into Carl's entry before she admits him (the admission names his
// workstation: the last list, so his events are kept); once Carl has
// revoked Pia she writes the same 64 ids again as the last list: his
// workstation is named nowhere, every event of it is not his and is not
// kept, his revocation of Pia with them, and Pia reads active (h-sec16a's
// H1, by a list). The same cell folded in another order (a newcomer that
// hears of the first list first from a second workstation of Ada's, a
// rebuild, which folds by clock) keeps his workstation or not:
// workstations disagree.
func TestAttackS16cFullDeviceListDropsTheRevokersDevice(t *testing.T) {
	for _, tc := range []struct {
		name string
		fill bool // Ada fills the cell before the admission
	}{
		{name: "control: the same list written after the admission"},
		{name: "Ada fills Carl's device cell before she admits him", fill: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			junk := junkDevices(maxEntryDevices)
			carl := newPerson(t, "Carl Admin", roles.Administrator)
			sCarl := join(t, carl, c.id, c.admin.fp())
			all := append(c.stations(), sCarl)
			c.sAdmin.apply(sCarl.own()...)
			if tc.fill {
				c.sAdmin.append(Change{Entity: carl.fp(), Kind: KindMember, Scope: roles.Directory,
					Fields: fields(t, map[string]any{"devices": junk})})
			}
			c.sAdmin.append(Change{Entity: carl.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"name": carl.name, "role": roles.Administrator, "status": StatusActive,
					"devices": []string{sCarl.r.Device()}})})
			exchange(t, all...) // his key again, which the first list left unkept
			c.sAdmin.grant(roles.Directory, carl)
			c.sAdmin.grant(roles.Admin, carl)
			exchange(t, all...)
			m, _ := sCarl.r.Member(c.phys2.fp())
			heads := memberHeads(t, sCarl, c.phys2)
			heads[RevokedChanges], heads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
			sCarl.append(Change{Entity: c.phys2.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
			exchange(t, all...)
			if m, _ := c.sPhys.r.Member(c.phys2.fp()); !m.Revoked() {
				t.Fatalf("setup: Pia on Paul's workstation after Carl revoked her: %s", m.Status)
			}
			c.sAdmin.append(Change{Entity: carl.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"devices": junk})})
			exchange(t, all...)
			mc, _ := c.sPhys.r.Member(carl.fp())
			mp, _ := c.sPhys.r.Member(c.phys2.fp())
			t.Logf("on Paul's workstation: Carl %s %s names his workstation %v; Pia %s, active %v", mc.Status, mc.Role,
				slices.Contains(mc.Devices, sCarl.r.Device()), mp.Status, mp.Active())
			if mp.Active() {
				t.Error("Pia, revoked by Carl, reads active again")
			}
			if c.sPhys.r.MayGrant(roles.Clinical, c.phys2.fp()) {
				t.Error("Paul grants the clinical key to Pia, a revoked physician")
			}
		})
	}
}
