package app

// Session 12 hostile review (h-sec12): throw-away proofs, each failing on
// main at the commit the review began.

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestAttackS12StandInsFirstKeyBlindsTheClinic: a workstation makes the
// first key of a scope only when no envelope of the scope exists
// (createScope: store.AnyInScope), whoever wrote it. An administrator
// redeems a physician's token herself before the clinic's physicians
// join: her stand-in, running honest software, makes the clinical and
// front-desk keys. The real physicians join and confirm each other in
// person, but neither may take the stand-in's keys (nobody confirmed her)
// and neither makes one (the stand-in's patient and note are a trace of the scope): the clinic never
// holds a clinical or front-desk key it can use.
func TestAttackS12StandInsFirstKeyBlindsTheClinic(t *testing.T) {
	ctx := context.Background()
	env, _ := testEnv(t)
	dir := t.TempDir()
	admin, err := CreateClinic(ctx, env, NewClinic{Dir: filepath.Join(dir, "admin"), Clinic: "Test Clinic", Admin: "Ada Admin", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	join := func(name string, role roles.Role) *Session {
		t.Helper()
		tok, err := admin.IssueToken(ctx, role, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Redeem(ctx, env, Redemption{Dir: filepath.Join(dir, name), Token: tok.String(), Name: name, Passphrase: []byte(testPass)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	t.Cleanup(func() { admin.Close() })
	standIn := join("Dr Sly Standin", roles.Physician)
	if err := SyncLocal(ctx, admin, standIn); err != nil {
		t.Fatal(err)
	}
	if !rep(t, standIn).Holds(roles.Clinical) {
		t.Fatal("setup: the stand-in, the clinic's first physician, made no clinical key")
	}
	// She works as any physician would: a patient, a note.
	if _, err := standIn.RegisterPatient(ctx, Patient{Family: "Quill", Given: "Xanthe", Birth: "1966-03-04"}); err != nil {
		t.Fatal(err)
	}
	if _, err := rep(t, standIn).Append(ctx, replica.Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
		Fields: replica.Fields{"plan": []byte(`"rest"`)}}); err != nil {
		t.Fatal(err)
	}
	phys, phys2 := join("Dr Paul Physician", roles.Physician), join("Dr Petra Second", roles.Physician)
	recep := join("Rita Reception", roles.Receptionist)
	all := []*Session{admin, standIn, phys, phys2, recep}
	mustSync(t, all...)
	confirmEachOther(t, phys, phys2)
	confirmEachOther(t, phys, recep)
	mustSync(t, all...)
	mustSync(t, all...)
	for _, s := range []*Session{phys, phys2} {
		if !rep(t, s).Holds(roles.Clinical) {
			t.Errorf("%s, confirmed by a colleague in person, holds no clinical key: the stand-in's key came first", s.StaffName())
		}
	}
	if !rep(t, recep).Holds(roles.FrontDesk) {
		t.Error("the receptionist, confirmed in person, holds no front-desk key: the stand-in's key came first")
	}
}

// TestAttackS12FormerAdministratorEntriesForceEpochs: the key rotation
// starts new epochs of the clinical and front-desk scopes until the
// generation passes the number of inactive administrators in the
// directory (grants.go rotate: one generation per former administrator).
// An administrator writes directory entries of revoked administrators for
// keys that never joined (cheap: one small event each); every physician's
// and receptionist's upkeep then makes one epoch per entry, and grants
// each to every colleague. 40 entries made 40 clinical epochs here; 65,535
// would leave every workstation's upkeep failing with ErrNoEpoch before
// its grant pass.
func TestAttackS12FormerAdministratorEntriesForceEpochs(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	mustSync(t, c.all()...)
	before := len(rep(t, c.phys).Keys(roles.Clinical))
	ra := rep(t, c.admin)
	b := ra.Batch()
	for range 40 {
		id, err := crypto.GenerateIdentity("nobody")
		if err != nil {
			t.Fatal(err)
		}
		f, err := replica.F(map[string]any{"name": "Former " + id.Fingerprint()[:6], "role": roles.Administrator,
			"status": replica.StatusRevoked, "revoked_heads": map[string]uint64{}})
		if err != nil {
			t.Fatal(err)
		}
		b.Append(replica.Change{Entity: id.Fingerprint(), Kind: replica.KindMember, Scope: roles.Directory, Fields: f})
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	if _, err := c.phys.Maintain(ctx); err != nil {
		t.Logf("Paul's upkeep: %v", err)
	}
	if after := len(rep(t, c.phys).Keys(roles.Clinical)); after-before > 2 {
		t.Errorf("40 directory entries of former administrators nobody ever met made Paul's workstation start %d clinical epochs", after-before)
	}
}
