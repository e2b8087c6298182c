package replica

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// manyChains is Nina, a physician whose entry names her random id X, who
// wrote a patient in X, moved onto a bound id D as honest software does
// and wrote a patient there, all applied everywhere; then her modified
// software signs n moves from X (each names its own chain since
// h-sec19c: one event, cheap) and one more chain holding a move and a
// patient. It returns her stations on X and on D, her work before, and
// her forged chains' events.
type manyChains struct {
	x, d          *station
	inX, inD, far *crypto.Envelope // her patients in X, D and the forged chain
	forged        [][]byte
	last          *crypto.Envelope // her lone move with the highest device id
}

func newManyChains(t *testing.T, c *clinic, n int, keys ...roles.Scope) manyChains {
	t.Helper()
	nina := c.newcomer(t, "Nina Newcomer")
	if len(keys) > 0 {
		nina.holdKeys(c.sPhys, keys...)
	}
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.r.Device())
	exchange(t, append(c.stations(), nina)...)
	m := manyChains{x: nina}
	m.inX = nina.patient("Nina's patient in her first chain")
	exchange(t, append(c.stations(), nina)...)
	m.d, _ = nina.moveOnto()
	m.inD = m.d.patient("Nina's patient in the chain she moved onto")
	exchange(t, append(c.stations(), m.d)...)
	start := time.Now()
	from := nina.r.Device()
	for range n {
		move := nina.forgeMove(from, 1)
		if m.last == nil || move.Header.Device > m.last.Header.Device {
			m.last = move
		}
		m.forged = append(m.forged, move.Raw)
	}
	far := nina.forgeMove(from, 1)
	m.far = nina.forge(forged{Device: far.Header.Device, Seq: 2, Prev: far.Hash(), Entity: crypto.NewEventID(),
		Kind: "patient", Scope: string(roles.FrontDesk), Fields: fields(t, map[string]any{"family": "Nina's patient in a chain of her own making"})})
	m.forged = append(m.forged, far.Raw, m.far.Raw)
	t.Logf("forging %d chains: %v", n+1, time.Since(start).Round(time.Millisecond))
	return m
}

// applyInBatches applies raws on s a batch at a time (as a fetch would)
// and returns how long it took.
func applyInBatches(s *station, raws [][]byte) time.Duration {
	start := time.Now()
	for len(raws) > 0 {
		n := min(len(raws), 2000)
		s.apply(raws[:n]...)
		raws = raws[n:]
	}
	return time.Since(start)
}

