package server

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUnitFor: the systemd service counts for a server folder only when
// its unit runs that folder.
func TestUnitFor(t *testing.T) {
	units := t.TempDir()
	old := unitDirs
	unitDirs = []string{filepath.Join(units, "missing"), units}
	t.Cleanup(func() { unitDirs = old })
	dir := "/srv/medihaven 100%/server"
	if got := unitFor(dir); got != "" {
		t.Errorf("no unit installed: %q", got)
	}
	for _, c := range []struct {
		unitDir string
		want    string
	}{{dir, "medihaven-server"}, {"/srv/other", ""}} {
		text, err := Unit{Bin: "/usr/bin/medihaven", Dir: c.unitDir}.Text()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(units, UnitName), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := unitFor(dir); got != c.want {
			t.Errorf("a unit for %s: %q, want %q", c.unitDir, got, c.want)
		}
	}
}
