package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/sync/synctest"
)

// Running the servers is tested in sync/server; here, the command lines.
func TestServerCommands(t *testing.T) {
	bin, err := synctest.IPFSBinary() // server init runs ipfs init
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("MEDIHAVEN_IPFS_BIN", bin)
	dir := filepath.Join(t.TempDir(), "server")
	code, out, errs := run(t, t.TempDir(), "", "server", "init", "--domain", "clinic.test", "--dir", dir,
		"--xmpp-port", "25222", "--api-port", "25001", "--swarm-port", "0")
	if code != 0 {
		t.Fatalf("server init: %d %q %q", code, out, errs)
	}
	pin, err := os.ReadFile(filepath.Join(dir, "xmpp-cert.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{strings.TrimSpace(string(pin)), "127.0.0.1:25222", "/ip4/127.0.0.1/tcp/25001", "kubo-api-secret", "invite"} {
		if !strings.Contains(out, want) {
			t.Errorf("server init did not print %s:\n%s", want, out)
		}
	}

	code, _, errs = run(t, t.TempDir(), "", "server", "init", "--domain", "clinic.test", "--dir", dir)
	if code != 1 || !strings.Contains(errs, "--force") || strings.Contains(errs, "server: ") {
		t.Errorf("server init over an existing one: %d %q", code, errs)
	}
	code, _, errs = run(t, t.TempDir(), "", "server", "init", "--domain", "clinic.test", "--dir", filepath.Join(t.TempDir(), "s"),
		"--listen", "192.168.1.10", "--open-registration")
	if code != 1 || !strings.Contains(errs, "loopback") {
		t.Errorf("open registration on the LAN: %d %q", code, errs)
	}
	for _, args := range [][]string{{"server"}, {"server", "start"}, {"server", "init"}} {
		if code, _, errs := run(t, t.TempDir(), "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage): %q", args, code, errs)
		}
	}

	out = t.TempDir()
	code, stdout, errs := run(t, t.TempDir(), "", "server", "install-systemd", "--dir", dir, "--out", out)
	if code != 0 || !strings.Contains(stdout, "systemctl enable --now medihaven-server") {
		t.Fatalf("install-systemd: %d %q %q", code, stdout, errs)
	}
	unit, err := os.ReadFile(filepath.Join(out, "medihaven-server.service"))
	if err != nil || !strings.Contains(string(unit), `server run --dir "`+dir+`"`) {
		t.Errorf("unit %q: %v", unit, err)
	}
}
