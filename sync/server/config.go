package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/medihaven/medihaven/crypto"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrExists means Dir already holds a server configuration and Force
	// was not given.
	ErrExists = errors.New("server: a server configuration already exists there; pass --force to replace it (the old one is kept aside)")
	// ErrNoConfig means Dir holds no server configuration.
	ErrNoConfig = errors.New("server: no server configuration there; write one with `medihaven server init --domain DOMAIN`")
	// ErrInvalid means an option is not acceptable.
	ErrInvalid = errors.New("server: invalid option")
	// ErrNotInstalled means a server binary is missing.
	ErrNotInstalled = errors.New("server: a server program is not installed")
	// ErrPortBusy means a port the servers need is taken.
	ErrPortBusy = errors.New("server: a port the clinic's servers need is in use")
	// ErrRunning means the ports are busy because the clinic's own servers
	// of that folder already answer on them (run by `medihaven server
	// run`, the system service or another window): nothing to start.
	ErrRunning = fmt.Errorf("%w: the clinic's servers", ErrPortBusy)
)

// Files and folders inside a server directory.
const (
	FileConfig    = "server.json"
	FileCert      = "xmpp-cert.pem"    // the XMPP server's certificate (public)
	FileCertPin   = "xmpp-cert.sha256" // its SHA-256 pin, 64 hex digits and a newline
	FileAPISecret = "kubo-api-secret"  // the workstations' Kubo API bearer secret (keep private)
	DirProsody    = "prosody"
	DirKubo       = "kubo"
	DirLogs       = "logs"
	prosodyConfig = "prosody.cfg.lua"
	swarmKeyFile  = "swarm.key"
)

// FileKuboRotate is where the server's Prosody module asks for a new
// workstations' Kubo API secret, a line for each revoked member's account
// it ended (mod_medihaven_admins); `server run` makes one, and removes the
// file, at once while it runs, else at its next start.
const FileKuboRotate = "kubo-rotate-request"

// FileAPIServerSecret is the server's own Kubo API bearer secret, for the
// whole API (the probe, the operator); it never leaves the server folder.
const FileAPIServerSecret = "kubo-api-server-secret"

// Default ports.
const (
	DefaultXMPPPort  = 5222
	DefaultAPIPort   = 5001
	DefaultSwarmPort = 4001
	DefaultDeskPort  = crypto.DefaultDeskPort // the join desk (desk.go)
)

// Retention and limits written into the configuration, stated once.
const (
	// ArchiveRetention is how long Prosody keeps message archives (MAM) of
	// accounts and rooms. Each archive also holds at most
	// archiveItemLimit messages; the oldest are dropped beyond that.
	ArchiveRetention = "1y"
	archiveItemLimit = 10000
	// C2SRate is each client connection's rate limit. Prosody's sample 10
	// kB/s makes a 4 KiB chat message take ~0.8 s and slows a workstation
	// catching up on announcements; 1 MB/s is far above what a workstation
	// needs (announcements carry ids, never payloads) while still capping
	// what one client can make the server relay.
	C2SRate  = "1mb/s"
	c2sBurst = "2s"
)

