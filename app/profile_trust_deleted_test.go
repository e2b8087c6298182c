package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTrustRowDeletedIsRefused (sec-s15f T1): the
// sealed trust copy (session 15) is believed over profile.json, but a
// store without one seals whatever profile.json says (trustedProfile's
// first-login path). Someone who can write the profile folder, with
// neither the keyring nor the passphrase, deletes the one secrets row
// "profile/trust" from medihaven.db and adds her fingerprint to anchors:
// the next login seals and believes her anchor (an administrator to the
// replica), which is exactly what the sealed copy is documented to stop.
func TestTrustRowDeletedIsRefused(t *testing.T) {
	ctx := context.Background()
	env, _ := testEnv(t)
	dir := filepath.Join(t.TempDir(), "admin")
	s, err := CreateClinic(ctx, env, NewClinic{Dir: dir, Clinic: "Test Clinic", Admin: "Ada Admin", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	want := s.Profile().trust()
	s.Close()

	// The folder writer: one row deleted, one line of profile.json edited.
	raw, err := sql.Open("sqlite3", filepath.Join(dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM secrets WHERE name = ?`, secretTrust); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	file := filepath.Join(dir, profileFile)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	stranger := "0123456789abcdef0123456789abcdef01234567"
	p["anchors"] = append(slices.Clone(want.Anchors), stranger)
	if b, err = json.Marshal(p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}

	// The keystore knows a trust was sealed: the login is refused and
	// says what to do, rather than believing the file.
	s, err = Login(ctx, env, dir, "Ada Admin", []byte(testPass))
	if err == nil {
		defer s.Close()
		t.Fatalf("with the sealed row deleted the login went on, believing anchors %v", s.Profile().Anchors)
	}
	if !strings.Contains(err.Error(), "restore the profile from a backup") {
		t.Errorf("the refusal does not say what to do: %v", err)
	}
}
