package replica

// Session 13 hostile review (h-sec13): throw-away proofs, each failing on
// main at the commit the review began (83333ad).

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS13RoleHeadsLegitimiseAnAdministratorsConfirmation: role_heads
// is the administrators' word, and nothing ties it to a change of role:
// an administrator writes into her own entry a "former role" of physician
// whose heads lie ahead of her chain, and every event she writes up to
// there is judged as a physician's. Pia, a physician Paul confirmed in
// person, is made an administrator (her member/ fields stop counting, her
// confirmations record may no longer be written: only physicians and
// receptionists write one). As an administrator she admits Sly, a stand-in
// physician of her own (nobody met her), writes role_heads {physician,
// heads far ahead} into her own entry, and confirms Sly (member/). Sly
// confirms Paul. When Pia leaves and is revoked, her member/ fields count
// again (edgeLocked: revoked), and Paul reaches Sly through his old
// confirmation of Pia: he grants Sly the clinical key's new epochs, and
// Pia reads every new note through her stand-in. A confirmation bound to
// Sly's admission event (h-f3) would not help: Pia writes it after she
// admitted Sly. Without the forged role_heads her confirmation is refused
// (control case).
func TestAttackS13RoleHeadsLegitimiseAnAdministratorsConfirmation(t *testing.T) {
	for _, tc := range []struct {
		name       string
		forgeHeads bool
		puppet     bool // a second administrator Pia admitted writes them
	}{
		{name: "control: no forged role_heads"},
		{name: "forged role_heads on her own entry", forgeHeads: true},
		{name: "forged role_heads by her puppet administrator", forgeHeads: true, puppet: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			changeRole(t, c.sAdmin, c.phys2, roles.Physician, roles.Administrator)
			exchange(t, c.stations()...)
			// Pia, an administrator now, admits her stand-in.
			sly := newPerson(t, "Sly Standin", roles.Physician)
			sSly := join(t, sly, c.id, c.phys2.fp()) // her token is Pia's
			c.sPh2.apply(sSly.own()...)
			c.sPh2.admit(sly)
			c.sPh2.grant(roles.Directory, sly)
			all := append(c.stations(), sSly)
			var sPam *station
			if tc.puppet {
				pam := newPerson(t, "Pam Puppet", roles.Administrator)
				sPam = join(t, pam, c.id, c.phys2.fp())
				c.sPh2.apply(sPam.own()...)
				c.sPh2.admit(pam)
				c.sPh2.grant(roles.Directory, pam)
				all = append(all, sPam)
			}
			exchange(t, all...)
			conf := c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: fields(t, map[string]any{confirmsFieldPrefix + sly.fp(): true})})
			if tc.forgeHeads {
				// Her events up to the admission: an administrator's; the
				// confirmation: a physician's; after it: the entry's role.
				pia, _ := c.sPh2.r.Member(c.phys2.fp())
				dev := c.sPh2.r.Device()
				held := append(pia.RoleHeads,
					RoleHeld{Role: roles.Administrator, Heads: map[string]uint64{dev: conf.Header.Seq - 1}},
					RoleHeld{Role: roles.Physician, Heads: map[string]uint64{dev: conf.Header.Seq}})
				if sPam != nil {
					exchange(t, all...)
					sPam.append(Change{Entity: c.phys2.fp(), Kind: KindMember, Scope: roles.Directory,
						Fields: fields(t, map[string]any{FieldRoleHeads: held})})
				} else {
					c.sPh2.forge(forged{Entity: c.phys2.fp(), Kind: KindMember, Scope: string(roles.Directory),
						Fields: fields(t, map[string]any{FieldRoleHeads: held})})
				}
			}
			if err := sSly.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			// Pia leaves; an honest administrator revokes her, as the
			// app's Revoke does (her heads by MemberHeads).
			c.revokeAsTheAppDoes(t, c.phys2)
			exchange(t, all...)
			if pia, _ := c.sPhys.r.Member(c.phys2.fp()); !pia.Revoked() {
				t.Fatal("setup: Pia is not revoked on Paul's workstation")
			}
			if st, why := c.sPhys.state(conf.Header.ID); tc.forgeHeads && st != store.Applied {
				t.Logf("Pia's confirmation, written as an administrator: %v %s", st, why)
			}
			if c.sPhys.r.MayGrant(roles.Clinical, sly.fp()) {
				t.Errorf("Paul grants the clinical key to Sly, whom nobody met: Pia's confirmation, written as an administrator, counts (role_heads)")
			}
		})
	}
}

