package app

// The session 15 review's H2–H5 (h-sec15c), ported onto main (session 21,
// h-mac21): someone who can write the profile folder while the
// workstation is closed, but holds neither the keyring's secrets nor the
// passphrase, puts back an older medihaven.db, an older sealed member
// row, deletes the meta rows that retire a key, or deletes index rows.
// The store's seal (a device-key MAC over what decides trust, whose
// generation the keyring also keeps: storeseal.go) notices each at the
// next login, says so, and rebuilds what it covers.

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/roles"
)

// rawStore opens s's closed store file as the folder writer would.
func rawStore(t *testing.T, s *Session) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(s.prof.Dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// copyStore copies s's closed store (and its log, if any) into dir.
func copyStore(t *testing.T, from, to string) {
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

// wantAltered checks that s's login noticed the store was altered and
// said so.
func wantAltered(t *testing.T, s *Session) {
	t.Helper()
	msg := s.StoreAltered()
	if msg == "" {
		t.Error("the login did not notice the altered store (StoreAltered is empty)")
		return
	}
	if !strings.Contains(msg, "altered or put back") {
		t.Errorf("the warning does not say plainly what happened: %q", msg)
	}
}

func relogin(t *testing.T, s *Session) {
	t.Helper()
	if err := s.Unlock(context.Background(), []byte(testPass)); err != nil {
		t.Fatal(err)
	}
}

// TestAttackS15cH2OlderStorePutBack: the physician's medihaven.db copied
// before a colleague's revocation and put back after it: the workstation
// forgot the revocation and the key rotation, and went on sealing with the
// key the revoked colleague holds.
func TestAttackS15cH2OlderStorePutBack(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	old := t.TempDir()
	c.phys.Close()
	copyStore(t, c.phys.prof.Dir, old)
	relogin(t, c.phys)
	oldKey, _ := rep(t, c.phys).Key(roles.Clinical)
	if err := c.admin.RevokeMember(ctx, c.phys2.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.admin, c.recep, c.phys)
	if _, err := c.phys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.admin, c.recep, c.phys)
	if k, _ := rep(t, c.phys).Key(roles.Clinical); k.Epoch == oldKey.Epoch {
		t.Fatal("setup: the clinical key was not rotated")
	}
	c.phys.Close()
	copyStore(t, old, c.phys.prof.Dir)
	relogin(t, c.phys)
	wantAltered(t, c.phys)
	if _, restored := rep(t, c.phys).Restored(); !restored {
		t.Error("the store put back is not marked restored: its writes would fork its chain and use forgotten keys before catching up")
	}
	if k, ok := rep(t, c.phys).Key(roles.Clinical); ok && k.Epoch == oldKey.Epoch {
		t.Errorf("before catching up, new clinical records would be sealed with epoch %d, which the revoked colleague holds", k.Epoch)
	}
	// Caught up again, the revocation is back.
	mustSync(t, c.admin, c.recep, c.phys)
	if m, _ := rep(t, c.phys).Member(c.phys2.Fingerprint()); m.Active() {
		t.Error("after catching up the revoked colleague is still active to the physician's workstation")
	}
}

// TestAttackS15cH3OlderMemberRow: the revoked colleague's sealed member
// row from before the revocation written back: she was active again to
// this workstation.
func TestAttackS15cH3OlderMemberRow(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	c.phys.Close()
	db := rawStore(t, c.phys)
	id := c.phys2.Fingerprint()
	older := copyEntityRow(t, db, id)
	db.Close()
	relogin(t, c.phys)
	if err := c.admin.RevokeMember(ctx, id); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.admin, c.recep, c.phys)
	if m, _ := rep(t, c.phys).Member(id); m.Active() {
		t.Fatal("setup: the revocation did not reach the physician")
	}
	c.phys.Close()
	db = rawStore(t, c.phys)
	putEntityRow(t, db, older)
	db.Close()
	relogin(t, c.phys)
	wantAltered(t, c.phys)
	if m, _ := rep(t, c.phys).Member(id); m.Active() {
		t.Error("the revoked colleague is active again to the physician's workstation (her older member row is believed)")
	}
}

