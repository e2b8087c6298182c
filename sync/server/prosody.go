package server

import (
	"crypto/sha256"
	_ "embed" // the Prosody module
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/medihaven/medihaven/internal/atomicfile"
	"github.com/medihaven/medihaven/internal/prosodyconf"
)

// certValidity is how long the generated XMPP certificate is valid.
// Workstations pin it by its hash, so a new certificate means new pins on
// every workstation: it is made to last.
const certValidity = 10 * 365 * 24 * time.Hour

// inviteExpiry is how long an account invite made on the server stays
// valid (Prosody's invite_expiry), longer than a registration token's
// default 72 hours.
const inviteExpiry = 7 * 24 * time.Hour

// prosodyTemplate is the clinic's Prosody configuration. Every value comes
// from a checked Config or a path quoted with lua.
var prosodyTemplate = template.Must(template.New("prosody").Funcs(template.FuncMap{"lua": prosodyconf.LuaString}).Parse(`-- The clinic's Prosody (XMPP) server, written by ` + "`medihaven server init`" + ` on {{.Created}}.
-- ` + "`medihaven server run`" + ` starts it (prosody --config THIS -F). Do not edit it by
-- hand: run ` + "`medihaven server init --force`" + ` with other options instead.
{{- if .RunAsRoot}}

-- Written by root, and Prosody refuses to run as root without this. Run the
-- servers as an ordinary user where you can (install-systemd sets User=).
run_as_root = true
{{- end}}

daemonize = false
pidfile = {{lua .PidFile}}
data_path = {{lua .DataDir}}
certificates = {{lua .CertDir}}
-- To standard output, which the supervisor appends to logs/prosody.log.
log = { { levels = { min = "info" }, to = "console" } }

-- Network: client connections on {{.Listen}} only. No server-to-server
-- federation (nobody outside the clinic reaches its accounts or rooms), no
-- HTTP, no external components.
interfaces = { {{lua .Listen}} }
local_interfaces = { {{lua .Listen}} }
c2s_ports = { {{.Port}} }
c2s_direct_tls_ports = { }
s2s_ports = { }
s2s_direct_tls_ports = { }
http_ports = { }
https_ports = { }
component_ports = { }
modules_disabled = { "s2s" }

-- TLS is required before anything else; the certificate is self-signed and
-- workstations pin its SHA-256 ({{.CertPin}}).
ssl = { certificate = {{lua .CertFile}}, key = {{lua .KeyFile}} }
c2s_require_encryption = true
allow_unencrypted_plain_auth = false
authentication = "internal_hashed"
storage = "internal"

-- Accounts: {{if .OpenRegistration -}}
OPEN in-band registration, for a loopback demo only
-- (` + "`server init --open-registration`" + `, refused unless the server listens on loopback).
allow_registration = true
registration_invite_only = false
{{- else -}}
made only with an invite. In-band registration (XEP-0077) is on,
-- but mod_invites_register refuses it unless the client first presents a
-- valid invite token (urn:xmpp:pars:0 preauth). Invites come from
-- ` + "`medihaven server invite`" + ` (prosodyctl mod_invites generate) or from an
-- administrator account's ad-hoc command urn:xmpp:invite#create-account.
allow_registration = true
registration_invite_only = true
allow_user_invites = false
{{- end}}
invite_expiry = {{.InviteExpiry}}

-- Administrators: accounts with the role prosody:admin, which alone may
-- create account invites. The first administrator's account gets it from
-- ` + "`medihaven server invite --admin`" + `; mod_medihaven_admins (plugins/)
-- lets an administrator's workstation give it to, and take it from, the
-- other members' accounts as the clinic's directory says.
plugin_paths = { {{lua .PluginDir}} }

-- The server folder: mod_medihaven_admins reads the workstations' Kubo API
-- secret there for the accounts that ask (urn:medihaven:kubo#secret), and
-- asks ` + "`medihaven server run`" + ` there for a new one when it ends a revoked
-- member's account.
medihaven_server_dir = {{lua .ServerDir}}

modules_enabled = {
	"roster"; "saslauth"; "tls"; "disco"; "ping"; "posix";
	"register"; "invites"; "invites_adhoc"; "invites_register";
	"mam"; "smacks"; "carbons"; "offline"; "pep"; "limits";
	"medihaven_admins";
}

-- Message archives (MAM): kept {{.Retention}}, and at most {{.ItemLimit}} messages per
-- archive (the oldest go first). Bodies are ciphertext or sync ids.
archive_expires_after = {{lua .Retention}}
default_archive_policy = true
storage_archive_item_limit = {{.ItemLimit}}

-- Each client connection may send {{.Rate}} (Prosody's sample config has
-- 10 kB/s, which makes a 4 KiB chat message take ~0.8 s and slows a
-- workstation catching up). Announcements carry ids, never payloads, so
-- this is far above need while still capping one client.
limits = {
	c2s = { rate = {{lua .Rate}}; burst = {{lua .Burst}} };
}

VirtualHost {{lua .Domain}}

-- Rooms: sync@{{.MUC}} (sync announcements) and clinic@{{.MUC}}
-- (staff chat). Only this server's own accounts may create rooms, and no
-- other server can connect, so only accounts made with a clinic invite get
-- in. Occupants see each other's real JIDs: a workstation believes a sync
-- announcement only from the account of the device it names. Members-only
-- is off: in Prosody 0.12 the first workstation to join owns the room and
-- nobody affiliates the others, so they would be refused. Both rooms are
-- configured by mod_medihaven_rooms (plugins/), not by the workstation that
-- happens to create them: real JIDs, persistent, no password, clinic@
-- archived (staff chat is recovered from it), sync@ not (nobody reads it
-- back); no client may reconfigure, destroy, ban or kick in them.
Component {{lua .MUC}} "muc"
	modules_enabled = { "muc_mam", {{lua .RoomsModule}} }
	muc_tombstones = false
	restrict_room_creation = "local"
	muc_room_locking = false
	muc_room_default_public = false
	muc_room_default_public_jids = true
	muc_room_default_members_only = false
	muc_log_expires_after = {{lua .Retention}}
`))

