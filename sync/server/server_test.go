package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/server"
	"github.com/medihaven/medihaven/sync/synctest"
)

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// ipfsBin is the Kubo binary the tests use (make test sets
// MEDIHAVEN_IPFS_BIN; synctest also finds .tools/ipfs).
func ipfsBin(t testing.TB) string {
	t.Helper()
	bin, err := synctest.IPFSBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// initServer writes a configuration on free loopback ports into a fresh
// folder.
func initServer(t testing.TB, mod func(*server.Options)) server.Result {
	t.Helper()
	ports := synctest.FreePorts(t, 3)
	o := server.Options{
		Domain:    "clinic.test",
		Dir:       filepath.Join(t.TempDir(), "server"),
		XMPPPort:  ports[0],
		APIPort:   ports[1],
		SwarmPort: -1,
		DeskPort:  ports[2],
		IPFSBin:   ipfsBin(t),
	}
	if mod != nil {
		mod(&o)
	}
	res, err := server.Init(testContext(t), o)
	if err != nil {
		t.Fatal(err)
	}
	gatePins.Store(hostPort(t, res.Config.APIAddr()), res.Config.CertPin) // gateBase
	return res
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestInitWritesConfiguration(t *testing.T) {
	res := initServer(t, nil)
	dir, c := res.Dir, res.Config

	// The pin is the SHA-256 of the certificate, in the result, the
	// configuration and its own file.
	block, _ := pem.Decode([]byte(readFile(t, filepath.Join(dir, server.FileCert))))
	if block == nil {
		t.Fatal("xmpp-cert.pem holds no certificate")
	}
	sum := sha256.Sum256(block.Bytes)
	pin := hex.EncodeToString(sum[:])
	if c.CertPin != pin || strings.TrimSpace(readFile(t, filepath.Join(dir, server.FileCertPin))) != pin {
		t.Errorf("pin %q / file %q, want %q", c.CertPin, readFile(t, filepath.Join(dir, server.FileCertPin)), pin)
	}
	loaded, err := server.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.CertPin != pin || loaded.XMPPAddr() != c.XMPPAddr() || !loaded.APIAuth || loaded.OpenRegistration {
		t.Errorf("server.json = %+v", loaded)
	}

	cfg := readFile(t, filepath.Join(dir, "prosody", "prosody.cfg.lua"))
	for _, want := range []string{
		`registration_invite_only = true`,
		`"invites"; "invites_adhoc"; "invites_register";`,
		`c2s_require_encryption = true`,
		`interfaces = { "127.0.0.1" }`,
		`s2s_ports = { }`,
		`modules_disabled = { "s2s" }`,
		`archive_expires_after = "1y"`,
		`muc_log_expires_after = "1y"`,
		`rate = "1mb/s"`,
		`Component "rooms.clinic.test" "muc"`,
		`muc_room_default_public_jids = true`,
		`muc_room_locking = false`,
		`restrict_room_creation = "local"`,
		`data_path = "` + filepath.Join(dir, "prosody", "data") + `"`,
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("Prosody configuration lacks %s:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, ".init-") {
		t.Error("the Prosody configuration names the temporary folder")
	}

	var kubo struct {
		Addresses struct {
			API     string
			Gateway []string
			Swarm   []string
		}
		Bootstrap []string
		Routing   struct{ Type string }
		Discovery struct{ MDNS struct{ Enabled bool } }
		API       struct {
			Authorizations map[string]struct {
				AuthSecret   string
				AllowedPaths []string
			}
		}
		Plugins struct {
			Plugins map[string]struct{ Config map[string]string }
		}
		Swarm struct {
			Transports struct{ Network map[string]bool }
		}
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "kubo", "config"))), &kubo); err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(readFile(t, filepath.Join(dir, server.FileAPISecret)))
	if len(secret) != 64 {
		t.Errorf("API secret %q is not 64 hex digits", secret)
	}
	own := strings.TrimSpace(readFile(t, filepath.Join(dir, server.FileAPIServerSecret)))
	if len(own) != 64 || own == secret {
		t.Errorf("the server's own API secret %q is not 64 hex digits of its own", own)
	}
	auth, ownAuth := kubo.API.Authorizations["medihaven"], kubo.API.Authorizations["medihaven-server"]
	switch {
	case kubo.Addresses.API != "/ip4/127.0.0.1/tcp/0": // Kubo's own, behind the gate on c.APIAddr() (gate.go)
		t.Errorf("Addresses.API = %q, want Kubo's own on loopback", kubo.Addresses.API)
	case len(kubo.Addresses.Gateway) != 0:
		t.Errorf("gateway on %v, want none", kubo.Addresses.Gateway)
	case len(kubo.Addresses.Swarm) != 1 || kubo.Addresses.Swarm[0] != "/ip4/127.0.0.1/tcp/0":
		t.Errorf("Addresses.Swarm = %v", kubo.Addresses.Swarm)
	case len(kubo.Bootstrap) != 0 || kubo.Routing.Type != "none" || kubo.Discovery.MDNS.Enabled:
		t.Errorf("bootstrap %v, routing %q, mDNS %v", kubo.Bootstrap, kubo.Routing.Type, kubo.Discovery.MDNS.Enabled)
	case auth.AuthSecret != "bearer:"+secret || strings.Join(auth.AllowedPaths, " ") != "/api/v0/block/put /api/v0/block/get /api/v0/add /api/v0/cat",
		ownAuth.AuthSecret != "bearer:"+own || len(ownAuth.AllowedPaths) != 1 || ownAuth.AllowedPaths[0] != "/api/v0":
		t.Errorf("API.Authorizations = %+v", kubo.API.Authorizations)
	case kubo.Plugins.Plugins["telemetry"].Config["Mode"] != "off":
		t.Errorf("telemetry plugin config %+v", kubo.Plugins.Plugins)
	case kubo.Swarm.Transports.Network["Websocket"] || !kubo.Swarm.Transports.Network["TCP"]:
		t.Errorf("transports %v", kubo.Swarm.Transports.Network)
	}
	key := readFile(t, filepath.Join(dir, "kubo", "swarm.key"))
	if !regexp.MustCompile(`^/key/swarm/psk/1\.0\.0/\n/base16/\n[0-9a-f]{64}\n$`).MatchString(key) {
		t.Errorf("swarm.key = %q", key)
	}

	// Secrets are the owner's only; nothing is left beside the folder.
	for _, name := range []string{server.FileAPISecret, server.FileAPIServerSecret, "kubo/swarm.key", "prosody/certs/clinic.test.key", "server.json"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v", name, info.Mode().Perm())
		}
	}
	if info, _ := os.Stat(dir); info.Mode().Perm() != 0o700 {
		t.Errorf("%s has mode %v, want 0700", dir, info.Mode().Perm())
	}
	assertOnly(t, filepath.Dir(dir), "server")
}

