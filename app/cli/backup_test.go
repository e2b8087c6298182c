package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/server"
	"github.com/medihaven/medihaven/sync/synctest"
)

// TestRealClinicCommands walks the headless path of issue 16 with the
// servers `medihaven server` writes, on loopback: init with --server-dir
// (the founder's account from the server's admin invite), token issue
// --short, enroll with the short code (the account from the token's
// invite), then backup and restore of the newcomer's workstation.
func TestRealClinicCommands(t *testing.T) {
	bin, err := synctest.IPFSBinary()
	if err != nil {
		t.Skip(err)
	}
	ports := synctest.FreePorts(t, 3)
	dir := t.TempDir()
	srvDir := filepath.Join(dir, "server")
	t.Setenv("MEDIHAVEN_IPFS_BIN", bin)
	code, out, errs := run(t, filepath.Join(dir, "unused"), "", "server", "init", "--domain", "clinic.test", "--dir", srvDir,
		"--xmpp-port", strconv.Itoa(ports[0]), "--api-port", strconv.Itoa(ports[1]), "--swarm-port", "0", "--desk-port", strconv.Itoa(ports[2]))
	if code != 0 {
		t.Fatalf("server init: %d %q %q", code, out, errs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sup, err := server.Start(ctx, srvDir, server.RunOptions{IPFSBin: bin})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Stop()

	admin := filepath.Join(dir, "admin")
	if code, out, errs := run(t, admin, "", "init", "--clinic", "Hillside Clinic", "--admin", "Ada Lovelace", "--server-dir", srvDir); code != 0 {
		t.Fatalf("init --server-dir: %d %q %q", code, out, errs)
	}
	code, short, errs := run(t, admin, "", "token", "issue", "--role", "physician", "--short")
	short = strings.TrimSpace(short)
	if code != 0 || !strings.HasPrefix(short, "MH2-") {
		t.Fatalf("token issue --short: %d %q %q", code, short, errs)
	}
	doc := filepath.Join(dir, "doc")
	code, out, errs = run(t, doc, "", "enroll", "--token", strings.ToLower(short), "--name", "Dr Who")
	if code != 0 || !strings.Contains(out, "comparing this code") {
		t.Fatalf("enroll with the short code: %d %q %q", code, out, errs)
	}
	// The same code again: the invite inside was used.
	code, _, errs = run(t, filepath.Join(dir, "doc2"), "", "enroll", "--token", short, "--name", "Dr Again")
	if code == 0 || !strings.Contains(errs, "used already") {
		t.Errorf("enroll with a used code: %d %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "doc2")); !os.IsNotExist(err) {
		t.Errorf("a failed enroll left its folder behind: %v", err)
	}

	file := filepath.Join(dir, "doc.backup")
	if code, out, errs := run(t, doc, "", "backup", "--out", file); code != 0 || !strings.Contains(out, file) {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	restored := filepath.Join(dir, "restored")
	if code, out, errs := run(t, restored, "", "restore", "--in", file); code != 0 || !strings.Contains(out, "every chain verified") {
		t.Fatalf("restore: %d %q %q", code, out, errs)
	}
	if code, out, _ := run(t, restored, "", "verify"); code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("verify the restored profile: %d %q", code, out)
	}
	if code, _, errs := run(t, filepath.Join(dir, "again"), "wrong passphrase\n", "restore", "--in", file); code == 0 ||
		!strings.Contains(errs, "passphrase") {
		t.Errorf("restore with a wrong passphrase: %d %q", code, errs)
	}
}
