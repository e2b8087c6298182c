package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/backup"
	"github.com/medihaven/medihaven/app/cli"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/server"
	"github.com/medihaven/medihaven/ui"
)

// The window's first run (ui.Founding): create a clinic, join one with
// a registration token, or restore a backup (ui.Restoring), on a computer
// with no profile yet.

// keystore is where a new profile keeps its keys: as --keystore (or
// MEDIHAVEN_KEYSTORE) says, else the OS keyring when one answers, else a
// passphrase-protected file.
func (b backend) keystore() string {
	if b.g.Keystore != "" {
		return b.g.Keystore
	}
	_, err := crypto.NewOSKeystore("medihaven").Get("medihaven-probe")
	if errors.Is(err, crypto.ErrNoSecretService) {
		return app.KeystoreFile
	}
	return app.KeystoreOS
}

func (b backend) KeyStorage(context.Context) ui.KeyStorage {
	if b.keystore() == app.KeystoreOS {
		return ui.KeyStorage{Keyring: true, Where: "Your keys will be kept in this computer's keyring, " +
			"locked with your passphrase. Nobody can use them without it, so keep it safe."}
	}
	why := "No keyring is running on this computer, so your"
	if b.g.Keystore == app.KeystoreFile {
		why = "As this computer is set up (keystore: file), your"
	}
	return ui.KeyStorage{Where: why + " keys will be kept in a file in the workstation's folder, " +
		"locked with your passphrase. Nobody can open it without the passphrase, so keep it safe."}
}

// newDir is the folder for a new profile: --profile when it holds none,
// else a new folder beside it.
func (b backend) newDir() string {
	dir := b.g.Profile
	if _, err := app.ReadProfile(dir); err != nil {
		return dir
	}
	for i := 2; ; i++ {
		d := filepath.Join(filepath.Dir(dir), fmt.Sprintf("workstation-%d", i))
		if _, err := os.Stat(d); errors.Is(err, os.ErrNotExist) {
			return d
		}
	}
}

func (b backend) CreateClinic(ctx context.Context, c ui.NewClinic) (ui.Session, error) {
	nc := app.NewClinic{Dir: b.newDir(), Clinic: c.Clinic, Address: c.Address, Phone: c.Phone, Zone: c.Zone,
		Admin: c.Admin, Passphrase: c.Passphrase, Keystore: b.keystore()}
	var started *app.LocalServers
	switch c.Servers {
	case ui.RunServersHere:
		ls, err := app.StartLocalServers(context.Background(), app.LocalSetup{Domain: c.Domain, IPFSBin: os.Getenv("MEDIHAVEN_IPFS_BIN")})
		if err != nil {
			return nil, errors.New(cli.Plain(err))
		}
		started, nc.Servers, nc.ServerInvite = ls, ls.Servers, ls.AdminInvite
	case ui.UseServersHere:
		dir := c.ServerDir
		if dir == "" {
			d, err := server.DefaultDir()
			if err != nil {
				return nil, errors.New(cli.Plain(err))
			}
			dir = d
		}
		v, err := app.ServersOf(dir)
		if err != nil {
			return nil, fmt.Errorf("No clinic servers are set up in %s (%s): run medihaven server init there, or choose another option", dir, cli.Plain(err))
		}
		invite, _, err := server.Invite(ctx, dir, true)
		if err != nil {
			return nil, fmt.Errorf("The clinic's servers in %s did not make an account for you (%s): check that medihaven server run is running", dir, cli.Plain(err))
		}
		nc.Servers, nc.ServerInvite = v, invite
	}
	s, err := app.CreateClinic(ctx, cli.Env(nil), nc)
	if err != nil {
		if started != nil {
			started.Stop()
		}
		return nil, errors.New(cli.Plain(err))
	}
	if started != nil {
		b.servers.add(started)
	}
	s.NoteStaffName() //nolint:errcheck // best effort: the login screen then asks for the name
	return b.open(s)
}

func (b backend) Join(ctx context.Context, j ui.JoinRequest) (ui.Joining, error) {
	dir := b.newDir()
	s, err := app.Join(ctx, cli.Env(nil), app.Redemption{Dir: dir, Token: j.Token, Name: j.Name, Passphrase: j.Passphrase, Keystore: b.keystore()})
	if err != nil {
		return nil, errors.New(cli.Plain(err))
	}
	s.NoteStaffName() //nolint:errcheck // best effort
	code, _ := s.ComparisonCode(ctx)
	us, err := b.open(s)
	if err != nil {
		s.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	return &joining{s: s, ui: us, dir: dir, code: code}, nil
}

// Restore makes this computer's workstation from a backup of the old
// computer's (ui.Restoring), keeping its keys where this computer keeps a
// new profile's; app/backup removes whatever a failed restore made.
func (b backend) Restore(ctx context.Context, r ui.RestoreRequest) (ui.Session, error) {
	s, err := backup.Restore(ctx, cli.Env(nil), backup.Restoration{File: r.File, Dir: b.newDir(), Passphrase: r.Passphrase, Keystore: b.keystore()})
	if err != nil {
		return nil, errors.New(cli.Plain(err))
	}
	s.NoteStaffName() //nolint:errcheck // best effort
	return b.open(s)
}

// joining is a newcomer's workstation waiting for approval, its sync
// running so that the approval arrives.
type joining struct {
	s    *app.Session
	ui   ui.Session
	dir  string
	code string
}

func (j *joining) Code() string { return j.code }

func (j *joining) Status(ctx context.Context) (bool, string, error) {
	st, err := j.s.JoinStatus(ctx)
	if err != nil {
		return false, "", errors.New(cli.Plain(err))
	}
	switch st.State {
	case app.JoinApproved:
		return true, "", nil
	case app.JoinRefused:
		return false, st.Reason, nil
	}
	return false, "", nil
}

func (j *joining) Session() ui.Session { return j.ui }

// Cancel closes the workstation and removes its profile.
func (j *joining) Cancel() error {
	j.ui.Close()
	if err := os.RemoveAll(j.dir); err != nil {
		return fmt.Errorf("The request is cancelled, but its folder %s could not be removed: %w", j.dir, err)
	}
	return nil
}

// waitingSession is the session of a workstation that logged in while
// its request to join still waits (ui.AwaitingApproval).
type waitingSession struct {
	ui.Session
	j *joining
}

func (w waitingSession) AwaitingApproval() ui.Joining { return w.j }

// awaiting wraps a logged-in session whose request to join is not
// approved yet, so the window shows the waiting screen again.
func awaiting(ctx context.Context, s *app.Session, us ui.Session) ui.Session {
	st, err := s.JoinStatus(ctx)
	if err != nil || st.State == app.JoinApproved || st.Code == "" {
		return us
	}
	return waitingSession{us, &joining{s: s, ui: us, dir: s.Profile().Dir, code: st.Code}}
}
