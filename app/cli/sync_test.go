package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/sync/netsync"
)

func TestSyncProblemWords(t *testing.T) {
	tests := []struct {
		st   netsync.Status
		want string
	}{
		{netsync.Status{}, ""},
		{netsync.Status{LastError: "xmpp: the chat server refused the account name or password"}, "The chat server refused the account name or password"},
		{netsync.Status{LastError: "app: ipfs: the clinic's IPFS node (Kubo) is not reachable"}, "The clinic's IPFS node (Kubo) is not reachable"},
		{netsync.Status{LastError: "netsync: x", Forked: "someone writes in this workstation's chain"}, "Someone writes in this workstation's chain"},
	}
	for _, tt := range tests {
		if got := SyncProblem(tt.st); got != tt.want {
			t.Errorf("SyncProblem(%+v) = %q, want %q", tt.st, got, tt.want)
		}
	}
}

// sync status says whether the servers answer, and why not in words;
// settings sets every server field a token carries; export ics names a
// wrong --detail without a package prefix.
func TestSettingsAndSyncStatusSayWhy(t *testing.T) {
	dir := t.TempDir()
	admin := filepath.Join(dir, "admin")
	if code, out, errs := run(t, admin, "", "init", "--clinic", "Hillside Clinic", "--admin", "Ada Lovelace"); code != 0 {
		t.Fatalf("init: %d %q %q", code, out, errs)
	}
	code, out, errs := run(t, admin, "", "sync", "status", "--wait", "0")
	if code != 0 || !strings.Contains(out, "Network: this workstation knows no clinic servers") {
		t.Fatalf("sync status without servers: %d %q %q", code, out, errs)
	}
	pin := strings.Repeat("ab", 32)
	code, out, errs = run(t, admin, "", "settings", "--ipfs", "127.0.0.1:1", "--xmpp", "127.0.0.1:1", "--domain", "clinic.test",
		"--desk", "127.0.0.1:2", "--xmpp-cert-pin", pin, "--open-registration", "yes")
	if code != 0 {
		t.Fatalf("settings: %d %q", code, errs)
	}
	for _, want := range []string{"Join desk:    127.0.0.1:2", "Pinned cert:  yes (SHA-256 abababababababab…)", "Open registration: yes", "Kubo secret:  (not set)"} {
		if !strings.Contains(out, want) {
			t.Errorf("settings output lacks %q: %q", want, out)
		}
	}
	for _, bad := range [][]string{{"--xmpp-cert-pin", "abc"}, {"--open-registration", "maybe"}, {"clinic-id"}} {
		if code, _, errs := run(t, admin, "", append([]string{"settings"}, bad...)...); code != 2 || strings.Contains(errs, "app:") {
			t.Errorf("settings %v: %d %q", bad, code, errs)
		}
	}
	code, out, errs = run(t, admin, "", "sync", "status", "--wait", "3s")
	if code != 0 || !strings.Contains(out, "Network: offline: ") || strings.Contains(out, "xmpp:") || strings.Contains(out, "app:") || strings.Contains(out, "dial tcp") {
		t.Errorf("sync status with servers that do not answer: %d %q %q", code, out, errs)
	}
	t.Log(out)
	code, _, errs = run(t, admin, "", "export", "ics", "--physician", "Ada", "--detail", "everything")
	if code != 2 || !strings.Contains(errs, `--detail "everything" is not one of busy, initials or full`) || strings.Contains(errs, "app:") {
		t.Errorf("export ics --detail everything: %d %q", code, errs)
	}
}
