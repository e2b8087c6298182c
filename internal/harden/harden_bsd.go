//go:build darwin || freebsd || netbsd || openbsd

package harden

import (
	"fmt"
	"syscall"
)

// process sets the core limit to 0 (soft and hard): no core file is written.
func process() error {
	if err := syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{}); err != nil {
		return fmt.Errorf("set RLIMIT_CORE to 0: %w", err)
	}
	return nil
}
