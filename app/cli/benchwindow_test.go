package cli

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/keyringtest"
)

// TestWindowKeystoreKinds: bench window says where the profiles keep
// their keys, each kind once, in the order met.
func TestWindowKeystoreKinds(t *testing.T) {
	const osKeyring, file = "the OS keyring (Secret Service)", "the passphrase-protected file (Argon2id, 64 MiB, at login)"
	for _, c := range []struct {
		name  string
		kinds []string
		want  string
	}{
		{"OS keyring", []string{app.KeystoreOS, app.KeystoreOS}, osKeyring},
		{"unset is the OS keyring", []string{""}, osKeyring},
		{"file", []string{app.KeystoreFile}, file},
		{"both", []string{app.KeystoreFile, app.KeystoreOS, app.KeystoreFile}, file + " and " + osKeyring},
	} {
		t.Run(c.name, func(t *testing.T) {
			var profiles []app.Profile
			for _, k := range c.kinds {
				profiles = append(profiles, app.Profile{Keystore: k})
			}
			if got := keystoreKinds(profiles); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestWindowKeyring: a secret a program stored in gnome-keyring (as
// `medihaven demo` stores a profile's keys) is served again by
// startKeyring from the keyrings folder it left, on a new session bus, and
// that folder is left as it was (bench window reads a copy).
func TestWindowKeyring(t *testing.T) {
	for _, tool := range []string{"dbus-daemon", "dbus-send", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run make deps", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pass := []byte("keyring passphrase")
	empty := t.TempDir()
	if err := os.Mkdir(filepath.Join(empty, "keyrings"), 0o700); err != nil {
		t.Fatal(err)
	}
	first := t.TempDir() // the demo's XDG_DATA_HOME: a fresh keyring, made by gnome-keyring
	inner := func(bus, step string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestWindowKeyringInner$", "-test.v")
		cmd.Env = keyringtest.IsolatedEnv(t, "DBUS_SESSION_BUS_ADDRESS="+bus, envKeyringStep+"="+step)
		keyringtest.RunInner(t, "TestWindowKeyringInner", cmd)
	}
	serve := func(src, dir, step string) {
		t.Helper()
		bus, stopBus, err := startBus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer stopBus()
		stop, err := startKeyring(ctx, bus, src, dir, pass)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		inner(bus, step)
	}
	serve(empty, first, "set")
	made := filepath.Join(first, "data")
	before, err := os.ReadFile(filepath.Join(made, "keyrings", "login.keyring"))
	if err != nil {
		t.Fatalf("gnome-keyring made no login keyring: %v", err)
	}
	serve(made, t.TempDir(), "get")
	after, err := os.ReadFile(filepath.Join(made, "keyrings", "login.keyring"))
	if err != nil || string(after) != string(before) {
		t.Errorf("the keyrings folder given changed (%v)", err)
	}
}

// envKeyringStep tells TestWindowKeyringInner what to do: "set" or "get".
const envKeyringStep = "MEDIHAVEN_TEST_KEYRING_STEP"

// TestWindowKeyringInner stores or reads a secret in the OS keyring of the
// session bus TestWindowKeyring gives it, as the app does.
func TestWindowKeyringInner(t *testing.T) {
	step := os.Getenv(envKeyringStep)
	if step == "" {
		t.Skip("run by TestWindowKeyring")
	}
	ks := crypto.NewOSKeystore("medihaven-bench-window-test")
	secret := "the profile's key"
	switch step {
	case "set":
		if err := ks.Set("identity", []byte(secret)); err != nil {
			t.Fatal(err)
		}
	case "get":
		got, err := ks.Get("identity")
		if errors.Is(err, crypto.ErrNotFound) || string(got) != secret {
			t.Fatalf("the copy of the keyring gave %q, %v", got, err)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
