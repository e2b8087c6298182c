//go:build !linux

package main

import "syscall"

// childAttr puts a process a test starts in its own process group.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// deathAttr: nothing outside Linux.
func deathAttr() *syscall.SysProcAttr { return nil }
