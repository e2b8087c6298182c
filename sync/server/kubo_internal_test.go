package server

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestChooseSwarmPort: a swarm on "any free port" gets a concrete port
// before Kubo starts, never one of the clinic's other ports (CI saw the
// kernel hand Kubo's swarm the API's port, and the API then failed to
// bind), and a start while that port stays free writes nothing.
func TestChooseSwarmPort(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	busy := held.Addr().(*net.TCPAddr).Port
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	own := free.Addr().(*net.TCPAddr).Port
	free.Close() // a port of its own, free now
	for _, tc := range []struct {
		name, swarm string
		c           Config
		keep        bool
	}{
		{"any port", "/ip4/127.0.0.1/tcp/0", Config{Listen: "127.0.0.1", APIPort: 5001}, false},
		{"the API's port", "/ip4/127.0.0.1/tcp/5001", Config{Listen: "127.0.0.1", APIPort: 5001}, false},
		{"the desk's port", "/ip4/127.0.0.1/tcp/5290", Config{Listen: "127.0.0.1", APIPort: 5001, DeskPort: 5290}, false},
		{"a port another program holds", multiaddr("127.0.0.1", busy), Config{Listen: "127.0.0.1", APIPort: 5001}, false},
		{"another shape", `/ip4/127.0.0.1/udp/4001/quic-v1`, Config{Listen: "127.0.0.1", APIPort: 5001}, false},
		{"a free port of its own", multiaddr("127.0.0.1", own), Config{Listen: "127.0.0.1", APIPort: 5001}, true},
		{"a fixed swarm port", "/ip4/127.0.0.1/tcp/5001", Config{Listen: "127.0.0.1", APIPort: 5001, SwarmPort: 5001}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := t.TempDir()
			file := filepath.Join(repo, "config")
			before := `{"Addresses": {"API": "/ip4/127.0.0.1/tcp/5001", "Swarm": ["` + tc.swarm + `"]}, "Other": 1}`
			if err := os.WriteFile(file, []byte(before), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := chooseSwarmPort(repo, tc.c); err != nil {
				t.Fatal(err)
			}
			after, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if tc.keep {
				if string(after) != before {
					t.Errorf("the configuration was written again: %s", after)
				}
				return
			}
			cfg, err := readKuboConfig(file)
			if err != nil {
				t.Fatal(err)
			}
			p := swarmPort(cfg, "127.0.0.1")
			if p == 0 || p == tc.c.APIPort || p == tc.c.DeskPort || p == busy || cfg["Other"] == nil {
				t.Fatalf("swarm port %d (API %d, desk %d, busy %d): %s", p, tc.c.APIPort, tc.c.DeskPort, busy, after)
			}
			if err := chooseSwarmPort(repo, tc.c); err != nil {
				t.Fatal(err)
			}
			if again, _ := os.ReadFile(file); string(again) != string(after) {
				t.Errorf("a second start chose again: %s, then %s", after, again)
			}
		})
	}
}
