package app

import (
	"context"
	"errors"
	"testing"

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
