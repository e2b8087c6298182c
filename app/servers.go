package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/medihaven/medihaven/sync/server"
)

// LocalServers are the clinic's Prosody and Kubo run by this computer
// (the window's "Run the clinic's servers on this computer"), supervised
// as `medihaven server run` does, until Stop.
type LocalServers struct {
	// Servers is what a profile needs to use them.
	Servers Servers
	// AdminInvite is a one-time administrator account invite: give it to
	// CreateClinic (NewClinic.ServerInvite) so the founder's workstation
	// can make account invites for newcomers' tokens.
	AdminInvite string
	// Dir is the server directory.
	Dir string

	sup *server.Supervisor
}

// LocalSetup says where and how to run the clinic's servers here.
type LocalSetup struct {
	// Dir is the server directory ("" means server.DefaultDir()); a
	// configuration already there is used as it is.
	Dir string
	// Domain is the clinic's XMPP domain, e.g. clinic.example; needed only
	// when Dir holds no configuration yet.
	Domain string
	// Listen is the address other workstations reach this computer on
	// ("" means 127.0.0.1: this computer only).
	Listen string
	// Ports: 0 means the defaults (5222, 5001, 5290).
	XMPPPort, APIPort, DeskPort int
	// IPFSBin is the Kubo binary ("" means $MEDIHAVEN_IPFS_BIN or PATH).
	IPFSBin string
	// Out receives the supervisor's status lines; nil discards them.
	Out io.Writer
	// NoAdminInvite: the clinic exists already (its administrator's
	// workstation starts its servers again), so no administrator account
	// invite is made.
	NoAdminInvite bool
}

// StartLocalServers writes the clinic's server configuration when Dir
// holds none, starts Prosody and Kubo under the supervisor, and makes an
// administrator account invite. The servers run until Stop or ctx ends.
func StartLocalServers(ctx context.Context, o LocalSetup) (*LocalServers, error) {
	dir := o.Dir
	if dir == "" {
		d, err := server.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	if _, err := server.Load(dir); errors.Is(err, server.ErrNoConfig) {
		_, err = server.Init(ctx, server.Options{Domain: o.Domain, Dir: dir, Listen: o.Listen, XMPPPort: o.XMPPPort,
			APIPort: o.APIPort, DeskPort: o.DeskPort, SwarmPort: -1, IPFSBin: o.IPFSBin})
		if err != nil {
			return nil, fmt.Errorf("the clinic's servers: %w", err)
		}
	} else if err != nil {
		return nil, err
	}
	v, err := ServersOf(dir)
	if err != nil {
		return nil, err
	}
	sup, err := server.Start(ctx, dir, server.RunOptions{IPFSBin: o.IPFSBin, Out: o.Out})
	if err != nil {
		return nil, fmt.Errorf("start the clinic's servers: %w", err)
	}
	l := &LocalServers{Servers: v, Dir: dir, sup: sup}
	if o.NoAdminInvite {
		return l, nil
	}
	if l.AdminInvite, _, err = server.Invite(ctx, dir, true); err != nil {
		sup.Stop()
		return nil, fmt.Errorf("make the administrator's account invite: %w", err)
	}
	return l, nil
}

// Stop stops the servers (SIGTERM, then SIGKILL after a grace period).
func (l *LocalServers) Stop() { l.sup.Stop() }

// PIDs are the process ids of Prosody and Kubo, 0 for one not running.
func (l *LocalServers) PIDs() (prosody, kubo int) { return l.sup.PIDs() }

// ServersHere returns the server folder on this computer (the default
// one) when it holds the clinic's servers the profile names, so that this
// workstation may run them; ok is false when it does not.
func ServersHere(p Profile) (dir string, ok bool) {
	dir, err := server.DefaultDir()
	if err != nil || p.Servers.XMPP == "" {
		return "", false
	}
	v, err := ServersOf(dir)
	if err != nil {
		return "", false
	}
	same := v.XMPP == p.Servers.XMPP && v.IPFS == p.Servers.IPFS && v.Domain == p.Servers.Domain
	return dir, same
}

// ServersOf reads what a profile needs to use the clinic's servers
// configured in the server directory dir: addresses, the Kubo API secret,
// the XMPP certificate's pin.
func ServersOf(dir string) (Servers, error) {
	c, err := server.Load(dir)
	if err != nil {
		return Servers{}, err
	}
	secret, err := server.APISecret(dir)
	if err != nil {
		return Servers{}, err
	}
	return Servers{IPFS: c.APIAddr(), IPFSSecret: secret, XMPP: c.XMPPAddr(), Domain: c.Domain, Desk: c.DeskAddr(), XMPPCertPin: c.CertPin,
		OpenRegistration: c.OpenRegistration, InviteOnly: !c.OpenRegistration}, nil
}
