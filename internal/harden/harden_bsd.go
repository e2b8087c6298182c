//go:build darwin || freebsd || netbsd || openbsd

package harden

import (
	"fmt"
	"syscall"
)

// process sets the core limit to 0 (soft and hard): no core file is written.
func process() error {
	syscall.Umask(0o077) // files it creates are its user's alone (harden_linux.go)
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{}); err != nil {
		return fmt.Errorf("set RLIMIT_CORE to 0: %w", err)
	}
	return nil
}
