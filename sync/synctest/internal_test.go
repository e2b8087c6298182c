package synctest

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// TestCleanup checks that servers are gone, and their folders removed,
// once the test that started them has ended.
func TestCleanup(t *testing.T) {
	var pids []int
	var dirs []string
	t.Run("servers", func(t *testing.T) {
		k := StartKubo(t)
		p := StartProsody(t)
		pids = append(pids, k.proc.cmd.Process.Pid, p.proc.cmd.Process.Pid)
		dirs = append(dirs, k.Dir, p.DataDir)
	})
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still exists after the test (kill 0: %v)", pid, err)
		}
	}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists after the test (%v)", dir, err)
		}
	}
}

func TestHostPort(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"/ip4/127.0.0.1/tcp/5001", "127.0.0.1:5001", true},
		{"/ip6/::1/tcp/5001", "[::1]:5001", true},
		{"/ip4/127.0.0.1/udp/5001", "", false},
		{"/dns/localhost/tcp/5001", "", false},
		{"127.0.0.1:5001", "", false},
		{"/ip4/127.0.0.1/tcp/5001/http", "", false},
		{"", "", false},
	} {
		got, err := hostPort(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("hostPort(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzHostPort(f *testing.F) {
	for _, seed := range []string{"/ip4/127.0.0.1/tcp/5001", "/ip6/::1/tcp/1", "/", "////"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = hostPort(s) // must not panic
	})
}
