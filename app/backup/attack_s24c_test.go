package backup

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/medihaven/medihaven/app/apptest"
)

// TestAttackS24cBackupLeavesTheStoreInClearBesideIt (h-rev24, LOW): a
// backup is "one file, nothing readable without the passphrase", made to
// be carried away (a USB stick, a network share). BackupTo copied the
// live SQLite store, unencrypted as a file (its envelope headers, index
// rows and sealed rows are the store's), into a temporary folder beside
// the backup file, where it stayed while the archive was built and
// sealed (the passphrase's S2K alone takes a noticeable while) and was
// then deleted: on a stick's FAT file system, or a share, a deleted
// file's bytes stay readable to whoever gets the medium. The copy is now
// made inside the profile's own folder, beside the store it copies;
// nothing but the sealed file is written where the backup goes.
func TestAttackS24cBackupLeavesTheStoreInClearBesideIt(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	svc := New(c.Phys.Core())
	dest := t.TempDir() // the USB stick
	file := filepath.Join(dest, "phys.mhbackup")

	sqlite := []byte("SQLite format 3\x00")
	var (
		mu   sync.Mutex
		seen []string
	)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			_ = filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				f, err := os.Open(p)
				if err != nil {
					return nil
				}
				head := make([]byte, len(sqlite))
				n, _ := f.Read(head)
				f.Close()
				if n == len(sqlite) && bytes.Equal(head, sqlite) {
					mu.Lock()
					seen = append(seen, p)
					mu.Unlock()
				}
				return nil
			})
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	err := svc.BackupTo(ctx, file, []byte(apptest.Passphrase))
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatalf("BackupTo: %v", err)
	}
	if len(seen) > 0 {
		t.Errorf("the store was written in clear where the backup goes: %s", seen[0])
	}
	left, _ := os.ReadDir(dest)
	if len(left) != 1 || left[0].Name() != "phys.mhbackup" {
		t.Errorf("the backup's folder holds %v, want the backup alone", left)
	}
	prof, _ := os.ReadDir(c.Phys.Profile().Dir)
	for _, e := range prof {
		if len(e.Name()) > 8 && e.Name()[:8] == ".backup-" {
			t.Errorf("the backup left %s in the profile's folder", e.Name())
		}
	}
}
