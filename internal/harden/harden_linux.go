//go:build linux

package harden

import (
	"fmt"
	"syscall"
)

// prctl options (linux/prctl.h).
const (
	prGetDumpable = 3
	prSetDumpable = 4
)

func process() error {
	// Files it creates are its user's alone: what staff save (exports, a
	// backup, a prescription's PDF) is never readable by other users of the
	// computer, not even for the moment before it is narrowed (session 15
	// review, sec-s15f P2).
	syscall.Umask(0o077)
	// A soft and hard limit of 0: no core file, and the process cannot raise
	// it again (nor can a child it starts).
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{}); err != nil {
		return fmt.Errorf("set RLIMIT_CORE to 0: %w", err)
	}
	// Not dumpable: no core even through a core_pattern pipe, no ptrace
	// attach and no /proc/PID/mem for other processes of the same user.
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetDumpable, 0, 0); errno != 0 {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", errno)
	}
	return nil
}

// dumpable reports prctl(PR_GET_DUMPABLE), for the tests.
func dumpable() (int, error) {
	r, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prGetDumpable, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}
