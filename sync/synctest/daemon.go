package synctest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

const (
	// startTimeout bounds how long a server may take to become ready; both
	// are ready in well under a second on an idle machine.
	startTimeout = 60 * time.Second
	// stopGrace is how long a server gets to shut down after SIGTERM before
	// it is killed.
	stopGrace = 10 * time.Second
	// pollEvery is how often readiness is checked.
	pollEvery = 10 * time.Millisecond
)

// ErrNotInstalled is returned when a server binary the tests need is not
// installed.
var ErrNotInstalled = errors.New("synctest: server binary not installed (run `make deps`)")

// daemon is one server process running in its own process group with its
// output appended to a log file.
type daemon struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // set before exited is closed
}

// startDaemon starts bin with args, its output appended to logPath.
func startDaemon(logPath string, env []string, bin string, args ...string) (*daemon, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("synctest: open log: %w", err)
	}
	// The child keeps its own copy of the descriptor.
	defer out.Close()

	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("synctest: start %s: %w", filepath.Base(bin), err)
	}
	d := &daemon{cmd: cmd, exited: make(chan struct{})}
	go func() {
		d.err = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

// running reports an error if the process has already exited.
func (d *daemon) running() error {
	select {
	case <-d.exited:
		return fmt.Errorf("synctest: %s exited early: %v", filepath.Base(d.cmd.Path), d.err)
	default:
		return nil
	}
}

// stop asks the process group to end (SIGTERM), kills it after stopGrace,
// and waits until the process is gone.
func (d *daemon) stop() {
	pid := d.cmd.Process.Pid
	signalGroup(pid, false)
	select {
	case <-d.exited:
	case <-time.After(stopGrace):
		signalGroup(pid, true)
		<-d.exited
	}
}

// run runs a short command to completion, its output appended to logPath.
func run(logPath string, env []string, bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if f, ferr := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); ferr == nil {
		fmt.Fprintf(f, "$ %s %s\n%s", filepath.Base(bin), args[0], out)
		f.Close()
	}
	if err != nil {
		return fmt.Errorf("synctest: %s %s: %w: %s", filepath.Base(bin), args[0], err, bytes.TrimSpace(lastLines(out, 5)))
	}
	return nil
}

// environ is the process environment with overrides (later keys win in
// os/exec).
func environ(overrides ...string) []string {
	return append(os.Environ(), append([]string{"LANG=en_US.UTF-8"}, overrides...)...)
}

// UnusedAddr returns a loopback address, 127.0.0.1:port, where nothing
// listens, for tests of a server that cannot be reached.
func UnusedAddr(t testing.TB) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// FreePorts returns n distinct free loopback ports for a server's
// configuration: each listener stays open until all are chosen, so the
// kernel cannot hand one out twice (a configuration with two equal ports
// is refused; a port per call, closed at once, came back equal about once
// in a few hundred CI runs). Another process may still take one before the
// server binds it.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("synctest: find a free port: %v", err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// freePort finds a free TCP port on 127.0.0.1. Another process may take it
// before the caller binds it; callers retry once.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("synctest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the last lines of a log file for failure messages.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return "--- " + path + " (tail) ---\n" + string(lastLines(b, 30))
}

func lastLines(b []byte, n int) []byte {
	b = bytes.TrimRight(b, "\n")
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			if n--; n == 0 {
				return b[i+1:]
			}
		}
	}
	return b
}

// repoRoot walks up from the working directory to the folder holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("synctest: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: no go.mod above the working directory", ErrNotInstalled)
		}
		dir = parent
	}
}
