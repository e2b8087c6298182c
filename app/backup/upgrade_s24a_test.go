package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
)

// sealRecordFile is the file keystore's seal record of profile id (as
// app/storeseal.go names it).
func sealRecordFile(t *testing.T, id string) string {
	t.Helper()
	dir := os.Getenv("XDG_STATE_HOME")
	if !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	h := sha256.Sum256([]byte(id))
	return filepath.Join(dir, "medihaven", "store-seal-"+hex.EncodeToString(h[:16]))
}

// TestUpgradeS24aFileKeystoreWithoutRecordNoFalseAlarm (h-keystore24): a
// workstation on the passphrase's file keystore from before session 24
// (no seal record in the state folder, no profile id in keys.mhk, the
// store sealed by version 3) logs in with no alarm: the same chain, not
// restored; the record is kept from then on, and the logins after say
// nothing.
func TestUpgradeS24aFileKeystoreWithoutRecordNoFalseAlarm(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	fay := joinWithFileKeystore(t, c, "Dr Fay File")
	p := fay.Profile()
	r, _ := fay.Replica()
	chain := r.Device()
	if err := r.SealAsVersion3ForTest(ctx); err != nil {
		t.Fatal(err)
	}
	fay.Close()
	record := sealRecordFile(t, p.ID)
	if _, err := os.Stat(record); err != nil {
		t.Fatalf("setup: no seal record: %v", err)
	}
	os.Remove(record)
	ks, err := app.OpenKeystore(p, []byte(apptest.Passphrase))
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Delete("profile-id"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		relogin(t, fay)
		r, _ := fay.Replica()
		if msg := fay.StoreAltered(); msg != "" {
			t.Errorf("login %d after the upgrade says: %s", i+1, msg)
		}
		if r.Device() != chain || r.ChainSuspect() {
			t.Errorf("login %d: writes in %s (suspect %v), before in %s", i+1, r.Device(), r.ChainSuspect(), chain)
		}
		if _, restored := r.Restored(); restored {
			t.Errorf("login %d: the store is marked restored", i+1)
		}
		fay.Close()
		if _, err := os.Stat(record); err != nil {
			t.Errorf("login %d: no seal record kept: %v", i+1, err)
		}
	}
}
