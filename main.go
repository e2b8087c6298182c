package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"

	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chat"
	"github.com/medihaven/medihaven/app/cli"
	"github.com/medihaven/medihaven/internal/harden"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/ui"
)

// fyneApp is the packaging metadata; its Version is the one version number
// (`fyne package` and the .deb read the same file).
//
//go:embed FyneApp.toml
var fyneApp string

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println("medihaven", version())
		return
	}
	// Before any key is read: no core dump may ever hold one.
	if err := harden.Process(); err != nil {
		fmt.Fprintln(os.Stderr, "medihaven: warning:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	io := cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	g, rest, err := cli.ParseGlobal(os.Args[1:], os.Getenv)
	if err != nil {
		os.Exit(cli.Run(ctx, g, []string{"help"}, cli.IO{Stdout: os.Stderr}) + 2)
	}
	if len(rest) > 0 && rest[0] != "gui" {
		os.Exit(cli.Run(ctx, g, rest, io))
	}
	if err := gui(ctx, g); err != nil {
		fmt.Fprintln(os.Stderr, "medihaven:", err)
		os.Exit(1)
	}
}

// version is FyneApp.toml's [Details] Version.
func version() string {
	m := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([^"]+)"`).FindStringSubmatch(fyneApp)
	if m == nil {
		return "unknown"
	}
	return m[1]
}

// gui opens the window on the profiles in --profile (and its sub-folders,
// as the demo clinic lays them out). SIGTERM or an interrupt (ctx) closes
// it as its close button does, logging out.
func gui(ctx context.Context, g cli.Global) error {
	windowGC(os.Getenv) // windowgc.go
	opts := ui.Options{Theme: os.Getenv("MEDIHAVEN_THEME"), StaffName: os.Getenv("MEDIHAVEN_STAFF")}
	opts.Started = func(_ *ui.Workstation, w fyne.Window) {
		<-ctx.Done()
		fyne.Do(w.Close)
	}
	if _, err := app.ReadProfile(g.Profile); err == nil {
		opts.Profile = g.Profile
	}
	b := backend{dirs: []string{g.Profile, filepath.Dir(g.Profile)}, g: g, servers: new(localServers)}
	defer b.servers.stop() // the clinic's servers this window started (servershere.go)
	return ui.Run(b, opts)
}

// backend adapts package app to the narrow interface the UI consumes;
// firstrun.go adds creating and joining a clinic (ui.Founding).
type backend struct {
	dirs    []string
	g       cli.Global
	servers *localServers
}

func (b backend) Profiles(context.Context) ([]ui.Profile, error) {
	var out []ui.Profile
	for _, p := range app.ListProfiles(b.dirs...) {
		out = append(out, ui.Profile{Dir: p.Dir, Clinic: p.Clinic, Staff: p.Staff})
	}
	return out, nil
}

// Login logs in and, when the profile names the clinic's servers, starts
// the network sync for the session's lifetime.
func (b backend) Login(ctx context.Context, dir, name string, pass []byte) (ui.Session, error) {
	s, err := app.Login(ctx, cli.Env(nil), dir, name, pass)
	if err != nil {
		return nil, errors.New(cli.Plain(err))
	}
	s.NoteStaffName() //nolint:errcheck // best effort: the login screen then asks for the name
	us, err := b.open(s)
	if err != nil {
		return nil, err
	}
	return awaiting(ctx, s, us), nil // firstrun.go: a request to join still waiting
}

// open starts the network sync of a session whose profile names the
// clinic's servers, for the session's lifetime.
func (b backend) open(s *app.Session) (ui.Session, error) {
	cfg, ok := s.Profile().SyncConfig()
	if !ok {
		return s, nil
	}
	y, err := s.StartSync(context.Background(), cfg, chat.New(s.Core()).SyncHooks())
	if err != nil {
		s.Close()
		return nil, errors.New(cli.Plain(err))
	}
	// servershere.go: the clinic's servers, when this computer keeps them,
	// start in the background; the sync retries until they answer, and is
	// told at once when they do.
	b.servers.resume(s.Profile(), y.Kick)
	return syncedSession{s, y, b.servers}, nil
}

// syncedSession is a session whose network sync runs while it is open. It
// keeps every method of app.Session, so the role screens find them.
type syncedSession struct {
	*app.Session
	syncer *netsync.Syncer
	here   *localServers // the clinic's servers this window runs (servershere.go)
}

func (s syncedSession) OnSyncStatus(fn func(ui.SyncStatus)) (stop func()) {
	// The stored count of refused events, read again when the sync
	// refused more or a catch-up began or ended (events judged again).
	var mu sync.Mutex
	problems, catching, refused := -1, false, 0
	return s.syncer.OnStatus(func(st netsync.Status) {
		mu.Lock()
		if st.Problems != problems || st.CatchingUp != catching {
			problems, catching = st.Problems, st.CatchingUp
			refused, _ = s.RefusedCount(context.Background()) //nolint:errcheck // a locked session counts none
		}
		n := refused
		mu.Unlock()
		// In words; someone writing in this workstation's own chain before all else.
		fn(ui.SyncStatus{Connected: st.Connected, Waiting: st.Waiting, CatchingUp: st.CatchingUp, Behind: st.Behind,
			Problem: cli.SyncProblem(st), Refused: n})
	})
}

func (s syncedSession) Close() error {
	s.syncer.Stop()
	return s.Session.Close()
}