// TestAttackS20aManyChainsBlockRevocation: a revocation names a head for
// each of its member's chains (MemberHeads) in one directory event of at
// most 1 MiB (crypto.MaxPayloadSize): 28,136 heads fit (measured, 37
// bytes a head). Since h-sec19c each move of Nina's from the random id
// her entry names names its own chain, so her modified software, with
// 30,000 moves (one event each), made her revocation too large to write:
// she could not be revoked. The revocation must be written, stay small,
// keep what she wrote before it in the chains that hold her work, refuse
// what she writes after it in any chain, the ones it leaves out
// included, and be applied alike by a workstation that heard her chains
// before it and one that heard them after.
func TestAttackS20aManyChainsBlockRevocation(t *testing.T) {
	if testing.Short() {
		t.Skip("forges and applies 30,000 chains")
	}
	const n = 30000
	c := newClinic(t)
	m := newManyChains(t, c, n)
	took := applyInBatches(c.sAdmin, m.forged)
	t.Logf("applying her %d chains on the administrator's workstation: %v", n+1, took.Round(time.Millisecond))
	took = applyInBatches(c.sPhys, m.forged)
	t.Logf("applying her %d chains on Paul's workstation: %v", n+1, took.Round(time.Millisecond))

	// Ada revokes her, as the app does.
	ctx := context.Background()
	start := time.Now()
	mem, _ := c.sAdmin.r.Member(m.x.p.fp())
	heads, err := c.sAdmin.r.MemberHeads(ctx, m.x.p.fp(), MaxRevokedDevices)
	if err != nil {
		t.Fatal(err)
	}
	heads[RevokedChanges], heads[RevokedRole+string(mem.Role)] = uint64(len(mem.Changes)), 1
	revocation, err := c.sAdmin.r.Append(ctx, Change{Entity: m.x.p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	if err != nil {
		t.Fatalf("Ada cannot revoke Nina, who has %d chains: %v", n+3, err)
	}
	t.Logf("writing the revocation: %v, %d bytes, %d heads", time.Since(start).Round(time.Millisecond), len(revocation.Raw), len(heads)-2)
	if len(revocation.Raw) > 64<<10 {
		t.Errorf("the revocation is %d bytes", len(revocation.Raw))
	}

	// Paul's workstation hears it after her chains.
	start = time.Now()
	c.sPhys.apply(c.sAdmin.own()...)
	t.Logf("applying the revocation after her chains: %v", time.Since(start).Round(time.Millisecond))
	// Pia's workstation hears it before them.
	start = time.Now()
	c.sPh2.apply(c.sAdmin.own()...)
	t.Logf("applying the revocation before her chains: %v", time.Since(start).Round(time.Millisecond))
	took = applyInBatches(c.sPh2, m.forged)
	t.Logf("then her %d chains: %v", n+1, took.Round(time.Millisecond))

	// What she writes after it: in the chain she moved onto, in a chain
	// of hers the revocation leaves out (a lone move: past its 1,024
	// chains, which take the rest by device id) and in a new one.
	after := m.d.patient("Nina's patient after her revocation")
	if _, named := heads[m.last.Header.Device]; named {
		t.Fatalf("the revocation names the chain of her lone move with the highest device id")
	}
	leftOut := m.x.forge(forged{Device: m.last.Header.Device, Seq: 2, Prev: m.last.Hash(), Entity: crypto.NewEventID(),
		Kind: "patient", Scope: string(roles.FrontDesk), Fields: fields(t, map[string]any{"family": "after, in a chain left out"})})
	late := m.x.forgeMove(m.x.r.Device(), 1)
	lateWork := m.x.forge(forged{Device: late.Header.Device, Seq: 2, Prev: late.Hash(), Entity: crypto.NewEventID(),
		Kind: "patient", Scope: string(roles.FrontDesk), Fields: fields(t, map[string]any{"family": "after, in a new chain"})})
	for _, s := range []*station{c.sPhys, c.sPh2} {
		s.apply(after.Raw, leftOut.Raw, late.Raw, lateWork.Raw)
		if mm, _ := s.r.Member(m.x.p.fp()); !mm.Revoked() {
			t.Fatalf("Nina is not revoked on %s's workstation", s.p.name)
		}
		for _, e := range []struct {
			env  *crypto.Envelope
			want store.EnvelopeState
			what string
		}{
			{m.inX, store.Applied, "her patient in X, before"},
			{m.inD, store.Applied, "her patient in the chain she moved onto, before"},
			{m.far, store.Applied, "her patient in a chain of her own making, before"},
			{after, store.Rejected, "her patient in the chain she moved onto, after"},
			{m.last, store.Applied, "her lone move the revocation leaves out (no act of membership)"},
			{leftOut, store.Rejected, "her patient in a chain the revocation leaves out, after"},
			{lateWork, store.Rejected, "her patient in a new chain, after"},
		} {
			if st, why := s.stateOf(e.env); st != e.want {
				t.Errorf("on %s's workstation %s is %v (%s), want %v", s.p.name, e.what, st, why, e.want)
			}
		}
	}
	if d := c.sPhys.snapshot().diff(c.sPh2.snapshot()); d != "" {
		t.Errorf("the workstation that heard the revocation after her chains and the one that heard it before disagree:\n%s", d)
	}
}

// TestAttackS20aManyChainsBlockRoleChange: a change of role names a head
// for each of the member's chains too, and every workstation refuses one
// naming more than MaxRoleDevices (64) devices (its shape rule, since
// session 13): Nina's 70 moves (one event each) made every change of her
// role refused by the content rule, on the administrator's workstation
// before it was written. The change must be written and read alike by
// two workstations that heard it and her chains in other orders, keep
// judging what she wrote before it by her former role, and what she
// writes after it by the new one.
func TestAttackS20aManyChainsBlockRoleChange(t *testing.T) {
	const n = 70
	c := newClinic(t)
	m := newManyChains(t, c, n, roles.Clinical)
	note := m.d.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"plan": "Nina's note before her change of role"})})
	chains := append([][]byte{note.Raw}, m.forged...)
	applyInBatches(c.sAdmin, chains)
	applyInBatches(c.sPhys, chains)

	// Ada moves her to the front desk, as the app does.
	ctx := context.Background()
	heads, err := c.sAdmin.r.MemberHeads(ctx, m.x.p.fp(), MaxRoleDevices)
	if err != nil {
		t.Fatal(err)
	}
	change, err := c.sAdmin.r.Append(ctx, Change{Entity: m.x.p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"role": roles.Receptionist,
			RoleChangeField(1): RoleChange{From: roles.Physician, To: roles.Receptionist, Heads: heads}})})
	if err != nil {
		t.Fatalf("Ada cannot change the role of Nina, who has %d chains: %v", n+3, err)
	}
	c.sPhys.apply(c.sAdmin.own()...)
	c.sPh2.apply(c.sAdmin.own()...)
	applyInBatches(c.sPh2, chains)
	noteAfter := m.d.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"plan": "Nina's note after her change of role"})})
	for _, s := range []*station{c.sPhys, c.sPh2} {
		s.apply(noteAfter.Raw)
		if mm, _ := s.r.Member(m.x.p.fp()); mm.Role != roles.Receptionist {
			t.Fatalf("Nina is %s on %s's workstation (change %s)", mm.Role, s.p.name, short(change.Header.ID))
		}
		for _, e := range []struct {
			env  *crypto.Envelope
			want store.EnvelopeState
			what string
		}{
			{m.inX, store.Applied, "her patient in X, before"},
			{m.inD, store.Applied, "her patient in the chain she moved onto, before"},
			{note, store.Applied, "her note, before"},
			{noteAfter, store.Rejected, "her note, after"},
		} {
			if st, why := s.stateOf(e.env); st != e.want {
				t.Errorf("on %s's workstation %s is %v (%s), want %v", s.p.name, e.what, st, why, e.want)
			}
		}
	}
	if d := c.sPhys.snapshot().diff(c.sPh2.snapshot()); d != "" {
		t.Errorf("the workstation that heard the change after her chains and the one that heard it before disagree:\n%s", d)
	}

	// She then makes 64 more chains, each longer than those change 1
	// named; Ada moves her back to the clinic. Change 2 still names every
	// chain change 1 named (a change's heads never go back: follows), so
	// her history reads both changes.
	var longer [][]byte
	from := m.x.r.Device()
	for range MaxRoleDevices {
		move := m.x.forgeMove(from, 1)
		prev := move
		longer = append(longer, move.Raw)
		for seq := uint64(2); seq <= 3; seq++ {
			prev = m.x.forge(forged{Device: move.Header.Device, Seq: seq, Prev: prev.Hash(), Entity: crypto.NewEventID(),
				Kind: "patient", Scope: string(roles.FrontDesk), Fields: fields(t, map[string]any{"family": "a longer chain"})})
			longer = append(longer, prev.Raw)
		}
	}
	applyInBatches(c.sAdmin, longer)
	heads, err = c.sAdmin.r.MemberHeads(ctx, m.x.p.fp(), MaxRoleDevices)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.sAdmin.r.Append(ctx, Change{Entity: m.x.p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"role": roles.Physician,
			RoleChangeField(2): RoleChange{From: roles.Receptionist, To: roles.Physician, Heads: heads}})}); err != nil {
		t.Fatalf("Ada cannot change Nina's role again: %v", err)
	}
	c.sPhys.apply(longer...)
	c.sPhys.apply(c.sAdmin.own()...)
	c.sPh2.apply(c.sAdmin.own()...)
	c.sPh2.apply(longer...)
	for _, s := range []*station{c.sAdmin, c.sPhys, c.sPh2} {
		if mm, _ := s.r.Member(m.x.p.fp()); mm.Role != roles.Physician || len(mm.Changes) != 2 || mm.HistoryDisputed() {
			t.Errorf("on %s's workstation Nina is %s after %d changes (disputed %v), want a physician after 2",
				s.p.name, mm.Role, len(mm.Changes), mm.HistoryDisputed())
		}
	}
	if d := c.sPhys.snapshot().diff(c.sPh2.snapshot()); d != "" {
		t.Errorf("after change 2 the two workstations disagree:\n%s", d)
	}
}

