package synctest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/medihaven/medihaven/internal/prosodyconf"
)

// Prosody is a real Prosody XMPP server on loopback with its own
// configuration, certificate and data in a temporary folder, started by
// StartProsody.
type Prosody struct {
	// Domain is the server's XMPP domain, "clinic.test".
	Domain string
	// MUC is the multi-user chat service's domain, "rooms.clinic.test".
	MUC string
	// Addr is the client-to-server (c2s) address, 127.0.0.1:port. It stays
	// the same across Stop and Start.
	Addr string
	// CertPEM is the server's self-signed certificate (valid for Domain and
	// MUC), for pinning; see TLSConfig.
	CertPEM []byte
	// DataDir holds accounts, offline messages and archives. It outlives
	// Stop and is removed when the test ends.
	DataDir string

	config string
	log    string
	proc   *daemon
}

// prosodyConfig is the server's configuration: loopback only, TLS
// required, in-band registration open (loopback tests only; a clinic's
// server uses invites), rate limits raised far above Prosody's sample 10
// kB/s so that timing reflects the code under test.
var prosodyConfig = template.Must(template.New("prosody").Funcs(template.FuncMap{"lua": prosodyconf.LuaString}).Parse(`
run_as_root = true
daemonize = false
pidfile = {{lua .PidFile}}
data_path = {{lua .DataDir}}
certificates = {{lua .CertDir}}
log = { { levels = { min = "info" }, to = "console" } }

interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { {{.Port}} }
c2s_direct_tls_ports = { }
s2s_ports = { }
http_ports = { }
https_ports = { }

ssl = { certificate = {{lua .CertFile}}, key = {{lua .KeyFile}} }
c2s_require_encryption = true
authentication = "internal_hashed"
storage = "internal"

allow_registration = true
registration_invite_only = false
min_seconds_between_registrations = 0

plugin_paths = { {{lua .PluginDir}} } -- mod_medihaven_rooms
modules_enabled = {
	"roster"; "saslauth"; "tls"; "disco"; "register"; "mam"; "smacks";
	"carbons"; "offline"; "pep"; "ping"; "invites"; "invites_adhoc"; "invites_register";
	"posix"; "limits";
}
limits = {
	c2s = { rate = "10mb/s"; burst = "2s" };
}

VirtualHost {{lua .Domain}}

Component {{lua .MUC}} "muc"
	-- The clinic's rooms (sync@, clinic@) are configured by the server's
	-- own module, as on a clinic's server (sync/server): real JIDs shown,
	-- clinic@ archived, sync@ not, and no client may change them. Other
	-- rooms (tests of sync/xmpp) take Prosody's defaults: archived, and
	-- occupants see each other's real JIDs (whois = anyone), so a
	-- workstation believes a sync announcement of a device only from that
	-- device's own account, whatever nickname it uses.
	modules_enabled = { "muc_mam", {{lua .RoomsModule}} }
	muc_tombstones = false
	muc_room_locking = false
	muc_room_default_public_jids = true
`))

