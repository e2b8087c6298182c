//go:build !linux

package server

import (
	"errors"
	"syscall"
)

func supported() error {
	return errors.New("server: running the clinic's servers is supported on Linux only")
}

func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(int, syscall.Signal) {}

func runnerOf(string) Runner { return RunByUnknown }

func holderOf(int) string { return "" }