// changeRoleAgain writes p's new role as app.ChangeRole does: the role,
// and her former roles with the one she holds now and her heads as s
// knows them appended.
func changeRoleAgain(t *testing.T, s *station, p *person, to roles.Role) {
	t.Helper()
	heads := memberHeads(t, s, p)
	m, _ := s.r.Member(p.fp())
	held := append(m.RoleHeads, RoleHeld{Role: m.Role, Heads: heads})
	s.append(Change{Entity: p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"role": to, FieldRoleHeads: held})})
}

// TestAttackS13FormerPhysicianMadePhysicianAgain: colleagues'
// confirmations name a bare key and outlive every change of role, so an
// administrator who was once a confirmed physician regains the clinical key
// on an administrator's word alone. Pia, whom Paul confirmed in person, is
// made an administrator: her clinical epochs are retired for her and new
// ones go to the physicians only. A second administrator (Ada here, with
// the app's ChangeRole; a puppet administrator Pia admitted herself would
// do) makes her a physician again. No colleague does anything, yet Paul
// counts her as a confirmed physician and his grant pass hands her every
// new clinical epoch. The same holds for a receptionist made an
// administrator and back (front desk; confirm.go's "a receptionist made an
// administrator vouches for nobody" is undone by the same move).
func TestAttackS13FormerPhysicianMadePhysicianAgain(t *testing.T) {
	for _, tc := range []struct {
		name  string
		scope roles.Scope
		role  roles.Role
		who   func(c *clinic) *person
	}{
		{name: "physician, clinical key", scope: roles.Clinical, role: roles.Physician, who: func(c *clinic) *person { return c.phys2 }},
		{name: "receptionist, front-desk key", scope: roles.FrontDesk, role: roles.Receptionist, who: func(c *clinic) *person { return c.recep }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			p := tc.who(c)
			changeRoleAgain(t, c.sAdmin, p, roles.Administrator)
			exchange(t, c.stations()...)
			if c.sPhys.r.MayGrant(tc.scope, p.fp()) {
				t.Fatalf("setup: Paul still grants %s the %s key as an administrator", p.name, tc.scope)
			}
			changeRoleAgain(t, c.sAdmin, p, tc.role)
			exchange(t, c.stations()...)
			if c.sPhys.r.MayGrant(tc.scope, p.fp()) {
				t.Errorf("Paul grants the %s key to %s, made %s again by an administrator: nobody confirmed her since she left the role", tc.scope, p.name, tc.role)
			}
			// What the clinic does: they confirm each other in person again.
			pStation := c.sPh2
			if p == c.recep {
				pStation = c.sRecep
			}
			confirmEachOther(t, c.sPhys, pStation)
			exchange(t, c.stations()...)
			if !c.sPhys.r.MayGrant(tc.scope, p.fp()) {
				t.Errorf("Paul and %s confirmed each other again and Paul still does not grant her the %s key", p.name, tc.scope)
			}
		})
	}
}

