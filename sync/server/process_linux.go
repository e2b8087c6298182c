package server

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

func supported() error { return nil }

// sysProcAttr puts a daemon in its own process group, so that stopping it
// reaches anything it forks, and has the kernel kill it if the supervisor
// dies without stopping it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to the process group led by pid.
func signalGroup(pid int, sig syscall.Signal) { _ = syscall.Kill(-pid, sig) }

// runnerOf says what runs the Prosody whose configuration is config: its
// parent is the supervisor, a `medihaven server run` (maybe the system
// service's) or a Medihaven window. /proc tells, for processes this user
// may see.
func runnerOf(config string) Runner {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return RunByUnknown
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !slices.Contains(procArgs(pid), config) {
			continue
		}
		parent := procParent(pid)
		if parent <= 1 {
			continue
		}
		if cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", parent)); err == nil && strings.Contains(string(cg), "/"+UnitName) {
			return RunByService
		}
		args := procArgs(parent)
		if i := slices.Index(args, "server"); i >= 0 && i+1 < len(args) && args[i+1] == "run" {
			return RunByCommand
		}
		if len(args) > 0 && filepath.Base(args[0]) == "medihaven" {
			return RunByWindow
		}
		return RunByUnknown
	}
	return RunByUnknown
}

// procArgs is a process's command line.
func procArgs(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// procParent is a process's parent's id (0 when unknown).
func procParent(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid …; comm may hold spaces and parentheses.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// holderOf names the program listening on TCP port port of this computer
// ("" when /proc does not tell, e.g. another user's process).
func holderOf(port int) string {
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, inode := range listening(string(b), port) {
			inodes["socket:["+inode+"]"] = true
		}
	}
	if len(inodes) == 0 {
		return ""
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return ""
	}
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); err == nil && inodes[link] {
				comm, _ := os.ReadFile(filepath.Join("/proc", p.Name(), "comm"))
				return strings.TrimSpace(string(comm))
			}
		}
	}
	return ""
}

// listening returns the inodes of the sockets a /proc/net/tcp table shows
// listening on port.
func listening(table string, port int) []string {
	var out []string
	for _, line := range strings.Split(table, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
			continue
		}
		i := strings.LastIndexByte(f[1], ':')
		if p, err := strconv.ParseUint(f[1][i+1:], 16, 16); err == nil && int(p) == port {
			out = append(out, f[9])
		}
	}
	return out
}