// Options are what Init writes.
type Options struct {
	// Domain is the clinic's XMPP domain, e.g. clinic.example; the rooms
	// are on rooms.Domain. Required.
	Domain string
	// Dir is the server directory; "" means DefaultDir.
	Dir string
	// Listen is the IP address both servers listen on; "" means 127.0.0.1.
	// Use the server's LAN address for a clinic whose workstations are
	// other computers.
	Listen string
	// Ports: 0 means the default (5222, 5001, 4001, 5290). SwarmPort -1
	// lets Kubo pick a free port at each start (a node nobody connects
	// to); DeskPort -1 runs no join desk.
	XMPPPort, APIPort, SwarmPort, DeskPort int
	// NoAPIAuth leaves the Kubo API without a secret: loopback demo only.
	NoAPIAuth bool
	// OpenRegistration lets anyone create an XMPP account in-band:
	// loopback demo only.
	OpenRegistration bool
	// Force replaces an existing configuration; the old directory is
	// renamed to Dir.old-TIMESTAMP, never deleted.
	Force bool
	// IPFSBin is the Kubo binary for `ipfs init`; "" means FindIPFS.
	IPFSBin string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Config is a written server configuration (server.json).
type Config struct {
	Version   int    `json:"version"`
	Domain    string `json:"domain"`
	MUC       string `json:"muc"`
	Listen    string `json:"listen"`
	XMPPPort  int    `json:"xmpp_port"`
	APIPort   int    `json:"api_port"`
	SwarmPort int    `json:"swarm_port"` // 0: any free port
	DeskPort  int    `json:"desk_port"`  // the join desk; 0: none
	APIAuth   bool   `json:"api_auth"`
	// OpenRegistration: in-band registration without an invite (loopback demo).
	OpenRegistration bool `json:"open_registration"`
	// CertPin is the SHA-256 of the XMPP certificate (DER), 64 hex digits.
	CertPin   string    `json:"cert_pin"`
	CertUntil time.Time `json:"cert_until"`
	Created   time.Time `json:"created"`
}

const configVersion = 1

// XMPPAddr is Prosody's client address, host:port.
func (c Config) XMPPAddr() string {
	return net.JoinHostPort(c.Listen, strconv.Itoa(c.XMPPPort))
}

// DeskAddr is the join desk's address, host:port; "" when there is none.
func (c Config) DeskAddr() string {
	if c.DeskPort == 0 {
		return ""
	}
	return net.JoinHostPort(c.Listen, strconv.Itoa(c.DeskPort))
}

// APIAddr is Kubo's RPC API address as a multiaddr.
func (c Config) APIAddr() string { return multiaddr(c.Listen, c.APIPort) }

// SwarmAddr is Kubo's swarm address as a multiaddr (port 0: any).
func (c Config) SwarmAddr() string { return multiaddr(c.Listen, c.SwarmPort) }

func multiaddr(ip string, port int) string {
	proto := "ip4"
	if a := net.ParseIP(ip); a != nil && a.To4() == nil {
		proto = "ip6"
	}
	return fmt.Sprintf("/%s/%s/tcp/%d", proto, ip, port)
}

// Loopback reports whether the servers listen on loopback only.
func (c Config) Loopback() bool { return isLoopback(c.Listen) }

func isLoopback(ip string) bool {
	a := net.ParseIP(ip)
	return a != nil && a.IsLoopback()
}

// DefaultDir is the server directory when none is given: medihaven/server
// under the user's data folder ($XDG_DATA_HOME, else ~/.local/share).
func DefaultDir() (string, error) {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("server: no data folder (%w): pass --dir DIR", err)
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "medihaven", "server"), nil
}

// Load reads the configuration in dir.
func Load(dir string) (Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileConfig))
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("%w (%s)", ErrNoConfig, dir)
	}
	if err != nil {
		return Config{}, fmt.Errorf("server: read configuration: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("server: %s is damaged: %w", filepath.Join(dir, FileConfig), err)
	}
	if c.Version != configVersion {
		return Config{}, fmt.Errorf("server: %s has version %d; this Medihaven reads version %d", filepath.Join(dir, FileConfig), c.Version, configVersion)
	}
	if err := c.check(); err != nil {
		return Config{}, fmt.Errorf("server: %s: %w", filepath.Join(dir, FileConfig), err)
	}
	return c, nil
}

// APISecret reads the workstations' Kubo API bearer secret of the server
// in dir; "" when the API asks for none. It reaches only the commands
// workstations use (block/put, block/get, add, cat, version).
func APISecret(dir string) (string, error) { return readSecret(dir, FileAPISecret) }

// ServerAPISecret reads the server's own Kubo API bearer secret in dir,
// which reaches the whole API; "" when there is none (the API asks for
// none, or an older Medihaven wrote the folder and the server has not
// started since: Start makes it).
func ServerAPISecret(dir string) (string, error) { return readSecret(dir, FileAPIServerSecret) }

