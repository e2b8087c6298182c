package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/backup"
	"github.com/medihaven/medihaven/app/cli"
	"github.com/medihaven/medihaven/ui"
)

// TestRestoreOnANewComputer walks what the window's "Restore from a
// backup" calls (ui.Restoring, firstrun.go): a clinic created as the
// window creates it is backed up as Settings backs it up; on a "new
// computer" (another folder, the file keystore) a wrong passphrase and a
// file that is no backup are refused in plain words, leaving no folder;
// the right passphrase restores the workstation, which keeps its keys in
// the new computer's file keystore and logs in again from the login form.
func TestRestoreOnANewComputer(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	const pass = "correct horse battery staple"
	workstation := func(folder string) backend {
		dir := filepath.Join(root, folder, "profile")
		return backend{dirs: []string{dir}, g: cli.Global{Profile: dir, Keystore: app.KeystoreFile}, servers: new(localServers)}
	}
	s, err := workstation("old").CreateClinic(ctx, ui.NewClinic{Clinic: "Riverside Family Practice", Zone: "Europe/London",
		Admin: "Alex Morgan", Passphrase: []byte(pass)})
	if err != nil {
		t.Fatal(err)
	}
	b, ok := backup.Of(s)
	if !ok {
		t.Fatalf("no backup of %T", s)
	}
	file := filepath.Join(root, "medihaven-backup.backup")
	if err := b.BackupTo(ctx, file, []byte(pass)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	photo := filepath.Join(root, "holiday.png")
	if err := os.WriteFile(photo, []byte("\x89PNG\r\n\x1a\n not a backup"), 0o600); err != nil {
		t.Fatal(err)
	}

	fresh := workstation("new")
	for _, c := range []struct {
		name, file, pass, says string
	}{
		{"wrong passphrase", file, "guess guess guess", "wrong passphrase: this passphrase does not open the backup"},
		{"not a backup", photo, pass, "this file is not a usable Medihaven backup: it is not an encrypted backup"},
		{"no such file", filepath.Join(root, "gone.backup"), pass, "the backup cannot be read"},
	} {
		_, err := fresh.Restore(ctx, ui.RestoreRequest{File: c.file, Passphrase: []byte(c.pass)})
		if err == nil || !strings.HasPrefix(err.Error(), c.says) || strings.Contains(err.Error(), "app: ") {
			t.Errorf("%s: %v, want it to start %q", c.name, err, c.says)
		}
		if _, err := os.Stat(fresh.g.Profile); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: the refused restore left %s", c.name, fresh.g.Profile)
		}
	}
	r, err := fresh.Restore(ctx, ui.RestoreRequest{File: file, Passphrase: []byte(pass)})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if r.StaffName() != "Alex Morgan" || r.Clinic() != "Riverside Family Practice" {
		t.Errorf("restored %q of %q", r.StaffName(), r.Clinic())
	}
	r.Close()
	p, err := app.ReadProfile(fresh.g.Profile)
	if err != nil || p.Keystore != app.KeystoreFile || p.Staff != "Alex Morgan" {
		t.Fatalf("the restored profile: %+v, %v", p, err)
	}
	again, err := fresh.Login(ctx, fresh.g.Profile, "", []byte(pass))
	if err != nil {
		t.Fatalf("log in to the restored workstation: %v", err)
	}
	again.Close()
}
