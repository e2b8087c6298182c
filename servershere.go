package main

import (
	"context"
	"errors"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/cli"
	"github.com/medihaven/medihaven/sync/server"
	uiadmin "github.com/medihaven/medihaven/ui/admin"
)

// The clinic's servers on the administrator's computer ("Run the clinic's
// servers on this computer"): Prosody and Kubo under the supervisor of
// `medihaven server run`, started by this window (in the background when
// the administrator logs in), stopped by PID when it closes or when the
// administrator stops them on the Clinic screen. The Clinic screen also
// tells servers this window did not start (the system service, `medihaven
// server run`, another window) by asking their addresses.

// errClosed: the window closed, nothing more starts.
var errClosed = errors.New("Medihaven is closing")

// localServers are the clinic's servers this window runs or starts.
type localServers struct {
	mu       sync.Mutex
	run      []*app.LocalServers
	starting map[string]*pending // by folder
	failed   map[string]error    // the last start's failure, by folder
	closed   bool                // the window closed: nothing starts any more
	ctx      context.Context     // the servers' lifetime, ended by stop
	cancel   context.CancelFunc
	wg       sync.WaitGroup // starts under way

	// start starts the servers of a folder until ctx ends or Stop; nil
	// means app.StartLocalServers (tests make it slow).
	start func(ctx context.Context, dir string) (*app.LocalServers, error)
}

// pending is a start under way.
type pending struct {
	done chan struct{}
	err  error // set before done closes
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

// stop ends the starts under way and stops every server this window runs;
// the window closes. No process of the servers outlives it.
func (l *localServers) stop() {
	l.mu.Lock()
	l.closed = true
	if l.cancel != nil {
		l.cancel()
	}
	l.mu.Unlock()
	l.wg.Wait()
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
	return l.find(dir)
}

// find is running; callers hold l.mu.
func (l *localServers) find(dir string) *app.LocalServers {
	for _, s := range l.run {
		if s.Dir == dir {
			return s
		}
	}
	return nil
}

// startDir starts the servers of folder dir, unless this window runs
// them; a start already under way is waited for. The servers live until
// stopDir or stop, not as long as any request to start them.
func (l *localServers) startDir(dir string) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errClosed
	}
	if l.find(dir) != nil {
		l.mu.Unlock()
		return nil
	}
	if p := l.starting[dir]; p != nil {
		l.mu.Unlock()
		<-p.done
		return p.err
	}
	if l.ctx == nil {
		l.ctx, l.cancel = context.WithCancel(context.Background())
	}
	if l.starting == nil {
		l.starting, l.failed = map[string]*pending{}, map[string]error{}
	}
	p := &pending{done: make(chan struct{})}
	l.starting[dir] = p
	ctx, start := l.ctx, l.start
	l.wg.Add(1)
	l.mu.Unlock()
	defer l.wg.Done()

	if start == nil {
		start = func(ctx context.Context, dir string) (*app.LocalServers, error) {
			// Kubo from $MEDIHAVEN_IPFS_BIN or PATH, checked before anything
			// starts (server.FindIPFS says plainly what is missing).
			return app.StartLocalServers(ctx, app.LocalSetup{Dir: dir, NoAdminInvite: true})
		}
	}
	s, err := start(ctx, dir)
	l.mu.Lock()
	closed := l.closed
	switch {
	case err == nil && !closed:
		l.run = append(l.run, s)
		delete(l.failed, dir)
	case err == nil: // the window closed meanwhile
		err = errClosed
	case errors.Is(err, server.ErrRunning) || closed:
		delete(l.failed, dir) // something else runs them, or nothing should
	default:
		l.failed[dir] = err
	}
	delete(l.starting, dir)
	p.err = err
	close(p.done)
	l.mu.Unlock()
	if s != nil && closed {
		s.Stop()
	}
	return err
}

