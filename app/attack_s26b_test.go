package app

// Session 26 review h-sec26 (/work/notes/sec26-s26.md), item 3: what a
// failed profile creation and a crashed backup leave behind, for whoever
// later gets the profile folder and the keyring.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/keyringtest"
	"github.com/medihaven/medihaven/roles"
	"github.com/zalando/go-keyring"
)

// TestAttackS26bLeftoversSecretService runs TestAttackS26bLeftoversInner
// against a real gnome-keyring (Secret Service), in its own D-Bus session.
func TestAttackS26bLeftoversSecretService(t *testing.T) {
	keyringtest.Run(t, "TestAttackS26bLeftoversInner")
}

// TestAttackS26bLeftoversInner (LOW): a backup copies the store, a plain
// SQLite file, into a dot folder of the profile's own (.backup-*) and
// deletes it when done; a backup killed meanwhile (the program closed, a
// power cut) left that copy there for good, nothing ever removed it: an
// older whole store (every sealed record and clear header as they were)
// beside the live one, one more with each crash, outliving what the live
// store holds. The next login removes such a copy once it is older than
// any backup takes (a fresh one may be another process's backup running).
// A profile creation that fails leaves no keyring item and no file.
func TestAttackS26bLeftoversInner(t *testing.T) {
	if !keyringtest.Inside() {
		t.Skip("run by TestAttackS26bLeftoversSecretService in its own D-Bus session")
	}
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	ctx := context.Background()
	env := Env{}.defaults() // the OS keyring, for real
	dir := filepath.Join(t.TempDir(), "admin")
	s, err := CreateClinic(ctx, env, NewClinic{Dir: dir, Clinic: "Leftover Clinic", Admin: "Ada Admin", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	// A backup killed after it copied the store, long ago, and one
	// running now in another process.
	stale, err := os.MkdirTemp(dir, ".backup-")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.rep.DB().Backup(ctx, filepath.Join(stale, "medihaven.db")); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-3 * time.Hour)
	for _, p := range []string{filepath.Join(stale, "medihaven.db"), stale} {
		if err := os.Chtimes(p, long, long); err != nil {
			t.Fatal(err)
		}
	}
	running, err := os.MkdirTemp(dir, ".backup-")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Login(ctx, env, dir, "", []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a crashed backup's copy of the store is still in the profile folder after the next login (%v)", err)
	}
	if _, err := os.Stat(running); err != nil {
		t.Errorf("a backup's copy made a moment ago (another process's backup running) was removed: %v", err)
	}

	// A profile creation that fails at its last step: nothing of it is
	// left in the keyring or on disk.
	var made Profile
	failing := env
	failing.OpenKeystore = func(p Profile, pass []byte) (crypto.Keystore, error) {
		made = p
		return OpenKeystore(p, pass)
	}
	dir2 := filepath.Join(t.TempDir(), "failed")
	_, err = newProfile(ctx, failing, dir2, Profile{Clinic: "Failed"}, []byte(testPass),
		me{Name: "Fay Failed", Role: roles.Administrator}, nil, func(s *Session) error {
			_, err := s.rep.PublishKey(ctx)
			if err == nil {
				err = errors.New("the network went away")
			}
			return err
		})
	if err == nil || made.ID == "" {
		t.Fatalf("setup: the creation did not fail at its last step (%v, id %q)", err, made.ID)
	}
	for _, name := range []string{nameIdentity, nameDevice, nameTrustSealed, nameStoreSeal, nameProfileID} {
		if _, err := keyring.Get(keyringName, made.ID+"/"+name); !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("a failed profile creation left the keyring item %s (%v)", name, err)
		}
	}
	if _, err := os.Stat(dir2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed profile creation left its folder (%v)", err)
	}
}
