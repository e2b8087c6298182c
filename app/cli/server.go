package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/medihaven/medihaven/sync/server"
)

// The clinic's servers (issue 16): `medihaven server init|run|install-systemd|invite`
// write and supervise Prosody and Kubo through package sync/server. They
// need no profile and no passphrase: they never touch patient data or the
// keys of members.

const serverUsage = "server needs init, run, install-systemd or invite"

func cmdServer(ctx context.Context, args []string, io IO) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", ErrUsage, serverUsage)
	}
	var err error
	switch args[0] {
	case "init":
		err = cmdServerInit(ctx, args[1:], io)
	case "run":
		err = cmdServerRun(ctx, args[1:], io)
	case "install-systemd":
		err = cmdServerSystemd(args[1:], io)
	case "invite":
		err = cmdServerInvite(ctx, args[1:], io)
	default:
		return fmt.Errorf("%w: unknown server command %q (%s)", ErrUsage, args[0], strings.TrimPrefix(serverUsage, "server needs "))
	}
	if err != nil && !errors.Is(err, ErrUsage) {
		return errors.New(strings.ReplaceAll(err.Error(), "server: ", ""))
	}
	return err
}

// serverDir is --dir, or the default server directory.
func serverDir(dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	return server.DefaultDir()
}

func cmdServerInit(ctx context.Context, args []string, io IO) error {
	fs := newFlags("server init")
	domain := fs.String("domain", "", "the clinic's XMPP domain, e.g. clinic.example")
	dir := fs.String("dir", "", "server directory (default: medihaven/server under the user's data folder)")
	listen := fs.String("listen", "127.0.0.1", "the IP address both servers listen on (the server's LAN address for other computers)")
	xmppPort := fs.Int("xmpp-port", server.DefaultXMPPPort, "Prosody's client port")
	apiPort := fs.Int("api-port", server.DefaultAPIPort, "Kubo's RPC API port")
	swarmPort := fs.Int("swarm-port", server.DefaultSwarmPort, "Kubo's swarm port (0: any free port)")
	deskPort := fs.Int("desk-port", server.DefaultDeskPort, "the join desk's port, where tokens' short codes resolve (0: no desk)")
	apiAuth := fs.Bool("api-auth", true, "protect the Kubo API with a secret (false: loopback demo only)")
	openReg := fs.Bool("open-registration", false, "let anyone make an XMPP account without an invite (loopback demo only)")
	force := fs.Bool("force", false, "replace an existing configuration (the old one is kept aside)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *domain == "" {
		return fmt.Errorf("%w: server init needs --domain DOMAIN", ErrUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: server init: unexpected %q", ErrUsage, fs.Arg(0))
	}
	d, err := serverDir(*dir)
	if err != nil {
		return err
	}
	o := server.Options{Domain: *domain, Dir: d, Listen: *listen, XMPPPort: *xmppPort, APIPort: *apiPort,
		SwarmPort: *swarmPort, DeskPort: *deskPort, NoAPIAuth: !*apiAuth, OpenRegistration: *openReg, Force: *force, Now: io.Now}
	if *swarmPort == 0 {
		o.SwarmPort = -1
	}
	if *deskPort == 0 {
		o.DeskPort = -1
	}
	res, err := server.Init(ctx, o)
	if err != nil {
		return err
	}
	c := res.Config
	out := io.Stdout
	fmt.Fprintf(out, "Wrote the clinic's server configuration to %s.\n", res.Dir)
	if res.Moved != "" {
		fmt.Fprintf(out, "The previous configuration, with its accounts and data, is kept in %s.\n", res.Moved)
	}
	accounts := "accounts only with an invite (medihaven server invite)"
	if c.OpenRegistration {
		accounts = "OPEN registration (loopback demo)"
	}
	fmt.Fprintf(out, "  XMPP (Prosody):   %s, domain %s, rooms on %s; %s\n", c.XMPPAddr(), c.Domain, c.MUC, accounts)
	api := "no secret (loopback demo)"
	if c.APIAuth {
		api = "the workstations' secret in " + filepath.Join(res.Dir, server.FileAPISecret) +
			" (blocks and files only), the server's own in " + filepath.Join(res.Dir, server.FileAPIServerSecret) + " (whole API; never hand it out)"
	}
	fmt.Fprintf(out, "  Kubo (IPFS) API:  %s, %s\n", c.APIAddr(), api)
	swarm := c.SwarmAddr()
	if c.SwarmPort == 0 {
		swarm = "any free port on " + c.Listen
	}
	fmt.Fprintf(out, "  Kubo swarm:       %s, private network (key in %s)\n", swarm, filepath.Join(res.Dir, server.DirKubo, "swarm.key"))
	if c.DeskPort != 0 {
		fmt.Fprintf(out, "  Join desk:        %s (tokens' short codes resolve here)\n", c.DeskAddr())
	}
	fmt.Fprintf(out, "  XMPP certificate SHA-256 pin: %s (the Kubo API and the join desk speak TLS under it too)\n", c.CertPin)
	fmt.Fprintf(out, "    (also in %s; the certificate is %s, valid until %s)\n",
		filepath.Join(res.Dir, server.FileCertPin), filepath.Join(res.Dir, server.FileCert), c.CertUntil.Format("2006-01-02"))
	fmt.Fprintf(out, "Start them with: medihaven server run --dir %s\n", res.Dir)
	return nil
}

func cmdServerRun(ctx context.Context, args []string, io IO) error {
	fs := newFlags("server run")
	dir := fs.String("dir", "", "server directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := serverDir(*dir)
	if err != nil {
		return err
	}
	return server.Run(ctx, d, server.RunOptions{Out: io.Stdout})
}

func cmdServerSystemd(args []string, io IO) error {
	fs := newFlags("server install-systemd")
	dir := fs.String("dir", "", "server directory")
	outDir := fs.String("out", ".", "where to write "+server.UnitName)
	userName := fs.String("user", "", "the user the servers run as (default: you, or root when run as root)")
	force := fs.Bool("force", false, "replace an existing unit file")
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := serverDir(*dir)
	if err != nil {
		return err
	}
	if _, err := server.Load(d); err != nil {
		return err
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot tell where the medihaven binary is: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(bin); err == nil {
		bin = resolved
	}
	u := server.Unit{Bin: bin, Dir: d, User: *userName}
	if u.User == "" && os.Geteuid() != 0 {
		if me, err := user.Current(); err == nil {
			u.User = me.Username
		}
	}
	if ipfsBin, err := server.FindIPFS(); err == nil {
		if abs, err := filepath.Abs(ipfsBin); err == nil {
			u.IPFSBin = abs
		}
	}
	path, err := server.InstallSystemd(u, *outDir, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "Wrote %s (runs `medihaven server run --dir %s`).\n", path, d)
	fmt.Fprintf(io.Stdout, "Install it as root:\n  cp %s /etc/systemd/system/ && systemctl daemon-reload && systemctl enable --now %s\n",
		path, strings.TrimSuffix(server.UnitName, ".service"))
	return nil
}

func cmdServerInvite(ctx context.Context, args []string, io IO) error {
	fs := newFlags("server invite")
	dir := fs.String("dir", "", "server directory")
	admin := fs.Bool("admin", false, "the account made with it may make invites itself (for the administrator's workstation)")
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := serverDir(*dir)
	if err != nil {
		return err
	}
	token, uri, err := server.Invite(ctx, d, *admin)
	if err != nil {
		return err
	}
	fmt.Fprintln(io.Stdout, token)
	if io.Stderr != nil {
		fmt.Fprintf(io.Stderr, "One XMPP account may be made with this invite (%s) within 7 days.\n", uri)
	}
	return nil
}
