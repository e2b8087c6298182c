package app

import (
	"context"
	"errors"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestRevokedMember: after revocation the member's new events are rejected
// everywhere, the scopes they held move to a new epoch they do not get, the
// remaining members read everything written afterwards, and the revoked
// workstation is locked out.
func TestRevokedMember(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Before", Given: "Revocation", Birth: "1960-02-03"})
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	rAdmin, _ := c.admin.Replica()
	r1, _ := c.phys.Replica()
	oldKey, _ := r1.Key(roles.Clinical)
	if err := c.admin.RevokeMember(ctx, c.phys2.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	// The revoked physician, not yet aware, keeps writing.
	late, err := clin(c.phys2).WriteNote(ctx, Note{Patient: p.ID, Plan: "written after revocation"})
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.admin, c.recep, c.phys); err != nil {
		t.Fatal(err)
	}
	// Its events reach the others and are rejected there.
	for _, s := range []*Session{c.admin, c.recep, c.phys} {
		if _, err := pull(ctx, s, c.phys2); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := r1.Entity(ctx, late.ID); !errors.Is(err, replica.ErrNotFound) {
		t.Errorf("the revoked member's late note was applied: %v", err)
	}
	// New epochs of the clinical and front-desk scopes, not granted to the revoked member.
	newKey, _ := r1.Key(roles.Clinical)
	if newKey.Epoch == oldKey.Epoch {
		t.Fatal("clinical scope was not rotated")
	}
	for _, scope := range []roles.Scope{roles.Clinical, roles.FrontDesk} {
		k, _ := r1.Key(scope)
		if r1.Granted(c.phys2.Fingerprint(), scope, k.Epoch) {
			t.Errorf("revoked member was granted the new %s epoch", scope)
		}
	}
	for _, scope := range []roles.Scope{roles.Directory, roles.Admin} {
		k, _ := rAdmin.Key(scope)
		if rAdmin.Granted(c.phys2.Fingerprint(), scope, k.Epoch) {
			t.Errorf("revoked member was granted the new %s epoch", scope)
		}
	}
	// Remaining members read what is written after the revocation.
	n, err := clin(c.phys).WriteNote(ctx, Note{Patient: p.ID, Plan: "after revocation"})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.recep.RegisterPatient(ctx, Patient{Family: "After", Given: "Revocation", Birth: "1961-02-03"})
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.admin, c.recep, c.phys); err != nil {
		t.Fatal(err)
	}
	if _, err := c.recep.Patient(ctx, p2.ID); err != nil {
		t.Errorf("receptionist cannot read her own new patient: %v", err)
	}
	if _, err := c.phys.Patient(ctx, p2.ID); err != nil {
		t.Errorf("physician cannot read the new patient: %v", err)
	}
	// The revoked workstation gets the events but cannot open the new epochs,
	// and is locked out.
	if _, err := pull(ctx, c.phys2, c.phys); err != nil {
		t.Fatal(err)
	}
	r2, _ := c.phys2.Replica()
	if _, _, err := r2.Entity(ctx, n.ID); !errors.Is(err, replica.ErrNotFound) {
		t.Errorf("revoked member read a note written after the revocation: %v", err)
	}
	if _, err := clin(c.phys2).WriteNote(ctx, Note{Patient: p.ID, Plan: "x"}); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoked member writes: %v, want ErrRevoked", err)
	}
	dir := c.phys2.Profile().Dir
	c.phys2.Lock()
	if _, err := Login(ctx, c.env, dir, "", []byte(testPass)); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoked member logs in: %v, want ErrRevoked", err)
	}
}