// resume starts, in the background, the clinic's servers when this
// computer keeps the ones profile p names, so that the administrator's
// computer serves the clinic again whenever Medihaven opens on it; the
// login does not wait for them. ready runs once they answer. The clinic's
// own servers answering already means something else runs them
// (`medihaven server run`, the system service, another window): nothing
// to do. A start that fails, a port held by another program included, is
// logged and shown on the Clinic screen.
func (l *localServers) resume(p app.Profile, ready func()) {
	dir, ok := app.ServersHere(p)
	if !ok {
		return
	}
	go func() {
		err := l.startDir(dir)
		switch {
		case err == nil:
			ready()
		case !errors.Is(err, server.ErrRunning) && !errors.Is(err, errClosed) && !errors.Is(err, context.Canceled):
			log.Printf("medihaven: the clinic's servers on this computer did not start: %v", err)
		}
	}()
}

// notStarted is why the servers did not start, for the card, which says
// "The servers did not start: …" already.
func notStarted(err error) string {
	return strings.TrimPrefix(cli.Plain(err), "start the clinic's servers: ")
}

// state is what this window knows of the servers of folder dir without
// asking their addresses.
func (l *localServers) state(dir string) (uiadmin.ServersState, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	failed := ""
	if err := l.failed[dir]; err != nil {
		failed = notStarted(err)
	}
	switch {
	case l.find(dir) != nil:
		return uiadmin.ServersRunHere, failed
	case l.starting[dir] != nil:
		return uiadmin.ServersStarting, failed
	}
	return uiadmin.ServersUnchecked, failed
}

// LocalServers says whether this computer keeps the clinic's servers,
// whether this window runs them, and where they answer
// (uiadmin.ServersHere).
func (s syncedSession) LocalServers() uiadmin.LocalServers {
	dir, ok := app.ServersHere(s.Profile())
	if !ok || s.here == nil {
		return uiadmin.LocalServers{}
	}
	st := uiadmin.LocalServers{Here: true, Dir: dir}
	st.State, st.Failed = s.here.state(dir)
	if c, err := server.Load(dir); err == nil {
		st.Chat, st.Storage, st.Desk = c.XMPPAddr(), net.JoinHostPort(c.Listen, strconv.Itoa(c.APIPort)), c.DeskAddr()
	}
	return st
}

// CheckLocalServers is LocalServers and, unless this window runs or starts
// them, what answers on their addresses and what runs them.
func (s syncedSession) CheckLocalServers(ctx context.Context) uiadmin.LocalServers {
	st := s.LocalServers()
	if !st.Here || st.State != uiadmin.ServersUnchecked {
		return st
	}
	p, err := server.ProbeServers(ctx, st.Dir)
	if err != nil {
		st.State, st.Unasked = uiadmin.ServersDown, cli.Plain(err)
		return st
	}
	answer := map[server.Answer]uiadmin.Answer{server.Silent: uiadmin.NoAnswer, server.Ours: uiadmin.Answers, server.Foreign: uiadmin.OtherProgram}
	st.ChatAnswer, st.StorageAnswer = answer[p.Chat], answer[p.Storage]
	st.RunBy = map[server.Runner]uiadmin.Runner{server.RunByService: uiadmin.RunnerService, server.RunByCommand: uiadmin.RunnerCommand,
		server.RunByWindow: uiadmin.RunnerWindow}[p.RunBy]
	st.Unit, st.ChatHolder, st.StorageHolder = p.Unit, p.ChatHolder, p.StorageHolder
	switch {
	case p.Chat == server.Ours && p.Storage == server.Ours:
		st.State = uiadmin.ServersRunOutside
	case p.Chat == server.Foreign || p.Storage == server.Foreign:
		st.State = uiadmin.ServersPortsTaken
	case p.Chat == server.Ours || p.Storage == server.Ours:
		st.State = uiadmin.ServersPartly
	default:
		st.State = uiadmin.ServersDown
	}
	return st
}

// StartLocalServers starts the clinic's servers this computer keeps.
func (s syncedSession) StartLocalServers(context.Context) error {
	dir, ok := app.ServersHere(s.Profile())
	if !ok || s.here == nil {
		return errors.New("This computer does not keep the clinic's servers")
	}
	if err := s.here.startDir(dir); err != nil {
		return errors.New(notStarted(err))
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
