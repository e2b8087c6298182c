package cli

import (
	"context"
	"fmt"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/backup"
	"github.com/medihaven/medihaven/sync/server"
)

// `medihaven backup --out FILE` and `medihaven restore --in FILE` (issue
// 16): one encrypted file per workstation (app/backup), opened only by
// the member's passphrase.

func cmdBackup(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("backup")
	out := fs.String("out", "", "the backup file to write (it must not exist)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: backup needs --out FILE", ErrUsage)
	}
	p, err := passphrase(io)
	if err != nil {
		return err
	}
	s, err := app.Login(ctx, env, g.Profile, "", p)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := backup.New(s.Core()).BackupTo(ctx, *out, p); err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "Backed up this workstation (%s, %s) to %s; it opens only with your passphrase.\n",
		s.StaffName(), s.Clinic(), *out)
	return nil
}

func cmdRestore(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("restore")
	in := fs.String("in", "", "the backup file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *in == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: restore needs --in FILE (and --profile DIR for where)", ErrUsage)
	}
	p, err := passphrase(io)
	if err != nil {
		return err
	}
	s, err := backup.Restore(ctx, env, backup.Restoration{File: *in, Dir: g.Profile, Passphrase: p, Keystore: g.Keystore})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(io.Stdout, "Restored %s's workstation of %s into %s; every chain verified.\n"+
		"Use it instead of the old computer, never beside it.\n", s.StaffName(), s.Clinic(), g.Profile)
	return nil
}

// localServers reads the servers of the server folder dir (server init)
// and makes an administrator account invite for the founder.
func localServers(ctx context.Context, dir string) (app.Servers, string, error) {
	d, err := serverDir(dir)
	if err != nil {
		return app.Servers{}, "", err
	}
	v, err := app.ServersOf(d)
	if err != nil {
		return app.Servers{}, "", err
	}
	invite, _, err := server.Invite(ctx, d, true)
	return v, invite, err
}
