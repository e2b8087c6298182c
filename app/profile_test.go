package app

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestLoginRemovesOldTempFiles: opening a profile removes the temporary
// files that versions before internal/atomicfile left under fixed names
// (profile.json.tmp, lockout.json.tmp), and only those: only in the
// profile folder, nothing else of it. A profile without them opens too.
func TestLoginRemovesOldTempFiles(t *testing.T) {
	ctx := context.Background()
	env, _ := testEnv(t)
	root := t.TempDir()
	dir := filepath.Join(root, "admin")
	s, err := CreateClinic(ctx, env, NewClinic{Dir: dir, Clinic: "Test Clinic", Admin: "Ada Admin", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	tests := []struct {
		name  string
		files []string // put there before the login, relative to root
		gone  []string // of those, what the login removes
	}{
		{"none there", nil, nil},
		{"both", []string{"admin/profile.json.tmp", "admin/lockout.json.tmp"}, []string{"admin/profile.json.tmp", "admin/lockout.json.tmp"}},
		{"one", []string{"admin/lockout.json.tmp"}, []string{"admin/lockout.json.tmp"}},
		{"only those names, only in the profile folder", []string{
			"admin/profile.json.tmp", "profile.json.tmp", "admin/sub/lockout.json.tmp",
			"admin/.profile.json.tmp-123", "admin/keys.mhk.tmp", "admin/notes.tmp"}, []string{"admin/profile.json.tmp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range tt.files {
				path := filepath.Join(root, f)
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(`{"half":`), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Login(ctx, env, dir, "Ada Admin", []byte(testPass))
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			gone := map[string]bool{}
			for _, f := range tt.gone {
				gone[f] = true
			}
			for _, f := range tt.files {
				_, err := os.Stat(filepath.Join(root, f))
				switch {
				case gone[f] && !errors.Is(err, fs.ErrNotExist):
					t.Errorf("%s is still there (%v)", f, err)
				case !gone[f] && err != nil:
					t.Errorf("%s was removed: %v", f, err)
				}
			}
			for _, f := range tt.files { // the next case starts clean
				os.Remove(filepath.Join(root, f))
			}
		})
	}
}
