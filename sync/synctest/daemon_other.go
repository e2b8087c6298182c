//go:build !linux

package synctest

import (
	"errors"
	"syscall"
)

func supported() error {
	return errors.New("synctest: starting Kubo and Prosody for tests is supported on Linux only")
}

func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(int, bool) {}

func pauseGroup(int, bool) {}
