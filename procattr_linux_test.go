package main

import "syscall"

// childAttr puts a process a test starts in its own process group (stopping
// it reaches what it forks) and has the kernel kill it if the test binary
// dies first: a test that times out panics without running its cleanups,
// and its Xvfb, bus and window were left running (session 24).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// deathAttr has the kernel kill a process a test starts if the test binary
// dies first, leaving it in the test's process group.
func deathAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