// TestRoleChangeFollowsTheLastWhereLessIsHeld: an administrator whose
// workstation holds fewer of a member's events than her last change of
// role named (another administrator's workstation had more) still writes
// a next change that follows it: its heads are at least the last change's,
// so her history does not read as disputed (h-sec20a's aside: the head
// there was the lower one this workstation held).
func TestRoleChangeFollowsTheLastWhereLessIsHeld(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	var pats [][]byte
	var top uint64
	for i := range 5 {
		env := c.sRecep.patient(fmt.Sprintf("Early %d", i))
		pats, top = append(pats, env.Raw), env.Header.Seq
	}
	c.sAdmin.apply(pats[:3]...) // Ada's workstation holds three of the five
	dev := c.sRecep.r.Device()
	heads, err := c.sAdmin.r.MemberHeads(ctx, c.recep.fp(), MaxRoleDevices)
	if err != nil {
		t.Fatal(err)
	}
	heads[dev] = top // as another administrator's workstation, which held all five, wrote it
	c.sAdmin.append(Change{Entity: c.recep.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"role": roles.Physician,
			RoleChangeField(1): RoleChange{From: roles.Receptionist, To: roles.Physician, Heads: heads}})})
	next, err := c.sAdmin.r.MemberHeads(ctx, c.recep.fp(), MaxRoleDevices)
	if err != nil {
		t.Fatal(err)
	}
	if next[dev] < top {
		t.Fatalf("the next change names seq %d of her chain, below the %d her last change named", next[dev], top)
	}
	c.sAdmin.append(Change{Entity: c.recep.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"role": roles.Receptionist,
			RoleChangeField(2): RoleChange{From: roles.Physician, To: roles.Receptionist, Heads: next}})})
	c.sAdmin.apply(pats[3:]...)
	c.sPhys.apply(pats...)
	c.sPhys.apply(c.sAdmin.own()...)
	for _, s := range []*station{c.sAdmin, c.sPhys} {
		if m, _ := s.r.Member(c.recep.fp()); m.Role != roles.Receptionist || len(m.Changes) != 2 || m.HistoryDisputed() {
			t.Errorf("on %s's workstation Rita is %s after %d changes (disputed %v), want a receptionist after 2",
				s.p.name, m.Role, len(m.Changes), m.HistoryDisputed())
		}
	}
}
