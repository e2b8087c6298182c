package server

import "syscall"

func supported() error { return nil }

// sysProcAttr puts a daemon in its own process group, so that stopping it
// reaches anything it forks, and has the kernel kill it if the supervisor
// dies without stopping it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to the process group led by pid.
func signalGroup(pid int, sig syscall.Signal) { _ = syscall.Kill(-pid, sig) }
