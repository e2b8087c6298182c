package server

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
)

// preauthRe finds the token in the invite URI prosodyctl prints,
// xmpp:DOMAIN?register;preauth=TOKEN.
var preauthRe = regexp.MustCompile(`preauth=([A-Za-z0-9_-]+)`)

// Invite makes a one-time account invite on the server in dir with
// `prosodyctl mod_invites generate` (the server need not be running) and
// returns its token and URI. A client presents the token (XEP-0401 preauth,
// urn:xmpp:pars:0) before in-band registration; without one the server
// refuses to make an account. admin makes the new account a Prosody
// administrator, which may then create account invites itself with the
// ad-hoc command urn:xmpp:invite#create-account. Invites expire after
// seven days.
func Invite(ctx context.Context, dir string, admin bool) (token, uri string, err error) {
	cfg, err := Load(dir)
	if err != nil {
		return "", "", err
	}
	bin, err := exec.LookPath("prosodyctl")
	if err != nil {
		return "", "", fmt.Errorf("%w: prosodyctl is not on PATH; install Prosody", ErrNotInstalled)
	}
	args := []string{"--config", prosodyPaths(dir, cfg.Domain).config, "mod_invites", "generate", cfg.Domain}
	if admin {
		args = append(args, "--admin")
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "LANG=en_US.UTF-8")
	out, err := cmd.CombinedOutput()
	m := preauthRe.FindSubmatch(out)
	if err != nil || m == nil {
		return "", "", fmt.Errorf("server: prosodyctl mod_invites generate: %v: %s", err, bytes.TrimSpace(out))
	}
	for _, f := range bytes.Fields(out) {
		if bytes.Contains(f, m[0]) {
			uri = string(f)
		}
	}
	return string(m[1]), uri, nil
}
