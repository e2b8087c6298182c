package main

import (
	"context"
	"errors"
	"log"
	"net"
	"os"
	"strconv"
	"sync"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/cli"
	"github.com/medihaven/medihaven/sync/server"
	uiadmin "github.com/medihaven/medihaven/ui/admin"
)

// The clinic's servers on the administrator's computer ("Run the clinic's
// servers on this computer"): Prosody and Kubo under the supervisor of
// `medihaven server run`, started by this window, stopped by PID when it
// closes or when the administrator stops them on the Clinic screen.

// localServers are the clinic's servers this window runs.
type localServers struct {
	mu     sync.Mutex
	run    []*app.LocalServers
	closed bool // the window closed: whatever starts now stops at once
}

// add keeps s running until stop, or stops it when the window has closed.
func (l *localServers) add(s *app.LocalServers) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		s.Stop()
		return
	}
	l.run = append(l.run, s)
}

// stop stops every server this window runs; the window closes.
func (l *localServers) stop() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.stopDir("")
}

// stopDir stops the servers of folder dir ("" for all).
func (l *localServers) stopDir(dir string) {
	l.mu.Lock()
	var keep, halt []*app.LocalServers
	for _, s := range l.run {
		if dir == "" || s.Dir == dir {
			halt = append(halt, s)
		} else {
			keep = append(keep, s)
		}
	}
	l.run = keep
	l.mu.Unlock()
	for _, s := range halt {
		s.Stop()
	}
}

// running returns the servers of folder dir this window runs, or nil.
func (l *localServers) running(dir string) *app.LocalServers {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.run {
		if s.Dir == dir {
			return s
		}
	}
	return nil
}

// startDir starts the servers of folder dir, unless this window runs them.
func (l *localServers) startDir(ctx context.Context, dir string) error {
	if l.running(dir) != nil {
		return nil
	}
	// The servers live until stopped, not as long as the request to start
	// them (StartLocalServers stops them when its context ends).
	s, err := app.StartLocalServers(context.WithoutCancel(ctx), app.LocalSetup{Dir: dir, IPFSBin: os.Getenv("MEDIHAVEN_IPFS_BIN"), NoAdminInvite: true})
	if err != nil {
		return err
	}
	l.add(s)
	return nil
}

// resume starts the clinic's servers when this computer keeps the ones
// profile p names and nothing runs them yet, so that the administrator's
// computer serves the clinic again whenever Medihaven opens on it. Busy
// ports mean something else runs them (`medihaven server run`, another
// window): nothing to do.
func (l *localServers) resume(p app.Profile) {
	dir, ok := app.ServersHere(p)
	if !ok {
		return
	}
	err := l.startDir(context.Background(), dir)
	if err != nil && !errors.Is(err, server.ErrPortBusy) {
		log.Printf("medihaven: the clinic's servers on this computer: %v", err)
	}
}

// LocalServers says whether this computer keeps the clinic's servers, and
// where they answer (uiadmin.ServersHere).
func (s syncedSession) LocalServers() uiadmin.LocalServers {
	dir, ok := app.ServersHere(s.Profile())
	if !ok || s.here == nil {
		return uiadmin.LocalServers{}
	}
	st := uiadmin.LocalServers{Here: true, Running: s.here.running(dir) != nil, Dir: dir}
	if c, err := server.Load(dir); err == nil {
		st.Chat, st.Storage, st.Desk = c.XMPPAddr(), net.JoinHostPort(c.Listen, strconv.Itoa(c.APIPort)), c.DeskAddr()
	}
	return st
}

// StartLocalServers starts the clinic's servers this computer keeps.
func (s syncedSession) StartLocalServers(ctx context.Context) error {
	dir, ok := app.ServersHere(s.Profile())
	if !ok || s.here == nil {
		return errors.New("This computer does not keep the clinic's servers")
	}
	if err := s.here.startDir(ctx, dir); err != nil {
		return errors.New(cli.Plain(err))
	}
	s.syncer.Kick()
	return nil
}

// StopLocalServers stops them: other workstations cannot sync until they
// run again.
func (s syncedSession) StopLocalServers() {
	if dir, ok := app.ServersHere(s.Profile()); ok && s.here != nil {
		s.here.stopDir(dir)
	}
}
