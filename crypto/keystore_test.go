package crypto

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/medihaven/medihaven/internal/keyringtest"
)

// testKeystore checks the behaviour every Keystore shares.
func testKeystore(t *testing.T, ks Keystore) {
	t.Helper()
	secret := []byte{0, 1, 2, 0xff, 'x'}
	if _, err := ks.Get("identity"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Set: %v, want ErrNotFound", err)
	}
	if err := ks.Set("identity", secret); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err := ks.Get("identity")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Get = (%x, %v), want %x", got, err, secret)
	}
	got[0] = 'X' // the caller's copy
	if again, _ := ks.Get("identity"); !bytes.Equal(again, secret) {
		t.Fatal("changing a returned secret changed the stored one")
	}
	if err := ks.Set("identity", []byte("replaced")); err != nil {
		t.Fatalf("Set again: %v", err)
	}
	if got, err := ks.Get("identity"); err != nil || string(got) != "replaced" {
		t.Fatalf("Get after replace = (%q, %v)", got, err)
	}
	if err := ks.Set("device", bytes.Repeat([]byte{9}, 32)); err != nil {
		t.Fatalf("Set device: %v", err)
	}
	if err := ks.Delete("identity"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := ks.Get("identity"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := ks.Delete("identity"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete twice: %v, want ErrNotFound", err)
	}
	if got, err := ks.Get("device"); err != nil || len(got) != 32 {
		t.Fatalf("the other secret was lost: (%x, %v)", got, err)
	}
	if err := ks.Set("", []byte("x")); err == nil {
		t.Fatal("Set with an empty name accepted")
	}
}

func TestMemoryKeystore(t *testing.T) {
	testKeystore(t, NewMemoryKeystore())
}

func TestFileKeystore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "profile", "keys")
	pass := []byte("file passphrase")
	ks, err := OpenFileKeystore(path, pass)
	if err != nil {
		t.Fatal(err)
	}
	testKeystore(t, ks)

	secret := []byte("SECRET-DEVICE-KEY-0123456789abcd")
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Set("device-key-name", secret); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("replaced by rename", func(t *testing.T) {
		if os.SameFile(before, after) {
			t.Fatal("the file was rewritten in place, not replaced")
		}
		entries, err := os.ReadDir(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Name() != "keys" {
			t.Fatalf("left behind: %v", entries)
		}
	})
	t.Run("mode 0600", func(t *testing.T) {
		if mode := after.Mode().Perm(); mode != 0o600 {
			t.Fatalf("mode %o", mode)
		}
		if st, err := os.Stat(filepath.Dir(path)); err != nil || st.Mode().Perm() != 0o700 {
			t.Fatalf("folder: %v, %v", st.Mode(), err)
		}
	})
	t.Run("nothing in clear", func(t *testing.T) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, clear := range [][]byte{secret, secret[:8], []byte(base64.StdEncoding.EncodeToString(secret)), []byte("device-key-name"), pass} {
			if bytes.Contains(data, clear) {
				t.Fatalf("the file holds %q in clear", clear)
			}
		}
	})
	t.Run("reopen", func(t *testing.T) {
		again, err := OpenFileKeystore(path, pass)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := again.Get("device-key-name"); err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("Get = (%q, %v)", got, err)
		}
	})
	t.Run("wrong passphrase", func(t *testing.T) {
		if _, err := OpenFileKeystore(path, []byte("File passphrase")); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("got %v, want ErrWrongPassphrase", err)
		}
	})
	t.Run("empty passphrase", func(t *testing.T) {
		if _, err := OpenFileKeystore(path, nil); !errors.Is(err, ErrEmptyPassphrase) {
			t.Fatalf("got %v, want ErrEmptyPassphrase", err)
		}
	})
}