// assertOnly checks that folder holds exactly names.
func assertOnly(t testing.TB, folder string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(folder)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %v, want %v", folder, got, names)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	first := initServer(t, nil)
	o := server.Options{Domain: "clinic.test", Dir: first.Dir, IPFSBin: ipfsBin(t), SwarmPort: -1}
	if _, err := server.Init(testContext(t), o); !errors.Is(err, server.ErrExists) {
		t.Fatalf("second Init = %v, want ErrExists", err)
	}
	if c, err := server.Load(first.Dir); err != nil || c.CertPin != first.Config.CertPin {
		t.Fatalf("the refused Init changed the configuration: %v", err)
	}

	o.Force = true
	second, err := server.Init(testContext(t), o)
	if err != nil {
		t.Fatal(err)
	}
	if second.Config.CertPin == first.Config.CertPin {
		t.Error("--force kept the old certificate")
	}
	if second.Moved == "" {
		t.Fatal("--force did not say where the old configuration went")
	}
	if old, err := server.Load(second.Moved); err != nil || old.CertPin != first.Config.CertPin {
		t.Errorf("the old configuration is not at %s: %v", second.Moved, err)
	}
}

func TestInitLeavesNothingOnError(t *testing.T) {
	parent := t.TempDir()
	failing := filepath.Join(parent, "bin", "ipfs")
	if err := os.MkdirAll(filepath.Dir(failing), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(failing, []byte("#!/bin/sh\necho 'init failed on purpose' >&2\nexit 3\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := server.Init(testContext(t), server.Options{Domain: "clinic.test", Dir: filepath.Join(parent, "server"), IPFSBin: failing})
	if err == nil || !strings.Contains(err.Error(), "init failed on purpose") {
		t.Fatalf("Init = %v, want the ipfs init failure", err)
	}
	assertOnly(t, parent, "bin")
}

func TestInitChecksOptions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "server")
	for name, o := range map[string]server.Options{
		"no domain":                     {},
		"one label":                     {Domain: "clinic"},
		"odd characters":                {Domain: `clinic".example`},
		"an IP as domain":               {Domain: "10.0.0.1"},
		"a name to listen on":           {Domain: "clinic.example", Listen: "localhost"},
		"every address":                 {Domain: "clinic.example", Listen: "0.0.0.0"},
		"open registration on the LAN":  {Domain: "clinic.example", Listen: "192.168.1.10", OpenRegistration: true},
		"API without secret on the LAN": {Domain: "clinic.example", Listen: "192.168.1.10", NoAPIAuth: true},
		"same ports":                    {Domain: "clinic.example", XMPPPort: 5001},
		"port out of range":             {Domain: "clinic.example", APIPort: 70000},
	} {
		o.Dir, o.IPFSBin = dir, "/nonexistent/ipfs"
		if _, err := server.Init(context.Background(), o); !errors.Is(err, server.ErrInvalid) {
			t.Errorf("%s: Init = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused Init left %s", dir)
	}
	// The loopback demo switches are allowed on loopback.
	res := initServer(t, func(o *server.Options) { o.OpenRegistration, o.NoAPIAuth = true, true })
	if !res.Config.OpenRegistration || res.Config.APIAuth {
		t.Errorf("demo configuration = %+v", res.Config)
	}
	if _, err := os.Stat(filepath.Join(res.Dir, server.FileAPISecret)); !errors.Is(err, os.ErrNotExist) {
		t.Error("an API without auth still got a secret file")
	}
	if cfg := readFile(t, filepath.Join(res.Dir, "prosody", "prosody.cfg.lua")); !strings.Contains(cfg, "registration_invite_only = false") {
		t.Error("open registration is not open")
	}
}

func TestSystemdUnit(t *testing.T) {
	u := server.Unit{Bin: "/usr/bin/medihaven", Dir: "/srv/medihaven 50%", User: "medihaven", IPFSBin: "/opt/kubo/ipfs"}
	out := t.TempDir()
	path, err := server.InstallSystemd(u, out, false)
	if err != nil {
		t.Fatal(err)
	}
	text := readFile(t, path)
	for _, want := range []string{
		`ExecStart="/usr/bin/medihaven" server run --dir "/srv/medihaven 50%%"`,
		"User=medihaven\n",
		`Environment="MEDIHAVEN_IPFS_BIN=/opt/kubo/ipfs"`,
		"KillMode=mixed\n",
		`ReadWritePaths="/srv/medihaven 50%%"`,
		"WantedBy=multi-user.target\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("unit lacks %s:\n%s", want, text)
		}
	}
	if _, err := server.InstallSystemd(u, out, false); err == nil {
		t.Error("InstallSystemd overwrote an existing unit")
	}
	if _, err := server.InstallSystemd(u, out, true); err != nil {
		t.Errorf("with force: %v", err)
	}
	if _, err := (server.Unit{Bin: "medihaven", Dir: "/srv/x"}).Text(); !errors.Is(err, server.ErrInvalid) {
		t.Errorf("a relative binary path: %v", err)
	}
}