// prosodyFiles are the paths of Prosody's files inside a server directory.
type prosodyFiles struct {
	dir, config, data, certs, certFile, keyFile, pidFile, plugins string
}

func prosodyPaths(dir, domain string) prosodyFiles {
	p := filepath.Join(dir, DirProsody)
	certs := filepath.Join(p, "certs")
	return prosodyFiles{
		dir:      p,
		config:   filepath.Join(p, prosodyConfig),
		data:     filepath.Join(p, "data"),
		certs:    certs,
		certFile: filepath.Join(certs, domain+".crt"),
		keyFile:  filepath.Join(certs, domain+".key"),
		pidFile:  filepath.Join(p, "prosody.pid"),
		plugins:  filepath.Join(p, "plugins"),
	}
}

// writeProsody writes Prosody's configuration, certificate and empty data
// folder into tmp, with the paths the files will have under final. It
// returns the certificate PEM and sets c.CertPin and c.CertUntil.
func writeProsody(tmp, final string, c *Config, now time.Time) ([]byte, error) {
	at := prosodyPaths(tmp, c.Domain)
	for _, d := range []string{at.dir, at.data, at.certs, at.plugins} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	certPEM, der, until, err := selfSigned(at.certFile, at.keyFile, now, c.Domain, c.MUC)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	c.CertPin, c.CertUntil = hex.EncodeToString(sum[:]), until
	text, err := prosodyConfigText(final, *c)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(at.config, []byte(text), 0o600); err != nil {
		return nil, err
	}
	if err := writePlugins(tmp, c.Domain); err != nil {
		return nil, err
	}
	return certPEM, nil
}

