package backup

// Session 23 (h-chain23): the store's note of its own chain, and stores
// put back or altered outside backup.Restore.
//
// Someone who can write the profile folder while Medihaven is closed,
// holding neither the keyring's secrets nor the passphrase.

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// storeFile is the store's file in a profile folder.
const storeFile = "medihaven.db"

// copyStoreFiles copies a closed store (and its log, if any) from one
// folder into another, as the folder's writer does.
func copyStoreFiles(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(to, storeFile+suffix))
		in, err := os.Open(filepath.Join(from, storeFile+suffix))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(to, storeFile+suffix))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		out.Close()
	}
}

// setChainNote writes the chain note of the closed store in dir, as the
// folder's writer does (no seal: it holds no device key).
func setChainNote(t *testing.T, dir, chain string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(ctx, func(tx *store.Tx) error { return tx.SetMeta(ctx, replica.MetaChain, []byte(chain)) }); err != nil {
		t.Fatal(err)
	}
}

func relogin(t *testing.T, s *app.Session) {
	t.Helper()
	if err := s.Unlock(context.Background(), []byte(apptest.Passphrase)); err != nil {
		t.Fatal(err)
	}
}

func holdsPatient(s *app.Session, id string) bool {
	_, err := s.Patient(context.Background(), id)
	return err == nil
}

// wantNoForks fails when a workstation records a fork.
func wantNoForks(t *testing.T, ss ...*app.Session) {
	t.Helper()
	for _, s := range ss {
		r, err := s.Replica()
		if err != nil {
			t.Fatal(err)
		}
		if f := r.Forks(); len(f) > 0 {
			t.Errorf("%s records forks %+v: what was written there is set aside everywhere", s.StaffName(), f)
		}
	}
}

