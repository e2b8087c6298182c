package backup

// Session 24 (h-keystore24): stores put back where the keyring's
// generation could not tell them from the newest: under the passphrase's
// file keystore, and from the other copy of a restored profile.
//
// Someone who can write the profile folder while Medihaven is closed,
// holding neither the keyring's secrets nor the passphrase.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// fileKeystoreEnv is the clinic's Env, whose profiles that chose the
// passphrase's file keystore keep their keys in it (keys.mhk in the
// profile folder), the others in the test's memory keyring.
func fileKeystoreEnv(c *apptest.Clinic) app.Env {
	env := c.Env
	mem := c.Env.OpenKeystore
	env.OpenKeystore = func(p app.Profile, pass []byte) (crypto.Keystore, error) {
		if p.Keystore == app.KeystoreFile {
			return app.OpenKeystore(p, pass)
		}
		return mem(p, pass)
	}
	return env
}

// joinWithFileKeystore makes a physician whose workstation keeps its keys
// in the passphrase's file keystore, confirmed with Rita and Paul.
func joinWithFileKeystore(t *testing.T, c *apptest.Clinic, name string) *app.Session {
	t.Helper()
	ctx := context.Background()
	tok, err := c.Admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s, err := app.Redeem(ctx, fileKeystoreEnv(c), app.Redemption{Dir: filepath.Join(c.Dir, name), Token: tok.String(),
		Name: name, Passphrase: []byte(apptest.Passphrase), Keystore: app.KeystoreFile})
	if err != nil {
		t.Fatalf("Redeem %s: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	all := append(c.All(), s)
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	c.Confirm(t, c.Recep, s)
	c.Confirm(t, c.Phys, s)
	for range 2 {
		if err := app.SyncLocal(ctx, all...); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestAttackS24aFileKeystorePutBackForks (MEDIUM): Fay's workstation keeps
// its keys in the passphrase's file keystore (no OS keyring on her
// desktop). It kept no generation of the store's seal: the only place it
// had was keys.mhk, in the profile folder, which the folder's writer puts
// back with medihaven.db. A copy of her store taken earlier and put back
// was not told from the newest: it wrote on from its older tip, at the
// place of the event it missed, which the clinic holds — a fork, and every
// write of hers from there set aside on every workstation. The generation
// is now kept outside the profile folder (the user's state folder), sealed
// with her device key: putting back the profile folder alone is found,
// and the store moves onto a new chain.
func TestAttackS24aFileKeystorePutBackForks(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	fay := joinWithFileKeystore(t, c, "Dr Fay File")
	all := append(c.All(), fay)
	old := t.TempDir()
	dir := fay.Profile().Dir
	fay.Close()
	copyStoreFiles(t, dir, old)
	relogin(t, fay)
	missed, err := fay.RegisterPatient(ctx, app.Patient{Family: "Missed", Given: "ByTheCopy", Birth: "1980-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	fay.Close()
	copyStoreFiles(t, old, dir)
	relogin(t, fay)
	if fay.StoreAltered() == "" {
		t.Error("the store put back under the file keystore was not noticed")
	}
	if _, err := fay.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := fay.RegisterPatient(ctx, app.Patient{Family: "Written", Given: "AfterPutBack", Birth: "1980-01-03"})
	if err != nil {
		t.Fatalf("the workstation of an offline clinic cannot write after the put-back: %v", err)
	}
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	wantNoForks(t, all...)
	for _, s := range []*app.Session{c.Recep, c.Phys, fay} {
		for _, p := range []app.Patient{missed, after} {
			if _, err := s.Patient(ctx, p.ID); err != nil {
				t.Errorf("%s lacks %s %s: %v", s.StaffName(), p.Family, p.Given, err)
			}
		}
	}
}

// TestAttackS24aOtherCopyOfRestoredProfile (MEDIUM): Paul's workstation
// was backed up and restored on a new computer (which moved onto a chain
// of its own); his old computer, not yet told of the move, goes on in the
// old chain. Both copies hold the same device key, so a store of one
// copy, put into the other's folder, is sealed with the right key; each
// computer's keyring keeps its own generation, and the old computer's
// store, written more since the backup, passed the new computer's check.
// The new computer then wrote in the old computer's chain: a fork, and
// the writes of both set aside from there on every workstation. The
// keyring now also keeps the seal's home (a random id of this copy of
// the profile, sealed in the store): a store sealed elsewhere is found put
// back, and moves.
func TestAttackS24aOtherCopyOfRestoredProfile(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	file := filepath.Join(t.TempDir(), "phys.mhbackup")
	if err := New(c.Phys.Core()).BackupTo(ctx, file, []byte(apptest.Passphrase)); err != nil {
		t.Fatal(err)
	}
	computer2, _ := apptest.Env()
	computer2.Now = c.Env.Now
	s2, err := Restore(ctx, computer2, Restoration{File: file, Dir: filepath.Join(t.TempDir(), "restored"), Passphrase: []byte(apptest.Passphrase)})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	first, err := s2.RegisterPatient(ctx, app.Patient{Family: "Restored", Given: "First", Birth: "1990-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	// The new computer syncs with the clinic; the old one is off.
	if err := app.SyncLocal(ctx, c.Admin, c.Recep, c.Phys2, s2); err != nil {
		t.Fatal(err)
	}
	r2, _ := s2.Replica()
	gen2 := r2.SealGen()
	// The old computer, not told of the move, writes on in the old chain
	// (more than the new one since the backup).
	r1, _ := c.Phys.Replica()
	x := r1.Device()
	var olds []app.Patient
	for i := 0; r1.SealGen() <= gen2+2 && i < 200; i++ {
		p, err := c.Phys.RegisterPatient(ctx, app.Patient{Family: "Old", Given: "Computer", Birth: "1970-01-02"})
		if err != nil {
			t.Fatal(err)
		}
		olds = append(olds, p)
	}
	if r1.SealGen() <= gen2 {
		t.Fatalf("setup: the old computer's store (generation %d) is not ahead of the new one's (%d)", r1.SealGen(), gen2)
	}

	// The folder's writer puts the old computer's store into the new
	// computer's folder.
	c.Phys.Close()
	s2.Close()
	copyStoreFiles(t, c.Phys.Profile().Dir, s2.Profile().Dir)
	relogin(t, s2)
	relogin(t, c.Phys)
	if s2.StoreAltered() == "" {
		t.Error("the other copy's store put back on the new computer was not noticed")
	}
	if _, err := s2.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	second, err := s2.RegisterPatient(ctx, app.Patient{Family: "Restored", Given: "Second", Birth: "1990-01-05"})
	if err != nil {
		t.Fatalf("the new computer cannot write: %v", err)
	}
	if r2, _ = s2.Replica(); r2.Device() == x {
		t.Errorf("the new computer writes in the old computer's chain %s", x)
	}
	third, err := c.Phys.RegisterPatient(ctx, app.Patient{Family: "Old", Given: "Again", Birth: "1970-01-03"})
	writers := []app.Patient{second}
	if err == nil {
		writers = append(writers, third)
	} else if !errors.Is(err, replica.ErrMovedAway) {
		t.Fatalf("the old computer's write: %v", err)
	}
	// Every copy hands on what it holds; the old computer, told of the
	// move only now, then writes no more (its upkeep says so).
	all := append(c.All(), s2)
	if err := app.SyncLocal(ctx, all...); err != nil && !errors.Is(err, replica.ErrMovedAway) {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.Admin, c.Recep, c.Phys2, s2); err != nil {
		t.Fatal(err)
	}
	wantNoForks(t, all...)
	for _, s := range []*app.Session{c.Recep, c.Phys2, s2} {
		for _, p := range append(append(writers, first), olds[len(olds)-1]) {
			if !holdsPatient(s, p.ID) {
				t.Errorf("%s lacks %s %s", s.StaffName(), p.Family, p.Given)
			}
		}
	}
}

// TestAttackS24aFileKeystoreProfileIDEdited (second shape of the first):
// the file keystore's seal record is found by the profile's id; the
// folder's writer, putting back the store, also changes profile.json's
// id, so that the workstation looks for a record that is not there and
// believes the older store. The id the keystore file keeps (written once,
// with the passphrase) is the one looked up.
func TestAttackS24aFileKeystoreProfileIDEdited(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	fay := joinWithFileKeystore(t, c, "Dr Fay File")
	old := t.TempDir()
	dir := fay.Profile().Dir
	fay.Close()
	copyStoreFiles(t, dir, old)
	relogin(t, fay)
	if _, err := fay.RegisterPatient(ctx, app.Patient{Family: "Missed", Given: "ByTheCopy", Birth: "1980-01-02"}); err != nil {
		t.Fatal(err)
	}
	fay.Close()
	copyStoreFiles(t, old, dir)
	editProfileID(t, dir)
	fay, err := app.Login(ctx, fileKeystoreEnv(c), dir, "", []byte(apptest.Passphrase))
	if err != nil {
		t.Fatal(err)
	}
	defer fay.Close()
	if fay.StoreAltered() == "" {
		t.Error("the store put back under the file keystore, profile.json's id changed, was not noticed")
	}
}

// editProfileID changes the id in dir's profile.json, as the folder's
// writer can.
func editProfileID(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, "profile.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	p["id"] = "0123456789abcdef0123456789abcdef"
	if b, err = json.Marshal(p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestAttackS24aOldDiskSealDeletedNotePointedAtRestored (LOW, a denial;
// open since session 23): Paul's workstation was restored on a new
// computer (chain Y); his old disk heard of the move and writes no more.
// The folder's writer deletes the old copy's seal and points its note at
// Y: with no seal to believe, the note passed (Y moved from the profile's
// device by his own signed move), the store, its seal deleted, moved on
// from Y, and the new computer, told that Y moved, wrote no more. The
// keyring now keeps the chain this workstation writes in beside the
// generation: with no seal to vouch, it is believed over the note.
func TestAttackS24aOldDiskSealDeletedNotePointedAtRestored(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	file := filepath.Join(t.TempDir(), "phys.mhbackup")
	if err := New(c.Phys.Core()).BackupTo(ctx, file, []byte(apptest.Passphrase)); err != nil {
		t.Fatal(err)
	}
	computer2, _ := apptest.Env()
	computer2.Now = c.Env.Now
	s2, err := Restore(ctx, computer2, Restoration{File: file, Dir: filepath.Join(t.TempDir(), "restored"), Passphrase: []byte(apptest.Passphrase)})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	r2, _ := s2.Replica()
	y := r2.Device()
	all := append(c.All(), s2)
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Phys.RegisterPatient(ctx, app.Patient{Family: "Old", Given: "Copy", Birth: "1990-01-03"}); !errors.Is(err, replica.ErrMovedAway) {
		t.Fatalf("setup: the old copy, having heard of the move, writes: %v", err)
	}
	c.Phys.Close()
	db, err := store.Open(ctx, filepath.Join(c.Phys.Profile().Dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteMeta(ctx, "store/seal"); err != nil {
			return err
		}
		return tx.SetMeta(ctx, replica.MetaChain, []byte(y))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	relogin(t, c.Phys)
	if c.Phys.StoreAltered() == "" {
		t.Error("the deleted seal was not said")
	}
	// The old copy's upkeep, and a sync of everyone.
	c.Phys.Maintain(ctx) //nolint:errcheck // a copy moved away may refuse
	if err := app.SyncLocal(ctx, all...); err != nil && !errors.Is(err, replica.ErrMovedAway) {
		t.Fatal(err)
	}
	if r2, _ := s2.Replica(); r2.MovedAway() {
		t.Errorf("the new computer's chain %s was moved away by the old disk", y)
	}
	p, err := s2.RegisterPatient(ctx, app.Patient{Family: "Restored", Given: "After", Birth: "1990-01-05"})
	if err != nil {
		t.Fatalf("the new computer cannot write: %v", err)
	}
	if err := app.SyncLocal(ctx, c.Admin, c.Recep, c.Phys2, s2); err != nil {
		t.Fatal(err)
	}
	wantNoForks(t, all...)
	for _, s := range []*app.Session{c.Recep, c.Phys2} {
		if !holdsPatient(s, p.ID) {
			t.Errorf("%s lacks the new computer's patient", s.StaffName())
		}
	}
}
