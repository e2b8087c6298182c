package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
)

// TestBackupWhereNoHardLinks (h-sec26, MEDIUM: no backup to a USB stick):
// BackupTo put the sealed file in place with a hard link (never replacing
// a file), and FAT and exFAT, the file systems USB sticks come with, have
// none: link(2) answers EPERM there, and every backup to a stick failed
// ("the backup cannot be written: ... operation not permitted"). Where the
// file system refuses the link the file is written in place, created
// exclusively: still never over an existing file, and it restores.
func TestBackupWhereNoHardLinks(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	svc := New(c.Phys.Core())
	linkFile = func(oldname, newname string) error { // as on a FAT stick
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: syscall.EPERM}
	}
	t.Cleanup(func() { linkFile = os.Link })
	stick := t.TempDir()
	file := filepath.Join(stick, "phys.mhbackup")
	if err := svc.BackupTo(ctx, file, []byte(apptest.Passphrase)); err != nil {
		t.Fatalf("BackupTo a file system without hard links: %v", err)
	}
	if left, _ := os.ReadDir(stick); len(left) != 1 {
		t.Errorf("the stick holds %d entries, want the backup alone", len(left))
	}
	before, _ := os.ReadFile(file)
	if err := svc.BackupTo(ctx, file, []byte(apptest.Passphrase)); !errors.Is(err, app.ErrInvalidInput) && !errors.Is(err, os.ErrExist) {
		t.Errorf("a backup over an existing file: %v", err)
	}
	if after, _ := os.ReadFile(file); string(after) != string(before) {
		t.Error("a second backup replaced the first")
	}
	fresh, _ := apptest.Env()
	s, err := Restore(ctx, fresh, Restoration{File: file, Dir: filepath.Join(t.TempDir(), "restored"), Passphrase: []byte(apptest.Passphrase)})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	s.Close()
}
