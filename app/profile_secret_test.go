package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// secretOnDisk names the files under dir that hold secret in clear.
func secretOnDisk(t *testing.T, dir, secret string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(secret)) {
			found = append(found, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestKuboSecretIsSealed: the clinic's Kubo API secret never lies in
// clear in the workstation's folder; a logged-in session has it (the sync
// and the tokens need it), and a profile that an older Medihaven wrote
// with the secret in profile.json loses that copy at its next login.
func TestKuboSecretIsSealed(t *testing.T) {
	ctx := context.Background()
	env, _ := testEnv(t)
	dir := filepath.Join(t.TempDir(), "admin")
	s, err := CreateClinic(ctx, env, NewClinic{Dir: dir, Clinic: "Test Clinic", Admin: "Ada Admin", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "kubo-bearer-7f3c9a1e5b2d48c6a0e9f1d3b5c7a9e2"
	servers := Servers{IPFS: "/ip4/127.0.0.1/tcp/5001", IPFSSecret: secret, XMPP: "127.0.0.1:5222", Domain: "clinic.test"}
	if err := s.SetServers(servers); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := s.Profile().SyncConfig(); cfg.IPFSSecret != secret {
		t.Fatalf("the session's sync has secret %q", cfg.IPFSSecret)
	}
	s.Close()
	if files := secretOnDisk(t, dir, secret); len(files) > 0 {
		t.Fatalf("the Kubo API secret is in clear in %v", files)
	}
	login := func() {
		t.Helper()
		s, err := Login(ctx, env, dir, "Ada Admin", []byte(testPass))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if cfg, _ := s.Profile().SyncConfig(); cfg.IPFSSecret != secret {
			t.Fatalf("after login the sync has secret %q", cfg.IPFSSecret)
		}
	}
	login()

	// An older profile: the secret in clear in profile.json, none sealed.
	file := filepath.Join(dir, profileFile)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	const older = "kubo-bearer-older-profile-0123456789abcdef"
	p["servers"].(map[string]any)["ipfs_secret"] = older
	if b, err = json.Marshal(p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Login(ctx, env, dir, "Ada Admin", []byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := s.Profile().SyncConfig(); cfg.IPFSSecret != older {
		t.Fatalf("after migrating, the sync has secret %q", cfg.IPFSSecret)
	}
	s.Close()
	if files := secretOnDisk(t, dir, older); len(files) > 0 {
		t.Fatalf("after the login the older profile's secret is still in clear in %v", files)
	}
	s, err = Login(ctx, env, dir, "Ada Admin", []byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if cfg, _ := s.Profile().SyncConfig(); cfg.IPFSSecret != older {
		t.Fatalf("after the migration's login, the sync has secret %q", cfg.IPFSSecret)
	}
}
