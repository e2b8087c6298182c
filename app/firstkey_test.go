package app

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// epochsOf is every epoch of scope any of sessions holds.
func epochsOf(t testing.TB, scope roles.Scope, sessions ...*Session) map[uint32]bool {
	t.Helper()
	out := map[uint32]bool{}
	for _, s := range sessions {
		r, err := s.Replica()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range r.Keys(scope) {
			out[k.Epoch] = true
		}
	}
	return out
}

// newFoundingClinic is a clinic of its founding administrator alone.
func newFoundingClinic(t testing.TB) *clinic {
	t.Helper()
	env, clk := testEnv(t)
	c := &clinic{env: env, clock: clk, dir: t.TempDir()}
	var err error
	c.admin, err = CreateClinic(context.Background(), env, NewClinic{Dir: filepath.Join(c.dir, "admin"), Clinic: "New Clinic",
		Admin: "Ada Admin", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.admin.Close() })
	return c
}

// redeem has the clinic's administrator issue a token for role and name's
// workstation redeem it.
func (c *clinic) redeem(t testing.TB, name string, role roles.Role) *Session {
	t.Helper()
	s, _ := redeemToken(t, c.env, c.admin, filepath.Join(c.dir, name), name, role)
	return s
}

// redeemToken has admin issue a token for role and name's workstation in
// dir redeem it; it returns the session and the token.
func redeemToken(t testing.TB, env Env, admin *Session, dir, name string, role roles.Role) (*Session, crypto.Token) {
	t.Helper()
	ctx := context.Background()
	tok, err := admin.IssueToken(ctx, role, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Redeem(ctx, env, Redemption{Dir: dir, Token: tok.String(), Name: name, Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, tok
}

// newClinicInTurn is newClinic whose receptionist, then physician, then
// second physician join one after the other, each syncing with the
// administrator alone before the next: admitted in that order.
func newClinicInTurn(t testing.TB) *clinic {
	t.Helper()
	ctx := context.Background()
	c := newFoundingClinic(t)
	c.recep = c.joinAs(t, "Rita Reception", roles.Receptionist)
	c.phys = c.joinAs(t, "Dr Paul Physician", roles.Physician)
	c.phys2 = c.joinAs(t, "Dr Petra Second", roles.Physician)
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	confirmEachOther(t, c.recep, c.phys)
	confirmEachOther(t, c.phys, c.phys2)
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	return c
}

// joinAs has the clinic's administrator admit a newcomer of role; her
// workstation holds the administrator's own events only (it has not caught
// up with the receptionists' and the physicians', as a newcomer who heard
// of nobody else's head yet), and has run its upkeep.
func (c *clinic) joinAs(t testing.TB, name string, role roles.Role) *Session {
	t.Helper()
	ctx := context.Background()
	s := c.redeem(t, name, role)
	ra, _ := c.admin.Replica()
	rs, _ := s.Replica()
	for _, step := range []struct {
		dst, src *replica.Replica
		who      *Session
	}{{ra, rs, c.admin}, {rs, ra, s}} {
		if err := pullChain(ctx, step.dst, step.src, step.src.Device()); err != nil {
			t.Fatal(err)
		}
		if _, err := step.who.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !rs.Holds(roles.Directory) {
		t.Fatalf("%s was not admitted", name)
	}
	return s
}

// pullChain applies to dst the events of src's device it lacks.
func pullChain(ctx context.Context, dst, src *replica.Replica, device string) error {
	heads, err := dst.Heads(ctx)
	if err != nil {
		return err
	}
	have := uint64(0)
	for _, h := range heads {
		if h.Device == device {
			have = h.Seq
		}
	}
	raws, err := src.EnvelopesAfter(ctx, device, have, -1)
	if err != nil || len(raws) == 0 {
		return err
	}
	_, err = dst.Apply(ctx, raws)
	return err
}

// TestTheFirstOfEachRoleMakesTheFirstKey: in a new clinic whose
// receptionist, then physician, then second physician join, each syncing
// with the administrator alone before the next, the first receptionist
// makes the front-desk key and the first physician the clinical key, and
// nobody else makes one: the clinic has one epoch of each, held by every
// member entitled to it once colleagues confirmed each other (before
// session 12 each made her own at her first upkeep: three front-desk and
// two clinical epochs).
func TestTheFirstOfEachRoleMakesTheFirstKey(t *testing.T) {
	c := newClinicInTurn(t)
	tests := []struct {
		scope   roles.Scope
		maker   *Session
		holders []*Session
	}{
		{roles.FrontDesk, c.recep, []*Session{c.recep, c.phys, c.phys2}},
		{roles.Clinical, c.phys, []*Session{c.phys, c.phys2}},
		{roles.Admin, c.admin, []*Session{c.admin}},
	}
	for _, tt := range tests {
		t.Run(string(tt.scope), func(t *testing.T) {
			for _, s := range c.all() {
				r, _ := s.Replica()
				if fp, ok := r.FirstKeyMaker(tt.scope); !ok || fp != tt.maker.Fingerprint() {
					t.Errorf("%s's workstation names %s to make the first %s key, want %s", s.StaffName(), short(fp), tt.scope, tt.maker.StaffName())
				}
			}
			if got := epochsOf(t, tt.scope, c.all()...); len(got) != 1 {
				t.Errorf("the clinic holds %d epochs of %s, want 1", len(got), tt.scope)
			}
			for _, s := range tt.holders {
				if r, _ := s.Replica(); !r.Holds(tt.scope) {
					t.Errorf("%s holds no %s key", s.StaffName(), tt.scope)
				}
			}
		})
	}
}

// TestANewcomerWaitsForTheClinicsKey: a receptionist or physician who
// joins a clinic that has its keys, and has synced with the administrator
// only, makes no key of her own: her save is refused with what to do,
// nothing is written, and once a colleague confirmed her she holds the
// clinic's own key and saves (before session 12 she made a key of each
// scope her role holds and saved under it, for nobody else to read).
func TestANewcomerWaitsForTheClinicsKey(t *testing.T) {
	tests := []struct {
		role      roles.Role
		scope     roles.Scope
		colleague func(*clinic) *Session
		write     func(context.Context, *Session) error
		says      string
	}{
		{roles.Receptionist, roles.FrontDesk, func(c *clinic) *Session { return c.recep },
			func(ctx context.Context, s *Session) error {
				_, err := s.RegisterPatient(ctx, Patient{Family: "Firstday", Given: "Flora", Birth: "1990-03-04"})
				return err
			},
			"This workstation has no front-desk key yet: a colleague who holds it must confirm you in person in Colleagues"},
		{roles.Physician, roles.Clinical, func(c *clinic) *Session { return c.phys },
			func(ctx context.Context, s *Session) error {
				_, err := clin(s).WriteNote(ctx, Note{Patient: "p-none", Subjective: "first morning"})
				return err
			},
			"This workstation has no clinical key yet: a physician who holds it must confirm you in person in Colleagues"},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			before := epochsOf(t, tt.scope, c.all()...)
			nina := c.joinAs(t, "Nina New", tt.role)
			rn, _ := nina.Replica()
			if rn.Holds(tt.scope) {
				t.Fatalf("the newcomer made a %s key of her own before catching up", tt.scope)
			}
			err := tt.write(ctx, nina)
			if !errors.Is(err, replica.ErrNoKey) || !strings.HasPrefix(Plain(err), tt.says) {
				t.Fatalf("her save: %v, want ErrNoKey saying %q", err, tt.says)
			}
			// Caught up, and still nobody confirmed her: still no key.
			all := append(c.all(), nina)
			if err := SyncLocal(ctx, all...); err != nil {
				t.Fatal(err)
			}
			if rn.Holds(tt.scope) {
				t.Fatalf("the newcomer holds a %s key before a colleague confirmed her", tt.scope)
			}
			confirmEachOther(t, tt.colleague(c), nina)
			if err := SyncLocal(ctx, all...); err != nil {
				t.Fatal(err)
			}
			if got := epochsOf(t, tt.scope, all...); len(got) != len(before) {
				t.Errorf("the clinic holds %d epochs of %s, had %d", len(got), tt.scope, len(before))
			}
			k, _ := rn.Key(tt.scope)
			if !before[k.Epoch] {
				t.Errorf("the newcomer writes under epoch %x, not the clinic's", k.Epoch)
			}
		})
	}
}

// TestTheFirstKeyWaitsForTheFirstCatchUp: the member the directory names
// to make a scope's first key waits, while her network sync runs, for its
// first catch-up (a colleague's key may be on the way); her save says so
// meanwhile, and the upkeep after the catch-up makes it.
func TestTheFirstKeyWaitsForTheFirstCatchUp(t *testing.T) {
	ctx := context.Background()
	c := newFoundingClinic(t)
	rita := c.redeem(t, "Rita First", roles.Receptionist)
	rita.syncing.Store(true) // as StartSync does, before the sync's first catch-up
	if err := SyncLocal(ctx, c.admin, rita); err != nil {
		t.Fatal(err)
	}
	r, _ := rita.Replica()
	if r.Holds(roles.FrontDesk) {
		t.Fatal("the first receptionist made the front-desk key before her sync caught up")
	}
	_, err := rita.RegisterPatient(ctx, Patient{Family: "Early", Given: "Eve", Birth: "1990-03-04"})
	if want := "This workstation makes the clinic's first front-desk key once it has caught up"; !errors.Is(err, replica.ErrNoKey) || !strings.HasPrefix(Plain(err), want) {
		t.Fatalf("her save: %v, want %q", err, want)
	}
	rita.caughtUp.Store(true)
	u, err := rita.Maintain(ctx)
	if err != nil || len(u.Created) != 1 || u.Created[0] != roles.FrontDesk {
		t.Fatalf("the upkeep after the catch-up made %v, %v; want the front-desk key", u.Created, err)
	}
	if _, err := rita.RegisterPatient(ctx, Patient{Family: "Early", Given: "Eve", Birth: "1990-03-04"}); err != nil {
		t.Fatal(err)
	}
}

// TestTheTurnPassesOnARevokedFirstMember: a first receptionist revoked
// before she made the front-desk key hands the turn to the next member
// admitted whose role creates it; a role change counts by the directory's
// role now.
func TestTheTurnPassesOnARevokedFirstMember(t *testing.T) {
	ctx := context.Background()
	c := newClinicInTurn(t)
	tests := []struct {
		name   string
		change func(t *testing.T)
		scope  roles.Scope
		want   *Session
	}{
		{"the clinic as founded", func(*testing.T) {}, roles.FrontDesk, c.recep},
		{"the first physician made a receptionist", func(t *testing.T) {
			if err := c.admin.ChangeRole(ctx, c.phys.Fingerprint(), roles.Receptionist); err != nil {
				t.Fatal(err)
			}
		}, roles.Clinical, c.phys2},
		{"the first receptionist revoked", func(t *testing.T) {
			if err := c.admin.RevokeMember(ctx, c.recep.Fingerprint()); err != nil {
				t.Fatal(err)
			}
		}, roles.FrontDesk, c.phys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.change(t)
			r, _ := c.admin.Replica()
			if fp, ok := r.FirstKeyMaker(tt.scope); !ok || fp != tt.want.Fingerprint() {
				t.Errorf("the first %s key falls to %s, want %s", tt.scope, short(fp), tt.want.StaffName())
			}
		})
	}
}

// TestANewcomerOnTheNetworkWaitsForTheClinicsKey: over a real Kubo and
// Prosody, a receptionist joins while the clinic's receptionist and
// physician are offline, so her sync catches up with the administrator
// alone and she sees none of the front-desk grants: she makes no key of
// her own and her save says why. Once the receptionist is back and they
// confirmed each other, she holds the clinic's key, and what she saves
// the receptionist reads (before session 12 she made her own key at her
// first upkeep).
func TestANewcomerOnTheNetworkWaitsForTheClinicsKey(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	clinics := epochsOf(t, roles.FrontDesk, c.recep, c.phys)
	c.syncer[c.recep].Stop()
	c.syncer[c.phys].Stop()
	tok, err := c.admin.IssueToken(ctx, roles.Receptionist, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rosa, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "rosa"), Token: tok.String(), Name: "Rosa New", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rosa.Close() })
	c.start(t, rosa)
	rr, _ := rosa.Replica()
	waitFor(t, "Rosa admitted and caught up", 60*time.Second, func() bool {
		return rr.Holds(roles.Directory) && c.syncer[rosa].Status().CaughtUp
	})
	if _, err := rosa.Maintain(ctx); err != nil { // as the upkeep after the catch-up does
		t.Fatal(err)
	}
	if rr.Holds(roles.FrontDesk) {
		t.Fatal("the newcomer made a front-desk key of her own")
	}
	_, err = rosa.RegisterPatient(ctx, Patient{Family: "Firstday", Given: "Flora", Birth: "1990-03-04"})
	if want := "This workstation has no front-desk key yet: a colleague who holds it must confirm you in person in Colleagues"; !errors.Is(err, replica.ErrNoKey) || !strings.HasPrefix(Plain(err), want) {
		t.Fatalf("her save: %v, want %q", err, want)
	}
	c.start(t, c.recep)
	c.confirm(t, c.recep, rosa)
	waitFor(t, "the clinic's front-desk key at Rosa's", 60*time.Second, func() bool { return rr.Holds(roles.FrontDesk) })
	if k, _ := rr.Key(roles.FrontDesk); !clinics[k.Epoch] {
		t.Errorf("Rosa writes under epoch %#x, not the clinic's", k.Epoch)
	}
	p, err := rosa.RegisterPatient(ctx, Patient{Family: "Firstday", Given: "Flora", Birth: "1990-03-04"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Rosa's patient at the receptionist's", 60*time.Second, func() bool { return seesAll(c.recep, []Patient{p}) })
}