// StartProsody writes a configuration and a self-signed certificate into a
// temporary folder, starts `prosody -F` on a free loopback port and waits
// until it accepts clients. The server is stopped when the test ends.
func StartProsody(t testing.TB) *Prosody {
	t.Helper()
	for _, name := range []string{"prosody", "prosodyctl"} {
		if _, err := exec.LookPath(name); err != nil {
			t.Fatalf("%v: %s: %v", ErrNotInstalled, name, err)
		}
	}
	dir := t.TempDir()
	p := &Prosody{
		Domain:  "clinic.test",
		MUC:     "rooms.clinic.test",
		DataDir: filepath.Join(dir, "data"),
		config:  filepath.Join(dir, "prosody.cfg.lua"),
		log:     filepath.Join(dir, "prosody.log"),
	}
	certDir := filepath.Join(dir, "certs")
	if err := os.Mkdir(p.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(certDir, 0o700); err != nil {
		t.Fatal(err)
	}
	plugins := filepath.Join(dir, "plugins")
	if err := os.Mkdir(plugins, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(plugins, "mod_"+prosodyconf.RoomsModule+".lua"), prosodyconf.RoomsModuleSource, 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(certDir, p.Domain+".crt"), filepath.Join(certDir, p.Domain+".key")
	var err error
	if p.CertPEM, err = writeSelfSigned(certFile, keyFile, p.Domain, p.MUC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)

	// The free port may be taken between finding and binding it: try twice.
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		p.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		var cfg strings.Builder
		err = prosodyConfig.Execute(&cfg, map[string]any{
			"PidFile": filepath.Join(dir, "prosody.pid"), "DataDir": p.DataDir, "CertDir": certDir, "CertFile": certFile, "KeyFile": keyFile,
			"Port": port, "Domain": p.Domain, "MUC": p.MUC,
			"PluginDir": plugins, "RoomsModule": prosodyconf.RoomsModule,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p.config, []byte(cfg.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		err = p.start()
		if err == nil {
			return p
		}
		if !errors.Is(err, errPortTaken) || attempt == 2 {
			t.Fatalf("synctest: Prosody did not start: %v\n%s", err, logTail(p.log))
		}
	}
}

// errPortTaken means another process bound the port first.
var errPortTaken = errors.New("synctest: c2s port already in use")

// start starts the server on the current configuration and waits until it
// listens.
func (p *Prosody) start() error {
	// The log is appended to across restarts; readiness looks only at what
	// this run writes.
	var offset int64
	if info, err := os.Stat(p.log); err == nil {
		offset = info.Size()
	}
	proc, err := startDaemon(p.log, environ(), "prosody", "--config", p.config, "-F")
	if err != nil {
		return err
	}
	if err := p.waitReady(proc, offset); err != nil {
		proc.stop()
		return err
	}
	p.proc = proc
	return nil
}

// waitReady waits until this run's log says c2s listens on p.Addr and the
// port accepts a connection.
func (p *Prosody) waitReady(proc *daemon, offset int64) error {
	_, port, _ := net.SplitHostPort(p.Addr)
	listening := "Activated service 'c2s' on [127.0.0.1]:" + port + "\n"
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if err := proc.running(); err != nil {
			return err
		}
		out := readFrom(p.log, offset)
		if strings.Contains(out, "Failed to open server port") {
			return errPortTaken
		}
		if strings.Contains(out, listening) {
			conn, err := net.DialTimeout("tcp", p.Addr, time.Second)
			if err == nil {
				return conn.Close()
			}
		}
		time.Sleep(pollEvery)
	}
	return fmt.Errorf("synctest: Prosody not listening on %s after %v", p.Addr, startTimeout)
}

// Stop stops the server and keeps its configuration and data.
func (p *Prosody) Stop(t testing.TB) {
	t.Helper()
	if p.proc == nil {
		t.Fatal("synctest: Prosody is not running")
	}
	p.stop()
}

func (p *Prosody) stop() {
	if p.proc != nil {
		p.proc.stop()
		p.proc = nil
	}
}

// Pause stops the server's process (SIGSTOP): it keeps its connections
// and reads, answers and stores nothing until Resume, or until Crash.
func (p *Prosody) Pause(t testing.TB) {
	t.Helper()
	if p.proc == nil {
		t.Fatal("synctest: Prosody is not running")
	}
	pauseGroup(p.proc.cmd.Process.Pid, true)
}

// Resume lets a paused server go on (SIGCONT).
func (p *Prosody) Resume(t testing.TB) {
	t.Helper()
	if p.proc == nil {
		t.Fatal("synctest: Prosody is not running")
	}
	pauseGroup(p.proc.cmd.Process.Pid, false)
}

// Crash kills the server at once (SIGKILL), paused or not, as a power cut
// would: what it had read but not processed is lost. Start starts it
// again on the same data.
func (p *Prosody) Crash(t testing.TB) {
	t.Helper()
	if p.proc == nil {
		t.Fatal("synctest: Prosody is not running")
	}
	signalGroup(p.proc.cmd.Process.Pid, true)
	<-p.proc.exited
	p.proc = nil
}

// Start starts the server again on the same configuration, data and port.
func (p *Prosody) Start(t testing.TB) {
	t.Helper()
	if p.proc != nil {
		t.Fatal("synctest: Prosody is already running")
	}
	if err := p.start(); err != nil {
		t.Fatalf("synctest: Prosody did not restart: %v\n%s", err, logTail(p.log))
	}
}

// UseRoomsModule rewrites the configuration so that the next Start runs
// with mod_medihaven_rooms or without it, as a clinic's server before it
// did (tests of what such a server left in its rooms).
func (p *Prosody) UseRoomsModule(t testing.TB, on bool) {
	t.Helper()
	b, err := os.ReadFile(p.config)
	if err != nil {
		t.Fatal(err)
	}
	// An older server also kept tombstones of destroyed rooms.
	with := `modules_enabled = { "muc_mam", ` + prosodyconf.LuaString(prosodyconf.RoomsModule) + " }\n\tmuc_tombstones = false"
	without := `modules_enabled = { "muc_mam" }`
	from, to := with, without
	if on {
		from, to = without, with
	}
	cfg := strings.Replace(string(b), from, to, 1)
	if !strings.Contains(cfg, to) {
		t.Fatalf("synctest: the MUC component's modules are not where UseRoomsModule looks")
	}
	if err := os.WriteFile(p.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Register creates the account user@Domain with password (prosodyctl
// writes it into the data folder; the running server sees it at once) and
// returns the bare JID.
func (p *Prosody) Register(t testing.TB, user, password string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "prosodyctl", "--config", p.config, "register", user, p.Domain, password)
	cmd.Env = environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("synctest: register %s@%s: %v: %s", user, p.Domain, err, lastLines(out, 5))
	}
	return user + "@" + p.Domain
}

// TLSConfig returns a client TLS configuration that trusts only this
// server's certificate (pinning) and expects the name Domain.
func (p *Prosody) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.CertPEM)
	return &tls.Config{RootCAs: pool, ServerName: p.Domain, MinVersion: tls.VersionTLS12}
}

// writeSelfSigned writes a fresh self-signed certificate for names and its
// key as PEM files, and returns the certificate PEM.
func writeSelfSigned(certFile, keyFile string, names ...string) ([]byte, error) {
	now := time.Now()
	c, err := prosodyconf.SelfSigned(now, now.Add(7*24*time.Hour), "", names...)
	if err != nil {
		return nil, fmt.Errorf("synctest: %w", err)
	}
	if err := os.WriteFile(certFile, c.CertPEM, 0o600); err != nil {
		return nil, fmt.Errorf("synctest: write certificate: %w", err)
	}
	if err := os.WriteFile(keyFile, c.KeyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("synctest: write certificate key: %w", err)
	}
	return c.CertPEM, nil
}

// readFrom returns the file's content after offset.
func readFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}
