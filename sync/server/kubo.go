package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/medihaven/medihaven/internal/atomicfile"
)

// FindIPFS finds the Kubo binary: $MEDIHAVEN_IPFS_BIN if set, else `ipfs`
// on PATH. The error wraps ErrNotInstalled.
func FindIPFS() (string, error) {
	if p := os.Getenv("MEDIHAVEN_IPFS_BIN"); p != "" {
		info, err := os.Stat(p)
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%w: MEDIHAVEN_IPFS_BIN=%s is not an executable Kubo (ipfs) binary", ErrNotInstalled, p)
		}
		return p, nil
	}
	p, err := exec.LookPath("ipfs")
	if err != nil {
		return "", fmt.Errorf("%w: Kubo (ipfs) is not on PATH; install Kubo or set MEDIHAVEN_IPFS_BIN (`make deps` builds one into .tools/ipfs)", ErrNotInstalled)
	}
	return p, nil
}

// kuboEnv is the environment of every Kubo command: its repository, no
// telemetry, a private network or nothing (LIBP2P_FORCE_PNET makes the
// daemon refuse to start without the swarm key), and no shared TCP
// listener, which private networks do not support.
func kuboEnv(repo string) []string {
	return append(os.Environ(), "LANG=en_US.UTF-8", "IPFS_PATH="+repo, "IPFS_TELEMETRY=off",
		"LIBP2P_FORCE_PNET=1", "LIBP2P_TCP_MUX=false")
}

// apiAuthName names the one API.Authorizations entry.
const apiAuthName = "medihaven"

// writeKubo creates the Kubo repository in tmp/kubo and configures it for
// c; with c.APIAuth it returns the API's bearer secret.
func writeKubo(ctx context.Context, bin, tmp string, c Config) (secret string, err error) {
	repo := filepath.Join(tmp, DirKubo)
	// The test profile: API, gateway and swarm on loopback, no bootstrap
	// peers, no mDNS, no AutoConf, no AutoTLS, no NAT port mapping; the
	// addresses are set below.
	cmd := exec.CommandContext(ctx, bin, "init", "--profile=test", "--empty-repo")
	cmd.Env = kuboEnv(repo)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("server: ipfs init: %w: %s", err, bytes.TrimSpace(out))
	}
	cfgFile := filepath.Join(repo, "config")
	b, err := os.ReadFile(cfgFile)
	if err != nil {
		return "", fmt.Errorf("server: read Kubo config: %w", err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		return "", fmt.Errorf("server: Kubo config: %w", err)
	}
	set := func(value any, path ...string) {
		m := cfg
		for _, k := range path[:len(path)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[path[len(path)-1]] = value
	}
	set(c.APIAddr(), "Addresses", "API")
	set([]string{}, "Addresses", "Gateway") // no HTTP gateway
	set([]string{c.SwarmAddr()}, "Addresses", "Swarm")
	set([]string{}, "Addresses", "Announce")
	set([]string{}, "Bootstrap")
	set("none", "Routing", "Type") // peers only by explicit swarm connect
	set(false, "Discovery", "MDNS", "Enabled")
	set(false, "AutoConf", "Enabled")
	set(false, "AutoTLS", "Enabled")
	set(true, "Swarm", "DisableNatPortMap")
	set(false, "Swarm", "RelayClient", "Enabled")
	set(false, "Swarm", "RelayService", "Enabled")
	// A private network works over TCP only; websocket would also want
	// the shared TCP listener private networks lack.
	set(map[string]any{"TCP": true, "Websocket": false, "QUIC": false, "WebTransport": false, "WebRTCDirect": false},
		"Swarm", "Transports", "Network")
	set(map[string]any{"Mode": "off"}, "Plugins", "Plugins", "telemetry", "Config")
	// Garbage collection (daemon --enable-gc) removes only unpinned
	// blocks, once the store passes 90% of StorageMax.
	set("1h", "Datastore", "GCPeriod")
	if c.APIAuth {
		raw := make([]byte, 32)
		_, _ = rand.Read(raw) // crypto/rand.Read never fails (Go 1.24+).
		secret = hex.EncodeToString(raw)
		set(map[string]any{apiAuthName: map[string]any{
			"AuthSecret":   "bearer:" + secret,
			"AllowedPaths": []string{"/api/v0"},
		}}, "API", "Authorizations")
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", fmt.Errorf("server: Kubo config: %w", err)
	}
	if err := atomicfile.Write(cfgFile, out, 0o600); err != nil {
		return "", err
	}
	if err := atomicfile.Write(filepath.Join(repo, swarmKeyFile), newSwarmKey(), 0o600); err != nil {
		return "", err
	}
	return secret, nil
}

// newSwarmKey is a fresh libp2p pre-shared key (PSK v1, base16): only
// nodes holding it can connect to the clinic's node.
func newSwarmKey() []byte {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails (Go 1.24+).
	return []byte("/key/swarm/psk/1.0.0/\n/base16/\n" + hex.EncodeToString(raw) + "\n")
}