// TestAttackS13OwnRoleChangeSplitsTheDirectory: an event that changes its
// own author's role is judged by the role it writes (roleAt: above every
// role_heads, the entry's role now), so its verdict flips with its own
// effect and ends where the order of arrival left it. Pia, made an
// administrator, writes her own entry's role back to physician (modified
// software; the app's ChangeRole refuses one's own role, apply does not).
// Some workstations apply it and name her a physician, others refuse it
// and name her an administrator: the clinic's directories differ for good.
func TestAttackS13OwnRoleChangeSplitsTheDirectory(t *testing.T) {
	c := newClinic(t)
	changeRole(t, c.sAdmin, c.phys2, roles.Physician, roles.Administrator)
	exchange(t, c.stations()...)
	back := c.sPh2.forge(forged{Entity: c.phys2.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"role": roles.Physician})})
	exchange(t, c.stations()...)
	_, sZed := c.admitted(t, "Zed Later", roles.Physician)
	for _, s := range c.stations() {
		sZed.apply(s.everything()...)
	}
	seen := map[string][]string{}
	// Pia's own workstation is left out: modified software keeps what it
	// likes.
	for _, s := range []*station{c.sAdmin, c.sRecep, c.sPhys, sZed} {
		st, _ := s.state(back.Header.ID)
		m, _ := s.r.Member(c.phys2.fp())
		v := fmt.Sprintf("%v, Pia %s", st, m.Role)
		seen[v] = append(seen[v], s.p.name)
	}
	if len(seen) > 1 {
		t.Errorf("the workstations disagree on Pia's own role change: %v", seen)
	}
}

// TestAttackS13RoleChangeWithoutHeadsSplits: role_heads is optional. An
// entry that records no former role is judged as before session 12 (the
// role it names now, for what arrives after it; nothing applied is judged
// again: roleView is "" before and after), so an administrator's software
// that writes a role without role_heads, on purpose, brings finding 6 of
// session 12 back: Paul keeps the note Pia wrote as a physician, a
// physician who joins later and syncs from the administrator first refuses
// it. Known limits name this for older versions only; any administrator
// can do it to any member whose role was never changed.
func TestAttackS13RoleChangeWithoutHeadsSplits(t *testing.T) {
	c := newClinic(t)
	note := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"plan": "written while a physician"})})
	exchange(t, c.stations()...)
	c.sAdmin.append(Change{Entity: c.phys2.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"role": roles.Receptionist})})
	exchange(t, c.stations()...)
	_, sZed := c.admitted(t, "Zed Later", roles.Physician)
	for _, s := range []*station{c.sAdmin, c.sPh2, c.sPhys} {
		sZed.apply(s.everything()...)
	}
	seen := map[bool][]string{} // kept (applied, or sealed where no key)
	for _, s := range []*station{c.sPhys, c.sPh2, c.sAdmin, sZed} {
		st, _ := s.state(note.Header.ID)
		seen[st != store.Rejected] = append(seen[st != store.Rejected], s.p.name)
	}
	if len(seen) > 1 {
		t.Errorf("the workstations disagree on Pia's note: %v", seen)
	}
}

// TestAttackS13RoleHeadsUnwriteAPhysiciansNotes: role_heads is the
// administrators' word alone and is believed for any sequence numbers, so
// an administrator erases a physician's clinical work on every workstation
// without revoking him or changing the role the directory shows. Ada
// writes into Paul's entry a "former role" of receptionist whose heads
// reach far past his chain (his role stays physician): every note he wrote
// is refused everywhere, also where it was applied, and so is every note
// he writes next, while every screen still shows him an active physician.
// A revocation with chosen heads erases what he wrote too, but openly and
// once: this one hides and goes on.
func TestAttackS13RoleHeadsUnwriteAPhysiciansNotes(t *testing.T) {
	c := newClinic(t)
	before := c.sPhys.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"plan": "written by a physician"})})
	exchange(t, c.stations()...)
	c.sAdmin.append(Change{Entity: c.phys.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{FieldRoleHeads: []RoleHeld{{Role: roles.Receptionist,
			Heads: map[string]uint64{c.sPhys.r.Device(): 1 << 40}}}})})
	exchange(t, c.stations()...)
	after, err := c.sPhys.r.Append(context.Background(), Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"plan": "written by a physician, later"})})
	if err != nil {
		t.Logf("Paul's own workstation refuses his next note: %v", err)
	}
	exchange(t, c.stations()...)
	if m, _ := c.sPh2.r.Member(c.phys.fp()); m.Role != roles.Physician || !m.Active() {
		t.Fatalf("setup: Paul shows as %s %s", m.Status, m.Role)
	}
	for _, env := range []*crypto.Envelope{before, after} {
		if env == nil {
			continue
		}
		if st, why := c.sPh2.state(env.Header.ID); st == store.Rejected {
			t.Errorf("Pia refuses Paul's note (%s) while he shows as an active physician: %s", env.Header.ID[:8], why)
		}
	}
}

