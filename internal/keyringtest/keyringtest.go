package keyringtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envInside is set in the child process Run starts.
const envInside = "MEDIHAVEN_TEST_SECRET_SERVICE"

// Inside reports whether this process is the child that Run started: the
// inner test skips itself otherwise.
func Inside() bool { return os.Getenv(envInside) == "1" }

// Run runs the test named inner of this test binary in a child process with
// a fresh, unlocked gnome-keyring, and fails t unless inner ran and passed.
func Run(t *testing.T, inner string) {
	t.Helper()
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run make deps", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dbus-run-session", "--", "sh", "-c",
		`echo -n PASS | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$0" -test.run="^$1\$" -test.v`,
		os.Args[0], inner)
	cmd.Env = IsolatedEnv(t, envInside+"=1")
	RunInner(t, inner, cmd)
}

// IsolatedEnv returns the environment for a child process whose home, XDG
// folders and runtime folder are all fresh, plus extra.
func IsolatedEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	root := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "HOME", name == "DBUS_SESSION_BUS_ADDRESS", name == "LANG",
			strings.HasPrefix(name, "XDG_"), strings.HasPrefix(name, "GNOME_KEYRING"):
			continue
		}
		env = append(env, kv)
	}
	for _, dir := range []string{"home", "config", "data", "cache", "runtime"} {
		if err := os.Mkdir(filepath.Join(root, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	env = append(env,
		"LANG=en_US.UTF-8",
		"HOME="+filepath.Join(root, "home"),
		"XDG_CONFIG_HOME="+filepath.Join(root, "config"),
		"XDG_DATA_HOME="+filepath.Join(root, "data"),
		"XDG_CACHE_HOME="+filepath.Join(root, "cache"),
		"XDG_RUNTIME_DIR="+filepath.Join(root, "runtime"),
	)
	return append(env, extra...)
}

// RunInner runs cmd (this test binary running the test named inner) and
// fails t unless inner ran and passed. The child writes to a file, not a
// pipe: a keyring daemon the session started may outlive it for a moment
// still holding its output, and a pipe would make Wait wait for that
// daemon (it did, past a WaitDelay of 10 s, on a loaded machine) where
// the test is over. What is left in the child's process group when it
// ends is stopped.
func RunInner(t *testing.T, inner string, cmd *exec.Cmd) {
	t.Helper()
	log, err := os.CreateTemp(t.TempDir(), "inner-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // ESRCH when nothing is left
	}
	out, rerr := os.ReadFile(log.Name())
	if rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: "+inner) {
		t.Fatalf("%s in a child process: %v\n%s", inner, err, out)
	}
}
