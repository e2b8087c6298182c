package crypto

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestGnuPGInterop: what leaves a workstation for a person is plain OpenPGP.
// GnuPG imports our public key and verifies our signatures, imports our
// locked private key with its passphrase, opens our messages (and our
// messages to a passphrase, at the identity's real S2K cost), and we open
// its messages.
func TestGnuPGInterop(t *testing.T) {
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg is not installed")
	}
	home := filepath.Join(t.TempDir(), "gnupg")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	env := isolatedEnv(t, "GNUPGHOME="+home)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	gpg := func(stdin []byte, args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(ctx, "gpg", append([]string{"--batch", "--no-tty", "--trust-model", "always"}, args...)...)
		cmd.Env = env
		cmd.Stdin = bytes.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, stderr.Bytes())
		}
		return stdout.Bytes()
	}
	t.Cleanup(func() {
		// Stop the gpg-agent that gpg started for this GNUPGHOME.
		cmd := exec.Command("gpgconf", "--kill", "all")
		cmd.Env = env
		_ = cmd.Run()
	})

	const pass = "gnupg interop passphrase"
	id, locked, err := NewIdentity("Dr. Gnu", []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	armored, err := id.Public().Armored()
	if err != nil {
		t.Fatal(err)
	}
	gpg([]byte(armored), "--import")

	dir := t.TempDir()
	data := []byte("prescription: amoxicillin 500 mg")
	sig, err := id.Sign(data)
	if err != nil {
		t.Fatal(err)
	}
	dataFile, sigFile := filepath.Join(dir, "data"), filepath.Join(dir, "data.sig")
	if err := os.WriteFile(dataFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sigFile, sig, 0o600); err != nil {
		t.Fatal(err)
	}
	gpg(nil, "--verify", sigFile, dataFile)

	loopback := []string{"--pinentry-mode", "loopback", "--passphrase", pass}
	gpg(locked, append(loopback, "--import")...)
	msg, err := id.Public().Encrypt(data, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := gpg(msg, append(loopback, "--decrypt")...); !bytes.Equal(got, data) {
		t.Fatalf("gpg decrypted %q, want %q", got, data)
	}

	// Chat messages to the same recipients share a session key
	// (sessions.go); each is still a whole message GnuPG opens and verifies.
	for i := range 2 {
		chat, err := EncryptToMany(data, id, id.Public())
		if err != nil {
			t.Fatal(err)
		}
		if got := gpg(chat, append(loopback, "--decrypt")...); !bytes.Equal(got, data) {
			t.Fatalf("chat message %d: gpg decrypted %q, want %q", i, got, data)
		}
	}

	// A backup or a patient's copy: a message to a passphrase, its S2K as
	// costly as the identity's real lock (sec-s10 finding 6).
	saved := newKeyKDF
	newKeyKDF = realKDF
	backup, err := EncryptWithPassphrase(data, []byte(pass), "backup.tar", time.Now())
	newKeyKDF = saved
	if err != nil {
		t.Fatal(err)
	}
	if got := gpg(backup, append(loopback, "--decrypt")...); !bytes.Equal(got, data) {
		t.Fatalf("gpg decrypted the message to a passphrase as %q, want %q", got, data)
	}
	if got, err := DecryptWithPassphrase(gpg(data, append(loopback, "--symmetric", "--cipher-algo", "AES256")...), []byte(pass)); err != nil ||
		!bytes.Equal(got, data) {
		t.Fatalf("DecryptWithPassphrase of GnuPG's message to a passphrase = (%q, %v)", got, err)
	}

	fromGnuPG := gpg(data, append(loopback, "--sign", "--encrypt", "--recipient", id.Fingerprint())...)
	got, err := id.Decrypt(fromGnuPG, id.Public())
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Decrypt of GnuPG's message = (%q, %v)", got, err)
	}
}
