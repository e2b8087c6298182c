package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestBackupAndRestore backs up a workstation while it works and restores
// it on a "new computer" (an empty folder and a keystore that never held
// its keys): the restored profile logs in with the passphrase, every
// chain verifies, and it holds the same log and keys as the original.
func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	svc := New(c.Phys.Core())
	file := filepath.Join(t.TempDir(), "phys.mhbackup")
	if err := svc.BackupTo(ctx, file, []byte("not the passphrase")); !errors.Is(err, app.ErrWrongPassphrase) {
		t.Fatalf("a backup to another passphrase: %v", err)
	}
	if err := svc.BackupTo(ctx, file, []byte(apptest.Passphrase)); err != nil {
		t.Fatalf("BackupTo: %v", err)
	}
	if err := svc.BackupTo(ctx, file, []byte(apptest.Passphrase)); !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("a backup over an existing file: %v", err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"Dr Paul Physician", "Test Clinic", c.Phys.Profile().Device} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the backup file shows %q in clear", secret)
		}
	}

	fresh, _ := apptest.Env() // the new computer's keystore
	dir := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, fresh, Restoration{File: file, Dir: dir, Passphrase: []byte("wrong passphrase")}); !errors.Is(err, app.ErrWrongPassphrase) {
		t.Fatalf("Restore with a wrong passphrase: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed restore left %s behind", dir)
	}
	damaged := filepath.Join(t.TempDir(), "damaged")
	raw[len(raw)/2] ^= 0x40
	if err := os.WriteFile(damaged, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, fresh, Restoration{File: damaged, Dir: dir, Passphrase: []byte(apptest.Passphrase)}); err == nil {
		t.Fatal("a damaged backup was restored")
	}

	notBackup := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(notBackup, []byte("\x89PNG\r\n\x1a\n not a backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, fresh, Restoration{File: notBackup, Dir: dir, Passphrase: []byte(apptest.Passphrase)}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Restore of a file that is no backup: %v", err)
	}

	s, err := Restore(ctx, fresh, Restoration{File: file, Dir: dir, Passphrase: []byte(apptest.Passphrase)})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	defer s.Close()
	if s.StaffName() != "Dr Paul Physician" || s.Profile().Device != c.Phys.Profile().Device || s.Profile().ID == c.Phys.Profile().ID {
		t.Errorf("restored %q device %s id %s", s.StaffName(), s.Profile().Device, s.Profile().ID)
	}
	r, _ := s.Replica()
	orig, _ := c.Phys.Replica()
	if problems, err := r.Verify(ctx); err != nil || len(problems) != 0 {
		t.Fatalf("Verify the restored log: %v, %v", problems, err)
	}
	if _, ok := orig.Restored(); ok {
		t.Error("the backed-up workstation is marked restored")
	}
	if at, ok := r.Restored(); !ok || at == 0 {
		t.Errorf("the restored workstation's mark: at %d, %v; want its chain's tip", at, ok)
	}
	count := func(s *app.Session) (n int) {
		rr, _ := s.Replica()
		rr.DB().View(ctx, func(tx *store.Tx) error { //nolint:errcheck
			return tx.EachEnvelope(ctx, func(store.Envelope) error { n++; return nil })
		})
		return n
	}
	// Plus the move onto a new chain of its own (app/move.go, h-restore22).
	if a, b := count(c.Phys), count(s); a+1 != b || a == 0 {
		t.Errorf("envelopes: original %d, restored %d (with its move)", a, b)
	}
	if r.MovedFrom() != orig.Device() || r.Device() == orig.Device() || r.Account() != orig.Device() {
		t.Errorf("the restored workstation writes in %s moved from %q as %s; the original in %s", r.Device(), r.MovedFrom(), r.Account(), orig.Device())
	}
	for _, scope := range []roles.Scope{roles.Directory, roles.FrontDesk, roles.Clinical} {
		if !orig.Holds(scope) || !r.Holds(scope) {
			t.Errorf("scope %s held: original %v, restored %v", scope, orig.Holds(scope), r.Holds(scope))
		}
	}
	// A clinic without servers (offline): it writes at once, in its new chain.
	if p, err := s.RegisterPatient(ctx, app.Patient{Family: "Offline", Given: "Restore", Birth: "1990-01-02"}); err != nil {
		t.Errorf("the restored workstation of an offline clinic cannot write: %v", err)
	} else if own, _ := r.EnvelopesAfter(ctx, r.Device(), 0, -1); len(own) != 2 {
		t.Errorf("its new chain holds %d events, want the move and %s", len(own), p.ID)
	}
	if _, err := Restore(ctx, fresh, Restoration{File: file, Dir: dir, Passphrase: []byte(apptest.Passphrase)}); !errors.Is(err, app.ErrProfileExists) {
		t.Errorf("a restore over a profile: %v", err)
	}
}

// FuzzParse: any decrypted archive is read or refused with ErrDamaged,
// never half-read.
func FuzzParse(f *testing.F) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for name, data := range map[string]string{
		manifestPart: `{"version":1,"profile":{"id":"x","device":"d","clinic_id":"c"}}`,
		keysPart:     `{"identity":"aWQ=","device":"ZGV2"}`,
		databasePart: "SQLite format 3\x00",
	} {
		addTar(tw, name, strings.NewReader(data), int64(len(data))) //nolint:errcheck
	}
	tw.Close()
	f.Add(b.Bytes())
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, plain []byte) {
		ps, err := parse(plain)
		if err != nil {
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("error %v is not ErrDamaged", err)
			}
			return
		}
		if len(ps.database) == 0 || len(ps.keys.Identity) == 0 || len(ps.keys.Device) == 0 || ps.manifest.Profile.Device == "" {
			t.Fatalf("accepted an incomplete backup: %+v", ps)
		}
	})
}