// TestAttackS23aChainNotePointedAtAnother (MEDIUM, denial; the lead's
// review of session 22): the store's note of the chain it writes in
// (replica/chain) was not covered by the store's seal. Paul's workstation
// was restored on a new computer (it moved onto a new chain, Y); his old
// computer's copy heard of the move and refuses to write (ErrMovedAway).
// The folder's writer points the old copy's note at Y: the old copy then
// wrote in Y, the chain his new computer writes in: a fork of Y, and the
// writes of his new computer there are set aside on every workstation.
func TestAttackS23aChainNotePointedAtAnother(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	file := filepath.Join(t.TempDir(), "phys.mhbackup")
	if err := New(c.Phys.Core()).BackupTo(ctx, file, []byte(apptest.Passphrase)); err != nil {
		t.Fatal(err)
	}
	fresh, _ := apptest.Env()
	s2, err := Restore(ctx, fresh, Restoration{File: file, Dir: filepath.Join(t.TempDir(), "restored"), Passphrase: []byte(apptest.Passphrase)})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	r2, _ := s2.Replica()
	y := r2.Device()
	first, err := s2.RegisterPatient(ctx, app.Patient{Family: "Restored", Given: "First", Birth: "1990-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	all := append(c.All(), s2)
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Phys.RegisterPatient(ctx, app.Patient{Family: "Old", Given: "Copy", Birth: "1990-01-03"}); !errors.Is(err, replica.ErrMovedAway) {
		t.Fatalf("setup: the old copy, having heard of the move, writes: %v", err)
	}

	// The folder's writer points the old copy at the new computer's chain.
	c.Phys.Close()
	setChainNote(t, c.Phys.Profile().Dir, y)
	relogin(t, c.Phys)
	r1, _ := c.Phys.Replica()
	if r1.Device() == y {
		t.Errorf("the old copy opened on the new computer's chain %s", y)
	}
	if _, err := c.Phys.RegisterPatient(ctx, app.Patient{Family: "Old", Given: "Again", Birth: "1990-01-04"}); err == nil {
		r1, _ = c.Phys.Replica()
		if r1.Device() == y {
			t.Errorf("the old copy wrote in the new computer's chain %s", y)
		}
	} else if !errors.Is(err, replica.ErrMovedAway) {
		t.Errorf("the old copy's write: %v", err)
	} else {
		// It writes nothing (its upkeep neither): synced without it.
		all = []*app.Session{c.Admin, c.Recep, c.Phys2, s2}
	}
	second, err := s2.RegisterPatient(ctx, app.Patient{Family: "Restored", Given: "Second", Birth: "1990-01-05"})
	if err != nil {
		t.Fatalf("the new computer cannot write: %v", err)
	}
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	wantNoForks(t, all...)
	// (An administrator reads no patients.)
	for _, s := range []*app.Session{c.Recep, c.Phys2, s2} {
		for _, p := range []app.Patient{first, second} {
			if !holdsPatient(s, p.ID) {
				t.Errorf("%s lacks %s %s, written on Paul's new computer", s.StaffName(), p.Family, p.Given)
			}
		}
	}
}

// TestAttackS23aPutBackStoreForks (MEDIUM): a copy of Paul's store taken
// earlier and put back by the folder's writer (not restored through
// backup.Restore). The seal finds it put back (its generation is below the
// keyring's) and rebuilds it, but it went on in its old chain from its
// older tip: its next write took the place of the event it missed, which
// the clinic holds, a fork; every write of his there was set aside on every
// workstation. (A clinic offline, or nobody announcing the missed event:
// the wait for the first catch-up cannot help.)
func TestAttackS23aPutBackStoreForks(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	old := t.TempDir()
	dir := c.Phys.Profile().Dir
	c.Phys.Close()
	copyStoreFiles(t, dir, old)
	relogin(t, c.Phys)
	missed, err := c.Phys.RegisterPatient(ctx, app.Patient{Family: "Missed", Given: "ByTheCopy", Birth: "1980-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	c.Phys.Close()
	copyStoreFiles(t, old, dir)
	relogin(t, c.Phys)
	if c.Phys.StoreAltered() == "" {
		t.Fatal("setup: the store put back was not noticed")
	}
	// Its upkeep after login starts new epochs for the keys it retired
	// (every key it held: its rows were not believed), then it writes.
	if _, err := c.Phys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := c.Phys.RegisterPatient(ctx, app.Patient{Family: "Written", Given: "AfterPutBack", Birth: "1980-01-03"})
	if err != nil {
		t.Fatalf("the workstation of an offline clinic cannot write after the put-back: %v", err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	wantNoForks(t, c.All()...)
	// (An administrator reads no patients.)
	for _, s := range []*app.Session{c.Recep, c.Phys, c.Phys2} {
		for _, p := range []app.Patient{missed, after} {
			if _, err := s.Patient(ctx, p.ID); err != nil {
				t.Errorf("%s lacks %s %s: %v", s.StaffName(), p.Family, p.Given, err)
			}
		}
	}
}

// TestAttackS23aChainNoteWithSealDeleted (finding 1, second shape): the
// folder's writer deletes the store's seal too, so no seal vouches for the
// note, and points the note at an id bound to Paul's key that no copy of
// his moved onto. On main the workstation opened on it and wrote there:
// a chain his directory entry does not name, his writes refused on every
// workstation. The note is believed only for a chain moved from the
// profile's device by his own signed moves; the store, its seal deleted,
// is said altered and moves onto a new chain of its own.
func TestAttackS23aChainNoteWithSealDeleted(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	r, _ := c.Phys.Replica()
	x := r.Device()
	other := crypto.NewDeviceID(c.Phys.Fingerprint())
	c.Phys.Close()
	db, err := store.Open(ctx, filepath.Join(c.Phys.Profile().Dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteMeta(ctx, "store/seal"); err != nil {
			return err
		}
		return tx.SetMeta(ctx, replica.MetaChain, []byte(other))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	relogin(t, c.Phys)
	if c.Phys.StoreAltered() == "" {
		t.Error("the deleted seal was not said")
	}
	r, _ = c.Phys.Replica()
	if r.Device() == other {
		t.Errorf("the workstation opened on %s, a chain its note was pointed at (its own: %s)", other, x)
	}
	if _, err := c.Phys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := c.Phys.RegisterPatient(ctx, app.Patient{Family: "After", Given: "SealDeleted", Birth: "1980-01-04"})
	if err != nil {
		t.Fatalf("the workstation cannot write: %v", err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	wantNoForks(t, c.All()...)
	for _, s := range []*app.Session{c.Recep, c.Phys2} {
		if _, err := s.Patient(ctx, p.ID); err != nil {
			t.Errorf("%s lacks the physician's patient: %v", s.StaffName(), err)
		}
	}
}
