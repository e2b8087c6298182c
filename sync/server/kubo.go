package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

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

// The API.Authorizations entries. Kubo matches AllowedPaths as prefixes
// of the request's path, and answers /api/v0/version to every secret.
const (
	// apiAuthName is the workstations' entry (FileAPISecret): every
	// member's workstation holds that secret, and a revoked member keeps
	// it, so it reaches only workstationPaths.
	apiAuthName = "medihaven"
	// apiAuthServerName is the server's own entry (FileAPIServerSecret),
	// for the whole API: the server's probe and its operator. The secret
	// never leaves the server folder.
	apiAuthServerName = "medihaven-server"
)

// workstationPaths are the RPC commands a workstation uses (sync/ipfs):
// block/put and add store (pinned), block/get and cat fetch; Ping is
// version. Nothing else: no pin/rm, repo/gc, shutdown, config, key or id.
// No other Kubo command's path starts with one of these.
var workstationPaths = []string{"/api/v0/block/put", "/api/v0/block/get", "/api/v0/add", "/api/v0/cat"}

// writeKubo creates the Kubo repository in tmp/kubo and configures it for
// c; with c.APIAuth it returns the workstations' and the server's own API
// secrets.
func writeKubo(ctx context.Context, bin, tmp string, c Config) (secret, own string, err error) {
	repo := filepath.Join(tmp, DirKubo)
	// The test profile: API, gateway and swarm on loopback, no bootstrap
	// peers, no mDNS, no AutoConf, no AutoTLS, no NAT port mapping; the
	// addresses are set below.
	cmd := exec.CommandContext(ctx, bin, "init", "--profile=test", "--empty-repo")
	cmd.Env = kuboEnv(repo)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("server: ipfs init: %w: %s", err, bytes.TrimSpace(out))
	}
	cfgFile := filepath.Join(repo, "config")
	cfg, err := readKuboConfig(cfgFile)
	if err != nil {
		return "", "", err
	}
	set := func(value any, path ...string) { setPath(cfg, value, path...) }
	set(kuboOwnAPI, "Addresses", "API")     // behind the API gate (gate.go)
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
		secret, own = newSecret(), newSecret()
		authorizeAPI(cfg, secret, own)
	}
	if err := writeKuboConfig(cfgFile, cfg); err != nil {
		return "", "", err
	}
	if err := atomicfile.Write(filepath.Join(repo, swarmKeyFile), newSwarmKey(), 0o600); err != nil {
		return "", "", err
	}
	return secret, own, nil
}

// authorizeAPI sets the workstations' and the server's own entries of
// cfg's API.Authorizations; an entry an operator added stays.
func authorizeAPI(cfg map[string]any, secret, own string) {
	setPath(cfg, map[string]any{"AuthSecret": "bearer:" + secret, "AllowedPaths": workstationPaths},
		"API", "Authorizations", apiAuthName)
	setPath(cfg, map[string]any{"AuthSecret": "bearer:" + own, "AllowedPaths": []string{"/api/v0"}},
		"API", "Authorizations", apiAuthServerName)
}

// upgradeKubo brings the Kubo configuration of a server folder an older
// Medihaven wrote up to date before a start (Kubo reads it only when it
// starts): an older one let the workstations' secret reach the whole API
// ("/api/v0") and had no secret of the server's own. The server's secret
// is made once and kept in FileAPIServerSecret; the configuration is
// written again only when its authorizations differ.
func upgradeKubo(dir string, c Config) error {
	if !c.APIAuth {
		return nil
	}
	secret, err := APISecret(dir)
	if err != nil {
		return err
	}
	if secret == "" {
		return fmt.Errorf("server: %s is missing: the Kubo API needs it; write a new configuration with `server init --force`", filepath.Join(dir, FileAPISecret))
	}
	own, err := ServerAPISecret(dir)
	if err != nil {
		return err
	}
	if own == "" {
		own = newSecret()
		if err := atomicfile.Write(filepath.Join(dir, FileAPIServerSecret), []byte(own+"\n"), 0o600); err != nil {
			return fmt.Errorf("server: write the server's own Kubo API secret (check that the server folder is writable by this user and the disk is not full): %w", err)
		}
	}
	cfgFile := filepath.Join(dir, DirKubo, "config")
	cfg, err := readKuboConfig(cfgFile)
	if err != nil {
		return err
	}
	before, err := json.Marshal(cfg["API"])
	if err != nil {
		return fmt.Errorf("server: Kubo config: %w", err)
	}
	authorizeAPI(cfg, secret, own)
	after, err := json.Marshal(cfg["API"])
	if err != nil {
		return fmt.Errorf("server: Kubo config: %w", err)
	}
	if bytes.Equal(before, after) {
		return nil
	}
	return writeKuboConfig(cfgFile, cfg)
}