// prosodyConfigText is Prosody's configuration for the server folder dir
// and configuration c.
func prosodyConfigText(dir string, c Config) (string, error) {
	to := prosodyPaths(dir, c.Domain)
	var b strings.Builder
	err := prosodyTemplate.Execute(&b, map[string]any{
		"Created":          c.Created.Format(time.RFC3339),
		"RunAsRoot":        os.Geteuid() == 0,
		"PidFile":          to.pidFile,
		"DataDir":          to.data,
		"CertDir":          to.certs,
		"CertFile":         to.certFile,
		"KeyFile":          to.keyFile,
		"CertPin":          c.CertPin,
		"Listen":           c.Listen,
		"Port":             c.XMPPPort,
		"OpenRegistration": c.OpenRegistration,
		"InviteExpiry":     int(inviteExpiry / time.Second),
		"Retention":        ArchiveRetention,
		"ItemLimit":        archiveItemLimit,
		"Rate":             C2SRate,
		"Burst":            c2sBurst,
		"Domain":           c.Domain,
		"MUC":              c.MUC,
		"PluginDir":        to.plugins,
		"ServerDir":        dir,
		"RoomsModule":      prosodyconf.RoomsModule,
	})
	if err != nil {
		return "", fmt.Errorf("server: Prosody configuration: %w", err)
	}
	return b.String(), nil
}

// adminsModule is mod_medihaven_admins, Prosody's part of making every
// active administrator of the clinic, and nobody else, able to create
// account invites.
//
//go:embed mod_medihaven_admins.lua
var adminsModule []byte

// upgradeProsody brings a server folder an older Medihaven wrote up to
// date before a start: the clinic's own Prosody modules are written again,
// and a configuration that does not load them is written again from
// server.json (it holds every choice the configuration is made of).
func upgradeProsody(dir string, c Config) error {
	if err := writePlugins(dir, c.Domain); err != nil {
		return err
	}
	file := prosodyPaths(dir, c.Domain).config
	old, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if strings.Contains(string(old), `"medihaven_admins"`) && strings.Contains(string(old), `"`+prosodyconf.RoomsModule+`"`) &&
		strings.Contains(string(old), "medihaven_server_dir") {
		return nil
	}
	text, err := prosodyConfigText(dir, c)
	if err != nil {
		return err
	}
	return atomicfile.Write(file, []byte(text), 0o600)
}

// writePlugins writes the clinic's own Prosody modules into dir's plugin
// folder.
func writePlugins(dir, domain string) error {
	p := prosodyPaths(dir, domain).plugins
	if err := os.MkdirAll(p, 0o700); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	for name, src := range map[string][]byte{
		"mod_medihaven_admins.lua":                adminsModule,
		"mod_" + prosodyconf.RoomsModule + ".lua": prosodyconf.RoomsModuleSource,
	} {
		if err := atomicfile.Write(filepath.Join(p, name), src, 0o600); err != nil {
			return fmt.Errorf("server: write Prosody's module %s (check that the server folder is writable by this user and the disk is not full): %w", filepath.Join(p, name), err)
		}
	}
	return nil
}

// selfSigned writes a fresh self-signed certificate for names and its key
// as PEM files (the key readable by its owner only), and returns the
// certificate as PEM and DER and its expiry.
func selfSigned(certFile, keyFile string, now time.Time, names ...string) (certPEM, der []byte, until time.Time, err error) {
	until = now.Add(certValidity).UTC().Truncate(time.Second)
	c, err := prosodyconf.SelfSigned(now, until, "Medihaven clinic server", names...)
	if err != nil {
		return nil, nil, time.Time{}, fmt.Errorf("server: %w", err)
	}
	if err := atomicfile.Write(certFile, c.CertPEM, 0o600); err != nil {
		return nil, nil, time.Time{}, err
	}
	if err := atomicfile.Write(keyFile, c.KeyPEM, 0o600); err != nil {
		return nil, nil, time.Time{}, err
	}
	return c.CertPEM, c.DER, until, nil
}
