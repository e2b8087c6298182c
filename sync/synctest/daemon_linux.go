package synctest

import "syscall"

func supported() error { return nil }

// sysProcAttr puts the server in its own process group, so that stopping it
// reaches anything it forks, and has the kernel kill it if the test binary
// dies before its cleanup runs.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends SIGTERM, or SIGKILL when kill is set, to the process
// group led by pid.
func signalGroup(pid int, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-pid, sig)
}

// pauseGroup stops (SIGSTOP) or continues (SIGCONT) the process group led
// by pid.
func pauseGroup(pid int, pause bool) {
	sig := syscall.SIGCONT
	if pause {
		sig = syscall.SIGSTOP
	}
	_ = syscall.Kill(-pid, sig)
}
