package interop

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
)

// gnupg runs GnuPG in a home folder of its own (short path: the agent's
// socket lives there); the agent it starts is stopped when the test ends.
type gnupg struct {
	t   *testing.T
	env []string
}

func newGnuPG(t *testing.T) *gnupg {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		t.Skip("gpg is not installed (make deps installs gnupg)")
	}
	home, err := os.MkdirTemp("", "mhgpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	g := &gnupg{t: t, env: append(os.Environ(), "GNUPGHOME="+home, "HOME="+home, "LANG=C")}
	t.Cleanup(func() {
		cmd := exec.Command("gpgconf", "--kill", "all")
		cmd.Env = g.env
		_ = cmd.Run()
		os.RemoveAll(home)
	})
	return g
}

// run runs gpg with stdin and returns its output; it fails the test when
// gpg fails.
func (g *gnupg) run(stdin []byte, args ...string) []byte {
	g.t.Helper()
	out, err := g.try(stdin, args...)
	if err != nil {
		g.t.Fatalf("gpg %v: %v", args, err)
	}
	return out
}

func (g *gnupg) try(stdin []byte, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "gpg", append([]string{"--batch", "--no-tty"}, args...)...)
	cmd.Env = g.env
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, &gpgError{err: err, stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}

type gpgError struct {
	err    error
	stderr string
}

func (e *gpgError) Error() string { return e.err.Error() + "\n" + e.stderr }

// TestExportStaffKeys: GnuPG imports the exported keys and shows the
// directory's fingerprints; one member's key alone; bad input refused.
func TestExportStaffKeys(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	var b bytes.Buffer
	n, err := c.recep.ExportStaffKeys(ctx, &b, "")
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || strings.Count(b.String(), "-----BEGIN PGP PUBLIC KEY BLOCK-----") != 4 {
		t.Fatalf("%d keys exported:\n%s", n, b.String())
	}
	if strings.Contains(b.String(), "PRIVATE") {
		t.Fatal("a private key in the export")
	}
	var want []string
	for _, s := range c.All() {
		want = append(want, s.Fingerprint())
		if !strings.Contains(b.String(), s.StaffName()+" (") {
			t.Errorf("%s is not named", s.StaffName())
		}
	}
	sort.Strings(want)
	g := newGnuPG(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "staff.asc")
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	g.run(nil, "--import", file)
	if got := primaryFingerprints(g.run(nil, "--with-colons", "--list-keys")); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("gpg lists\n%v\nwant\n%v", got, want)
	}

	// One member, the fingerprint typed as GnuPG shows it.
	fp := c.phys.Fingerprint()
	b.Reset()
	if n, err := c.admin.ExportStaffKeys(ctx, &b, app.SpacedFingerprint(fp)); err != nil || n != 1 {
		t.Fatalf("one key: %d, %v", n, err)
	}
	g2 := newGnuPG(t)
	g2.run(b.Bytes(), "--import")
	if got := primaryFingerprints(g2.run(nil, "--with-colons", "--list-keys")); len(got) != 1 || got[0] != fp {
		t.Errorf("gpg lists %v, want %s", got, fp)
	}

	// A revoked member's key is not exported; nor is an unknown one.
	if err := c.admin.RevokeMember(ctx, c.phys2.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if n, err := c.admin.ExportStaffKeys(ctx, &b, ""); err != nil || n != 3 {
		t.Errorf("after a revocation: %d keys, %v", n, err)
	}
	for _, fp := range []string{c.phys2.Fingerprint(), "00ff"} {
		b.Reset()
		if _, err := c.admin.ExportStaffKeys(ctx, &b, fp); err == nil || b.Len() > 0 {
			t.Errorf("ExportStaffKeys(%s) = %v, wrote %d bytes", fp, err, b.Len())
		}
	}
}

// primaryFingerprints reads the primary keys' fingerprints from
// `gpg --with-colons --list-keys`, lower case, sorted.
func primaryFingerprints(colons []byte) []string {
	var out []string
	primary := false
	for _, line := range strings.Split(string(colons), "\n") {
		f := strings.Split(line, ":")
		switch {
		case f[0] == "pub":
			primary = true
		case f[0] == "sub":
			primary = false
		case f[0] == "fpr" && primary && len(f) > 9:
			out = append(out, strings.ToLower(f[9]))
			primary = false
		}
	}
	sort.Strings(out)
	return out
}