func readSecret(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("server: read the Kubo API secret %s: %w", filepath.Join(dir, name), err)
	}
	return strings.TrimSpace(string(b)), nil
}

// config turns options into a configuration (without the certificate).
func (o Options) config(now time.Time) (Config, error) {
	c := Config{
		Version:          configVersion,
		Domain:           strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o.Domain), ".")),
		Listen:           o.Listen,
		XMPPPort:         o.XMPPPort,
		APIPort:          o.APIPort,
		SwarmPort:        o.SwarmPort,
		DeskPort:         o.DeskPort,
		APIAuth:          !o.NoAPIAuth,
		OpenRegistration: o.OpenRegistration,
		Created:          now.UTC().Truncate(time.Second),
	}
	c.MUC = "rooms." + c.Domain
	if c.Listen == "" {
		c.Listen = "127.0.0.1"
	}
	if a := net.ParseIP(c.Listen); a != nil {
		c.Listen = a.String() // one spelling, e.g. for ::ffff:127.0.0.1
	}
	if c.XMPPPort == 0 {
		c.XMPPPort = DefaultXMPPPort
	}
	if c.APIPort == 0 {
		c.APIPort = DefaultAPIPort
	}
	switch c.SwarmPort {
	case 0:
		c.SwarmPort = DefaultSwarmPort
	case -1:
		c.SwarmPort = 0
	}
	switch c.DeskPort {
	case 0:
		c.DeskPort = DefaultDeskPort
	case -1:
		c.DeskPort = 0
	}
	return c, c.check()
}

func (c Config) check() error {
	if err := checkDomain(c.Domain); err != nil {
		return err
	}
	a := net.ParseIP(c.Listen)
	if a == nil || a.IsUnspecified() || a.IsMulticast() {
		return fmt.Errorf("%w: --listen %q must be one IP address of this computer (e.g. 127.0.0.1 or its LAN address), not a name or 0.0.0.0", ErrInvalid, c.Listen)
	}
	for _, p := range []struct {
		name string
		port int
		zero bool
	}{{"--xmpp-port", c.XMPPPort, false}, {"--api-port", c.APIPort, false}, {"--swarm-port", c.SwarmPort, true},
		{"--desk-port", c.DeskPort, true}} {
		if p.port < 0 || p.port > 65535 || (p.port == 0 && !p.zero) {
			return fmt.Errorf("%w: %s %d is not a TCP port", ErrInvalid, p.name, p.port)
		}
	}
	if c.XMPPPort == c.APIPort || c.XMPPPort == c.SwarmPort || c.APIPort == c.SwarmPort ||
		(c.DeskPort != 0 && (c.DeskPort == c.XMPPPort || c.DeskPort == c.APIPort || c.DeskPort == c.SwarmPort)) {
		return fmt.Errorf("%w: the XMPP, Kubo API, swarm and join desk ports must differ", ErrInvalid)
	}
	if !isLoopback(c.Listen) {
		if c.OpenRegistration {
			return fmt.Errorf("%w: --open-registration lets anyone who reaches the server make an account: it is for a loopback demo only (--listen 127.0.0.1)", ErrInvalid)
		}
		if !c.APIAuth {
			return fmt.Errorf("%w: --api-auth=false leaves the Kubo API open to anyone who reaches it: it is for a loopback demo only (--listen 127.0.0.1)", ErrInvalid)
		}
	}
	return nil
}

// checkDomain accepts a DNS name of at least two labels: letters, digits
// and hyphens, which is also safe inside the Lua configuration.
func checkDomain(d string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: --domain %q: %s", ErrInvalid, d, why)
	}
	if d == "" {
		return fmt.Errorf("%w: --domain is required (the clinic's XMPP domain, e.g. clinic.example)", ErrInvalid)
	}
	if len(d) > 200 {
		return bad("too long")
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return bad("needs a dot, e.g. clinic.example or clinic.localhost")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return bad("not a valid domain name")
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return bad("use letters, digits, hyphens and dots only")
			}
		}
	}
	if net.ParseIP(d) != nil {
		return bad("an XMPP domain is a name, not an IP address")
	}
	return nil
}