// TestAttackS13RoleHeadsFlipsRejudgeWholeHistories: each change an
// administrator writes to a member's role_heads makes every workstation
// judge that member's whole history again (judgeRoles → rejudgeRole reads
// every event of each of her devices), and where the role at their place
// changes, refuse every record she wrote and rebuild it, or send it all
// back to be applied again, decrypting each. One small event costs every
// workstation work in proportion to the member's history: an
// administrator who flips a busy receptionist's role_heads between
// "administrator" (nothing of hers allowed) and "receptionist" keeps
// every workstation busy re-applying the clinic's front-desk history. The
// proof bounds what one flip may cost relative to applying the history
// once.
func TestAttackS13RoleHeadsFlipsRejudgeWholeHistories(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	const records = 3000
	b := c.sRecep.r.Batch()
	for i := range records {
		b.Append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
			Fields: fields(t, map[string]any{"family": fmt.Sprintf("Family%d", i), "given": "Ann"})})
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.sPhys.apply(c.sRecep.everything()...)
	once := time.Since(start)
	dev := c.sRecep.r.Device()
	var flips time.Duration
	const n = 4
	for i := range n {
		role := roles.Administrator
		if i%2 == 1 {
			role = roles.Receptionist
		}
		env := c.sAdmin.append(Change{Entity: c.recep.fp(), Kind: KindMember, Scope: roles.Directory,
			Fields: fields(t, map[string]any{FieldRoleHeads: []RoleHeld{{Role: role, Heads: map[string]uint64{dev: 1 << 40}}}})})
		start := time.Now()
		c.sPhys.apply(env.Raw)
		flips += time.Since(start)
	}
	t.Logf("applying %d records once: %v; %d one-event flips of role_heads: %v", records, once, n, flips)
	if flips > once {
		t.Errorf("%d one-event changes of role_heads cost Paul's workstation %v, more than applying the receptionist's %d records once (%v)", n, flips, records, once)
	}
}

// TestAttackS13RevokedPhysiciansRoleHeadsRewriteSplitsClinic: session 12's
// F2 again, through role_heads instead of role. Paul, the senior physician
// Pia and Tom each met, leaves and is revoked; his confirmations stand
// (edgeLocked counts a revoked member's member/ fields whatever role her
// entry says). The administrator then writes into his revoked entry a
// former role of administrator whose heads cover his whole chain: every
// workstation judges his confirmations record again as an administrator's
// (administrators write none), refuses it and drops his edges, and Pia and
// Tom, whom he alone connected, stop counting each other: each retires
// what the other was granted and starts epochs the other never gets.
func TestAttackS13RevokedPhysiciansRoleHeadsRewriteSplitsClinic(t *testing.T) {
	c, tom, sTom, all := clinicAroundPaul(t)
	c.revoke(c.phys)
	exchange(t, all...)
	if !c.sPh2.r.MayGrant(roles.Clinical, tom.fp()) {
		t.Fatal("setup: Paul's leaving split the clinic")
	}
	c.sAdmin.append(Change{Entity: c.phys.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{FieldRoleHeads: []RoleHeld{{Role: roles.Administrator,
			Heads: map[string]uint64{c.sPhys.r.Device(): 1 << 40}}}})})
	exchange(t, all...)
	if !c.sPh2.r.Confirmed(roles.Clinical, tom.fp()) || !sTom.r.Confirmed(roles.Clinical, c.phys2.fp()) {
		t.Errorf("Pia and Tom no longer count each other as confirmed: the administrator's role_heads took the revoked Paul's confirmations out")
	}
}