// TestPlantedEpochOutlivesNoOne: Attack (session 9, finding 1): a
// physician who expects to be revoked or moved to the front desk first
// starts a clinical epoch herself (one call of modified software; her own
// upkeep grants it to every physician), so that rotation, which compared
// the newest epoch's generation with a count of revocations, saw nothing
// to do. Every note written after she lost the scope opened with her key.
// Now the others retire every epoch she could know, and she reads nothing
// written afterwards.
func TestPlantedEpochOutlivesNoOne(t *testing.T) {
	cases := []struct {
		name  string
		top   bool // she numbers hers with the highest generation
		loses func(ctx context.Context, c *clinic, fp string) error
	}{
		{"revoked", false, func(ctx context.Context, c *clinic, fp string) error { return c.admin.RevokeMember(ctx, fp) }},
		{"made a receptionist", false, func(ctx context.Context, c *clinic, fp string) error {
			return c.admin.ChangeRole(ctx, fp, roles.Receptionist)
		}},
		{"revoked, top generation", true, func(ctx context.Context, c *clinic, fp string) error { return c.admin.RevokeMember(ctx, fp) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Before", Given: "Leaving", Birth: "1960-02-03"})
			if err != nil {
				t.Fatal(err)
			}
			if err := SyncLocal(ctx, c.all()...); err != nil {
				t.Fatal(err)
			}
			r1, _ := c.phys.Replica()
			r2, _ := c.phys2.Replica()
			planted, err := plantEpoch(ctx, r2, tc.top, c.phys.Fingerprint())
			if err != nil {
				t.Fatal(err)
			}
			if err := SyncLocal(ctx, c.all()...); err != nil { // her own Maintain grants it
				t.Fatal(err)
			}
			if k, _ := r1.Key(roles.Clinical); k.Epoch != planted {
				t.Fatalf("the planted epoch %#x is not the colleague's newest (%#x)", planted, k.Epoch)
			}
			if err := tc.loses(ctx, c, c.phys2.Fingerprint()); err != nil {
				t.Fatal(err)
			}
			if err := SyncLocal(ctx, c.admin, c.recep, c.phys); err != nil {
				t.Fatal(err)
			}
			if k, _ := r1.Key(roles.Clinical); k.Epoch == planted || r1.Retired(roles.Clinical, k.Epoch) {
				t.Fatalf("new clinical writes use %#x (planted %#x)", k.Epoch, planted)
			}
			n, err := clin(c.phys).WriteNote(ctx, Note{Patient: p.ID, Plan: "written after she left"})
			if err != nil {
				t.Fatal(err)
			}
			if err := SyncLocal(ctx, c.admin, c.recep, c.phys); err != nil {
				t.Fatal(err)
			}
			// Her workstation (modified software ignores ErrRevoked) pulls.
			if _, err := pull(ctx, c.phys2, c.phys); err != nil {
				t.Fatal(err)
			}
			if _, _, err := r2.Entity(ctx, n.ID); !errors.Is(err, replica.ErrNotFound) {
				t.Errorf("she reads a note written after she lost the clinical scope: %v", err)
			}
			if _, err := clin(c.phys).OpenChart(ctx, p.ID); err != nil {
				t.Errorf("the remaining physician's chart: %v", err)
			}
		})
	}
}

// plantEpoch is a hostile workstation making a clinical epoch: the next
// generation (NewEpoch: one call of modified software, her own upkeep
// grants it), or the top one (granted by hand to herself and to to).
func plantEpoch(ctx context.Context, r *replica.Replica, top bool, to string) (uint32, error) {
	if !top {
		k, err := r.NewEpoch(ctx, roles.Clinical)
		return k.Epoch, err
	}
	k, err := crypto.NewScopeKey(string(roles.Clinical), 0xFFFF<<16|7)
	if err != nil {
		return 0, err
	}
	for _, fp := range []string{r.Fingerprint(), to} {
		if _, err := r.Grant(ctx, k, fp); err != nil {
			return 0, err
		}
	}
	return k.Epoch, nil
}

// TestDemotedSessionCannotWrite: a physician made a receptionist while
// logged in cannot go on writing notes (every other workstation refuses
// them, so her work would be lost without a word); the error says why.
func TestDemotedSessionCannotWrite(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Role", Given: "Change", Birth: "1970-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.admin.ChangeRole(ctx, c.phys2.Fingerprint(), roles.Receptionist); err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	_, err = clin(c.phys2).WriteNote(ctx, Note{Patient: p.ID, Plan: "after the role change"})
	if !errors.Is(err, roles.ErrForbidden) {
		t.Fatalf("a demoted physician writes a note: %v, want roles.ErrForbidden", err)
	}
	t.Log(err)
}

// TestAttackAdministratorReinstatesARevokedPhysician: Attack (session 11
// review, finding 2): a physician leaves (revoked: the clinical key
// rotates). The administrator alone writes her directory entry "active"
// again; her colleagues' old confirmations still named her key, so every
// physician's workstation granted her the new clinical epochs. Now a
// revocation is final: an entry that carries one reads as revoked
// whatever its status field says later (replica.Member).
func TestAttackAdministratorReinstatesARevokedPhysician(t *testing.T) {
	ctx := context.Background()
	c, p := clinicWithPatient(t)
	leaver := joinPhysician(t, c, "Dr Lea Leaver")
	everyone := append(c.all(), leaver)
	mustSync(t, everyone...)
	confirmEachOther(t, c.phys, leaver)
	mustSync(t, everyone...)
	if !rep(t, leaver).Holds(roles.Clinical) {
		t.Fatal("setup: the confirmed physician holds no clinical key")
	}
	lfp := leaver.Fingerprint()
	if err := c.admin.RevokeMember(ctx, lfp); err != nil {
		t.Fatal(err)
	}
	mustSync(t, without(everyone, leaver)...)
	mustSync(t, without(everyone, leaver)...)
	// The administrator's modified software: the entry active again.
	ra := rep(t, c.admin)
	if _, err := ra.Append(ctx, replica.Change{Entity: lfp, Kind: replica.KindMember, Scope: roles.Directory,
		Fields: replica.Fields{"status": []byte(`"active"`)}}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	mustSync(t, everyone...)
	if m, _ := rep(t, c.phys).Member(lfp); m.Active() {
		t.Logf("Paul's workstation sees the leaver active again")
	}
	after := note(t, c.phys, p.ID, "written after Lea left")
	mustSync(t, everyone...)
	mustSync(t, everyone...)
	if opens(rep(t, leaver).Keys(roles.Clinical), after) {
		t.Error("a revoked physician, reinstated by the administrator alone, was granted the new clinical epoch and opens a note written after she left")
	}
}
