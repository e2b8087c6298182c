package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/roles"
)

// TestChangePassphrase changes a workstation's passphrase with each kind
// of keystore: the old passphrase is asked for and checked, then only the
// new one logs in, and the records written before still open.
func TestChangePassphrase(t *testing.T) {
	ctx := context.Background()
	envMem, _ := apptest.Env()
	for _, tc := range []struct {
		name     string
		env      app.Env
		keystore string
	}{
		{"keyring", envMem, ""},
		{"file", app.Env{}, app.KeystoreFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "admin")
			s, err := app.CreateClinic(ctx, tc.env, app.NewClinic{Dir: dir, Clinic: "Test Clinic", Admin: "Ada Admin",
				Passphrase: []byte("first passphrase"), Keystore: tc.keystore})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := s.IssueToken(ctx, roles.Receptionist, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []struct {
				old, next string
				want      error
			}{
				{"", "second passphrase", app.ErrInvalidInput},
				{"first passphrase", "short", app.ErrInvalidInput},
				{"first passphrase", "first passphrase", app.ErrInvalidInput},
				{"wrong passphrase", "second passphrase", app.ErrWrongPassphrase},
			} {
				if err := s.ChangePassphrase(ctx, []byte(bad.old), []byte(bad.next)); !errors.Is(err, bad.want) {
					t.Errorf("ChangePassphrase(%q, %q) = %v, want %v", bad.old, bad.next, err, bad.want)
				}
			}
			if err := s.ChangePassphrase(ctx, []byte("first passphrase"), []byte("second passphrase")); err != nil {
				t.Fatal(err)
			}
			s.Lock()
			if err := s.Unlock(ctx, []byte("first passphrase")); !errors.Is(err, app.ErrWrongPassphrase) {
				t.Errorf("the old passphrase unlocks: %v", err)
			}
			if err := s.Unlock(ctx, []byte("second passphrase")); err != nil {
				t.Fatalf("the new passphrase does not unlock: %v", err)
			}
			s.Close()
			s, err = app.Login(ctx, tc.env, dir, "", []byte("second passphrase"))
			if err != nil {
				t.Fatalf("login with the new passphrase: %v", err)
			}
			defer s.Close()
			toks, err := s.Tokens(ctx)
			if err != nil || len(toks) != 1 || toks[0].ID != tok.ID {
				t.Errorf("the token written before does not read back: %v %v", toks, err)
			}
			if _, err := app.Login(ctx, tc.env, dir, "", []byte("first passphrase")); !errors.Is(err, app.ErrWrongPassphrase) {
				t.Errorf("login with the old passphrase: %v", err)
			}
		})
	}
}

// TestNoteStaffName: the profile names its person after a login, for the
// login screen.
func TestNoteStaffName(t *testing.T) {
	c := apptest.NewClinic(t)
	if err := c.Phys.NoteStaffName(); err != nil {
		t.Fatal(err)
	}
	p, err := app.ReadProfile(c.Phys.Profile().Dir)
	if err != nil || p.Staff != "Dr Paul Physician" {
		t.Errorf("profile names %q (%v), want Dr Paul Physician", p.Staff, err)
	}
}