func TestFileKeystoreDamaged(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	ks, err := OpenFileKeystore(good, []byte("p"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Set("a", []byte("b")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	withParams := func(passes, memory uint32, lanes byte) []byte {
		b := bytes.Clone(data)
		b[4], b[5], b[6], b[7] = byte(passes>>24), byte(passes>>16), byte(passes>>8), byte(passes)
		b[8], b[9], b[10], b[11] = byte(memory>>24), byte(memory>>16), byte(memory>>8), byte(memory)
		b[12] = lanes
		return b
	}
	flipped := bytes.Clone(data)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"not a keystore", []byte("hello"), ErrMalformed},
		{"empty file", nil, ErrMalformed},
		{"header only", data[:fileHeaderSize], ErrWrongPassphrase},
		{"huge memory", withParams(3, 1<<31, 4), ErrMalformed},
		{"many passes", withParams(1000, 64<<10, 4), ErrMalformed},
		{"no lanes", withParams(3, 64<<10, 0), ErrMalformed},
		{"altered content", flipped, ErrWrongPassphrase},
		{"altered parameters", withParams(2, 64<<10, 4), ErrWrongPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenFileKeystore(path, []byte("p")); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestOSKeystoreMock(t *testing.T) {
	keyring.MockInit()
	testKeystore(t, NewOSKeystore("medihaven-test"))

	cause := errors.New("The name org.freedesktop.secrets was not provided by any .service files")
	keyring.MockInitWithError(cause)
	defer keyring.MockInit()
	checkNoSecretService(t, NewOSKeystore("medihaven-test"), cause)
}

// checkNoSecretService expects every call to fail with ErrNoSecretService,
// whose message is one plain sentence, keeping cause (if known) in its chain.
func checkNoSecretService(t *testing.T, ks Keystore, cause error) {
	t.Helper()
	_, getErr := ks.Get("identity")
	for name, err := range map[string]error{
		"Get":    getErr,
		"Set":    ks.Set("identity", []byte("x")),
		"Delete": ks.Delete("identity"),
	} {
		if !errors.Is(err, ErrNoSecretService) {
			t.Errorf("%s: %v, want ErrNoSecretService", name, err)
			continue
		}
		if err.Error() != ErrNoSecretService.Error() {
			t.Errorf("%s: message %q, want the plain sentence", name, err)
		}
		if cause != nil && !errors.Is(err, cause) {
			t.Errorf("%s: the keyring's own error is lost", name)
		}
	}
}

const innerNoService = "MEDIHAVEN_TEST_NO_SECRET_SERVICE"

// isolatedEnv returns the environment for a child process whose home,
// XDG folders and runtime folder are all fresh, plus extra.
func isolatedEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	return keyringtest.IsolatedEnv(t, extra...)
}

// TestOSKeystoreSecretService runs TestOSKeystoreInner against a real
// gnome-keyring, in its own D-Bus session with its own home folder.
func TestOSKeystoreSecretService(t *testing.T) {
	keyringtest.Run(t, "TestOSKeystoreInner")
}

// TestOSKeystoreInner is run by TestOSKeystoreSecretService only.
func TestOSKeystoreInner(t *testing.T) {
	if !keyringtest.Inside() {
		t.Skip("run by TestOSKeystoreSecretService in its own D-Bus session")
	}
	testKeystore(t, NewOSKeystore("medihaven-test"))
}

// TestOSKeystoreNoSecretService: with no session bus at all, every call
// fails at once with ErrNoSecretService.
func TestOSKeystoreNoSecretService(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestOSKeystoreNoServiceInner$", "-test.v")
	cmd.Env = isolatedEnv(t, innerNoService+"=1", "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent")
	keyringtest.RunInner(t, "TestOSKeystoreNoServiceInner", cmd)
}

// TestOSKeystoreNoServiceInner is run by TestOSKeystoreNoSecretService only.
func TestOSKeystoreNoServiceInner(t *testing.T) {
	if os.Getenv(innerNoService) != "1" {
		t.Skip("run by TestOSKeystoreNoSecretService with no session bus")
	}
	checkNoSecretService(t, NewOSKeystore("medihaven-test"), nil)
}