// kuboOwnAPI is Kubo's own API address: loopback, a port the kernel
// chooses at each start (Kubo writes it in the repository's api file);
// the clinic's API address is the supervisor's gate in front of it.
const kuboOwnAPI = "/ip4/127.0.0.1/tcp/0"

// kuboBehindGate puts Kubo's own API on kuboOwnAPI before a start: a
// configuration written before session 21 has it on the clinic's API
// address, where the gate now listens.
func kuboBehindGate(repo string) error {
	cfgFile := filepath.Join(repo, "config")
	cfg, err := readKuboConfig(cfgFile)
	if err != nil {
		return err
	}
	if a, _ := cfg["Addresses"].(map[string]any); a != nil && a["API"] == kuboOwnAPI {
		return nil
	}
	setPath(cfg, kuboOwnAPI, "Addresses", "API")
	return writeKuboConfig(cfgFile, cfg)
}

// kuboAPIFile reads the address Kubo's running API listens on from the
// repository's api file, as host:port; "" while there is none.
func kuboAPIFile(repo string) string {
	b, err := os.ReadFile(filepath.Join(repo, "api"))
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.TrimSpace(string(b)), "/")
	if len(parts) != 5 || parts[3] != "tcp" || (parts[1] != "ip4" && parts[1] != "ip6") {
		return ""
	}
	return net.JoinHostPort(parts[2], parts[4])
}

// chooseSwarmPort gives a configuration whose swarm takes any free port
// (Config.SwarmPort 0) a concrete one before Kubo starts, distinct from
// c's other ports, and keeps it while it stays free (a start then writes
// nothing). Kubo binds its swarm before its API: on port 0 the kernel may
// hand the swarm the API's port, still free then, and the API then cannot
// bind it ("address already in use", seen in CI when the API port itself
// came from the kernel's free range). A fixed swarm port is left alone.
func chooseSwarmPort(repo string, c Config) error {
	if c.SwarmPort != 0 {
		return nil
	}
	cfgFile := filepath.Join(repo, "config")
	cfg, err := readKuboConfig(cfgFile)
	if err != nil {
		return err
	}
	taken := map[int]bool{0: true, c.XMPPPort: true, c.APIPort: true, c.DeskPort: true}
	if p := swarmPort(cfg, c.Listen); !taken[p] && portFree(c.Listen, p) {
		return nil
	}
	port := 0
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	// Each listener stays open until one port is chosen, so the kernel
	// hands out a new port each time.
	for range 16 {
		l, err := net.Listen("tcp", net.JoinHostPort(c.Listen, "0"))
		if err != nil {
			return fmt.Errorf("server: find a free port for Kubo's swarm on %s: %w", c.Listen, err)
		}
		held = append(held, l)
		if p := l.Addr().(*net.TCPAddr).Port; !taken[p] {
			port = p
			break
		}
	}
	if port == 0 {
		return fmt.Errorf("server: no free port for Kubo's swarm on %s apart from the clinic's own; choose one with `server init --force --swarm-port PORT`", c.Listen)
	}
	setPath(cfg, []string{multiaddr(c.Listen, port)}, "Addresses", "Swarm")
	return writeKuboConfig(cfgFile, cfg)
}

// swarmPort is the port of the one swarm address cfg holds on listen, 0
// when it holds another shape.
func swarmPort(cfg map[string]any, listen string) int {
	a, _ := cfg["Addresses"].(map[string]any)
	addrs, _ := a["Swarm"].([]any)
	if len(addrs) != 1 {
		return 0
	}
	addr, _ := addrs[0].(string)
	prefix := strings.TrimSuffix(multiaddr(listen, 0), "0")
	p, err := strconv.Atoi(strings.TrimPrefix(addr, prefix))
	if !strings.HasPrefix(addr, prefix) || err != nil || p <= 0 || p >= 1<<16 {
		return 0
	}
	return p
}

// portFree tells whether this computer can listen on host:port now.
func portFree(host string, port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// readKuboConfig reads a Kubo configuration as JSON; numbers stay as
// written.
func readKuboConfig(file string) (map[string]any, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("server: read Kubo config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var cfg map[string]any
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("server: Kubo config %s is damaged: %w", file, err)
	}
	return cfg, nil
}

func writeKuboConfig(file string, cfg map[string]any) error {
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("server: Kubo config: %w", err)
	}
	return atomicfile.Write(file, out, 0o600)
}

// setPath sets cfg's value at path, making the objects on the way.
func setPath(cfg map[string]any, value any, path ...string) {
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

// newSecret is 32 random bytes as 64 hex digits.
func newSecret() string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(raw)
}

// newSwarmKey is a fresh libp2p pre-shared key (PSK v1, base16): only
// nodes holding it can connect to the clinic's node.
func newSwarmKey() []byte {
	return []byte("/key/swarm/psk/1.0.0/\n/base16/\n" + newSecret() + "\n")
}