// TestAttackS15cH4RetiredRowsDeleted: a key administrators recovered for
// the physician is kept retired and seen (never written with, never handed
// on); the two meta rows that say so deleted, the workstation sealed new
// records with it.
func TestAttackS15cH4RetiredRowsDeleted(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	r := rep(t, c.phys)
	k, ok := r.Key(roles.Clinical)
	if !ok {
		t.Fatal("setup: the physician holds no clinical key")
	}
	if err := r.KeepRecovered(ctx, c.phys.Fingerprint(), k); err != nil {
		t.Fatal(err)
	}
	if !r.Retired(roles.Clinical, k.Epoch) {
		t.Fatal("setup: the recovered key is not retired")
	}
	c.phys.Close()
	db := rawStore(t, c.phys)
	for _, m := range []string{"retired-epochs/clinical", "seen-epochs/clinical"} {
		if _, err := db.Exec(`DELETE FROM meta WHERE key = ?`, m); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	relogin(t, c.phys)
	wantAltered(t, c.phys)
	r = rep(t, c.phys)
	if !r.Retired(roles.Clinical, k.Epoch) {
		t.Error("the key administrators recovered is no longer retired: new records are sealed with it")
	}
	if got, ok := r.Key(roles.Clinical); ok && got.Epoch == k.Epoch {
		t.Errorf("new clinical records would be sealed with the recovered epoch %d", k.Epoch)
	}
	if r.Trusted(roles.Clinical, k.Epoch) {
		t.Error("the key administrators saw whole would be handed on to colleagues (no longer marked seen)")
	}
}

// TestAttackS15cH5IndexRowsDeleted: the index rows of a penicillin
// allergy deleted: the chart (and the prescription check, which reads it)
// no longer showed it.
func TestAttackS15cH5IndexRowsDeleted(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Allergic", Given: "Anna", Birth: "1970-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	a, err := clin(c.phys).AddAllergy(ctx, Allergy{Patient: p.ID, Substance: "penicillin", Reaction: "anaphylaxis", Severity: "severe"})
	if err != nil {
		t.Fatal(err)
	}
	c.phys.Close()
	db := rawStore(t, c.phys)
	res, err := db.Exec(`DELETE FROM postings WHERE entity = (SELECT n FROM entity_numbers WHERE id = ? OR id = unhex(?))`, a.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("setup: the allergy had no index rows")
	}
	db.Close()
	relogin(t, c.phys)
	c.phys.indexChecks.Wait() // the index is checked after login
	wantAltered(t, c.phys)
	chart, err := clin(c.phys).OpenChart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(chart.Allergies) != 1 {
		t.Errorf("the chart shows allergies %+v, want the penicillin allergy", chart.Allergies)
	}
	// Audited at the next upkeep: the administrator reads it.
	if _, err := c.phys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	log, err := c.admin.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range log {
		audited = audited || e.Record.Action == "store.altered" && e.Author == c.phys.Fingerprint()
	}
	if !audited {
		t.Error("the altered store is not in the clinic's audit log")
	}
}

// TestStoreSealHonestRestarts: a workstation closed and opened again,
// with writes between, is never taken for altered; nor is one whose
// keyring is behind the store (a crash or power cut after a commit,
// before the keyring's write) or lost the seal's generation.
func TestStoreSealHonestRestarts(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	for i := 0; i < 3; i++ {
		if _, err := c.recep.RegisterPatient(ctx, Patient{Family: "Honest", Given: "Henry", Birth: "1980-01-02"}); err != nil {
			t.Fatal(err)
		}
		mustSync(t, c.all()...)
		for _, s := range c.all() {
			s.Close()
			relogin(t, s)
			s.indexChecks.Wait()
			if msg := s.StoreAltered(); msg != "" {
				t.Fatalf("%s: an honest restart is taken for an altered store: %s", s.name, msg)
			}
		}
	}
	for _, behind := range [][]byte{[]byte("1"), nil} {
		s := c.phys
		s.Close()
		ks, err := c.env.OpenKeystore(s.prof, nil)
		if err != nil {
			t.Fatal(err)
		}
		if behind == nil {
			err = ks.Delete(nameStoreSeal)
		} else {
			err = ks.Set(nameStoreSeal, behind)
		}
		if err != nil {
			t.Fatal(err)
		}
		relogin(t, s)
		s.indexChecks.Wait()
		if msg := s.StoreAltered(); msg != "" {
			t.Fatalf("keyring at %q: an honest store is taken for altered: %s", behind, msg)
		}
	}
}
