package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/medihaven/medihaven/internal/atomicfile"
)

// UnitName is the file name InstallSystemd writes.
const UnitName = "medihaven-server.service"

// Unit is what a systemd unit for `medihaven server run` needs.
type Unit struct {
	// Bin is the medihaven executable (absolute).
	Bin string
	// Dir is the server directory (absolute).
	Dir string
	// User runs the servers; "" runs them as root (Prosody then needs
	// run_as_root, which `server init` as root writes).
	User string
	// IPFSBin is the Kubo binary, passed as MEDIHAVEN_IPFS_BIN; "" leaves
	// it to PATH.
	IPFSBin string
}

// Text is the unit file: the supervisor is the service's main process
// (SIGTERM stops both daemons cleanly, KillMode=mixed kills what is left
// after TimeoutStopSec), restarted by systemd if it fails, with the
// filesystem read-only except the server directory.
func (u Unit) Text() (string, error) {
	for name, p := range map[string]string{"medihaven binary": u.Bin, "server directory": u.Dir, "Kubo binary": u.IPFSBin} {
		if p == "" && name == "Kubo binary" {
			continue
		}
		if !filepath.IsAbs(p) {
			return "", fmt.Errorf("%w: the %s must be an absolute path, not %q", ErrInvalid, name, p)
		}
		if strings.ContainsAny(p, "\n\r\"\\") {
			return "", fmt.Errorf("%w: the %s path %q has characters a unit file cannot hold", ErrInvalid, name, p)
		}
	}
	if strings.ContainsAny(u.User, " \n\r\t\"\\%") {
		return "", fmt.Errorf("%w: user %q", ErrInvalid, u.User)
	}
	q := func(s string) string { return `"` + strings.ReplaceAll(s, "%", "%%") + `"` }
	var b strings.Builder
	b.WriteString("# Written by `medihaven server install-systemd`.\n")
	b.WriteString("[Unit]\nDescription=Medihaven clinic servers (Prosody XMPP and Kubo IPFS)\n")
	b.WriteString("After=network-online.target\nWants=network-online.target\n\n")
	b.WriteString("[Service]\nType=simple\n")
	fmt.Fprintf(&b, "ExecStart=%s server run --dir %s\n", q(u.Bin), q(u.Dir))
	if u.User != "" {
		fmt.Fprintf(&b, "User=%s\n", u.User)
	}
	b.WriteString("Environment=LANG=C.UTF-8\n")
	if u.IPFSBin != "" {
		fmt.Fprintf(&b, "Environment=%s\n", q("MEDIHAVEN_IPFS_BIN="+u.IPFSBin))
	}
	b.WriteString("Restart=on-failure\nRestartSec=5\nKillMode=mixed\nTimeoutStopSec=30\n")
	b.WriteString("UMask=0077\nLimitNOFILE=65536\n")
	b.WriteString("NoNewPrivileges=yes\nPrivateTmp=yes\nProtectSystem=strict\nProtectHome=read-only\n")
	fmt.Fprintf(&b, "ReadWritePaths=%s\n", q(u.Dir))
	b.WriteString("\n[Install]\nWantedBy=multi-user.target\n")
	return b.String(), nil
}

// InstallSystemd writes the unit into outDir/medihaven-server.service and
// returns its path. It refuses to overwrite an existing file unless force.
func InstallSystemd(u Unit, outDir string, force bool) (string, error) {
	text, err := u.Text()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", fmt.Errorf("server: %w", err)
	}
	path := filepath.Join(outDir, UnitName)
	if _, err := os.Lstat(path); err == nil && !force {
		return "", fmt.Errorf("server: %s exists; pass --force to replace it", path)
	}
	if err := atomicfile.Write(path, []byte(text), 0o644); err != nil {
		return "", err
	}
	return path, nil
}
