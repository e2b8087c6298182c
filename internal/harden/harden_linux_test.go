//go:build linux

package harden

import (
	"syscall"
	"testing"
)

// TestProcessTurnsCoreDumpsOff: Attack (issue 13, finding 11): someone who
// crashes the process (SIGQUIT, SIGSEGV) or reads it as the same user gets
// no copy of its memory. After Process the core limit is 0, soft and hard,
// and the process is not dumpable. The test binary itself is hardened:
// harmless, it writes no core either way.
func TestProcessTurnsCoreDumpsOff(t *testing.T) {
	if err := Process(); err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur != 0 || lim.Max != 0 {
		t.Errorf("RLIMIT_CORE = %d/%d after Process, want 0/0", lim.Cur, lim.Max)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{Cur: 1 << 20, Max: 1 << 20}); err == nil && syscall.Geteuid() != 0 {
		t.Error("the core limit could be raised again")
	}
	d, err := dumpable()
	if err != nil {
		t.Fatal(err)
	}
	if d != 0 {
		t.Errorf("PR_GET_DUMPABLE = %d after Process, want 0", d)
	}
	if err := Process(); err != nil { // twice is fine
		t.Fatal(err)
	}
	if mask := syscall.Umask(0o077); mask != 0o077 {
		t.Errorf("umask = %#o after Process, want 077: files it creates are its user's alone", mask)
	}
}
