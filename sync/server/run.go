package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/medihaven/medihaven/sync/ipfs"
)

// RunOptions tune Run and Start.
type RunOptions struct {
	// Out receives status lines: addresses, restarts. nil discards them.
	Out io.Writer
	// IPFSBin is the Kubo binary; "" means FindIPFS. ProsodyBin is
	// Prosody's; "" means `prosody` on PATH.
	IPFSBin, ProsodyBin string
	// MinBackoff and MaxBackoff bound the wait before restarting a daemon
	// that died (defaults 1 s and 1 min); the wait doubles while it keeps
	// dying and starts over once it has run for a minute.
	MinBackoff, MaxBackoff time.Duration
	// StopGrace is how long a daemon gets after SIGTERM before SIGKILL
	// (default 10 s).
	StopGrace time.Duration
	// ReadyTimeout bounds each daemon's start (default 60 s).
	ReadyTimeout time.Duration
}

func (o *RunOptions) defaults() {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(time.Minute, o.MinBackoff)
	}
	if o.StopGrace <= 0 {
		o.StopGrace = 10 * time.Second
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 60 * time.Second
	}
}

const (
	// stableAfter is how long a daemon must run before its restart
	// backoff starts over.
	stableAfter = time.Minute
	// maxLog is the size past which a daemon's log is rotated (one old
	// copy, NAME.log.1, is kept) when the daemon (re)starts.
	maxLog    = 16 << 20
	pollEvery = 20 * time.Millisecond
)

// Run starts the clinic's Prosody and Kubo from the configuration in dir,
// prints their addresses to opts.Out, keeps them running until ctx ends,
// then stops both. It fails at once, starting nothing, when a binary is
// missing or a port is taken.
func Run(ctx context.Context, dir string, opts RunOptions) error {
	s, err := Start(ctx, dir, opts)
	if err != nil {
		return err
	}
	s.printAddresses()
	<-ctx.Done()
	s.logf("stopping the chat server and the record store…")
	s.Stop()
	s.logf("stopped: other workstations cannot sync or join until the servers run again")
	return nil
}

// Supervisor keeps the clinic's Prosody and Kubo running.
type Supervisor struct {
	dir    string
	cfg    Config
	opts   RunOptions
	secret atomic.Pointer[string] // the workstations' Kubo API secret; a new one after a revocation (rotate.go)
	desk   *desk
	gate   *gate // the clinic's Kubo API address, in front of Kubo's own (gate.go)

	prosody, kubo *daemon

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// Start checks the binaries and ports, starts Prosody then Kubo, waits
// until both answer and supervises them until Stop (or until ctx ends;
// call Stop then too, to stop the daemons).
func Start(ctx context.Context, dir string, opts RunOptions) (*Supervisor, error) {
	opts.defaults()
	if err := supported(); err != nil {
		return nil, err
	}
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	cfg, err := Load(dir)
	if err != nil {
		return nil, err
	}
	if err := upgradeProsody(dir, cfg); err != nil {
		return nil, err
	}
	prosodyBin := opts.ProsodyBin
	if prosodyBin == "" {
		prosodyBin = "prosody"
	}
	if prosodyBin, err = exec.LookPath(prosodyBin); err != nil {
		return nil, fmt.Errorf("%w: Prosody (prosody) is not on PATH; install it (Debian: apt-get install prosody, or `make deps`)", ErrNotInstalled)
	}
	ipfsBin := opts.IPFSBin
	if ipfsBin == "" {
		if ipfsBin, err = FindIPFS(); err != nil {
			return nil, err
		}
	}
	if err := portsFree(cfg); err != nil {
		return nil, alreadyRunning(ctx, dir, err)
	}
	// Only now: Kubo reads its configuration when it starts, and none of
	// this folder's runs. A new secret asked for while the server was
	// down (or before it was done) is made first.
	if _, err := rotateIfAsked(dir, cfg); err != nil {
		return nil, err
	}
	if err := upgradeKubo(dir, cfg); err != nil {
		return nil, err
	}
	secret, err := APISecret(dir)
	if err != nil {
		return nil, err
	}
	logs := filepath.Join(dir, DirLogs)
	if err := os.MkdirAll(logs, 0o700); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}

	sctx, cancel := context.WithCancel(ctx)
	s := &Supervisor{dir: dir, cfg: cfg, opts: opts, ctx: sctx, cancel: cancel}
	s.secret.Store(&secret)
	pf := prosodyPaths(dir, cfg.Domain)
	s.prosody = &daemon{
		name: "Prosody", bin: prosodyBin, args: []string{"--config", pf.config, "-F"},
		env: append(os.Environ(), "LANG=en_US.UTF-8"), log: filepath.Join(logs, "prosody.log"),
		ready: s.prosodyReady,
	}
	repo := filepath.Join(dir, DirKubo)
	s.kubo = &daemon{
		name: "Kubo", bin: ipfsBin, args: []string{"daemon", "--enable-gc"},
		env: kuboEnv(repo), log: filepath.Join(logs, "kubo.log"),
		ready: s.kuboReady,
		before: func() error {
			// A daemon that was killed leaves its API file behind.
			if err := os.Remove(filepath.Join(repo, "api")); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			if err := kuboBehindGate(repo); err != nil {
				return err
			}
			return chooseSwarmPort(repo, cfg)
		},
	}
	own := ""
	if cfg.APIAuth {
		if own, err = ServerAPISecret(dir); err != nil {
			cancel()
			return nil, err
		}
	}
	s.gate = newGate(own, !cfg.APIAuth, &s.secret)
	tc, err := serverTLS(dir, cfg)
	if err != nil {
		cancel()
		return nil, err
	}
	gl, err := net.Listen("tcp", net.JoinHostPort(cfg.Listen, strconv.Itoa(cfg.APIPort)))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("server: the record store's API address %s: %w", cfg.APIAddr(), err)
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); serveGate(sctx, s.gate, gl, tc) }()
	for _, d := range []*daemon{s.prosody, s.kubo} {
		if err := d.start(sctx, opts); err != nil {
			s.Stop()
			return nil, err
		}
	}
	if c := cfg; c.DeskPort != 0 {
		d, err := openDesk(dir, secret, time.Now)
		s.desk = d
		if err == nil {
			var l net.Listener
			if l, err = net.Listen("tcp", c.DeskAddr()); err == nil {
				s.wg.Add(1)
				go func() { defer s.wg.Done(); serveDesk(sctx, d, l, tc) }()
			}
		}
		if err != nil {
			s.Stop()
			return nil, fmt.Errorf("server: the join desk: %w", err)
		}
	}
	s.wg.Add(3)
	go s.keep(s.prosody)
	go s.keep(s.kubo)
	go s.watchRotation()
	return s, nil
}

// Config is the running configuration.
func (s *Supervisor) Config() Config { return s.cfg }

// PIDs are the process ids of Prosody and Kubo now (0 while one is down).
func (s *Supervisor) PIDs() (prosody, kubo int) { return s.prosody.pid(), s.kubo.pid() }

// Restarts counts the restarts of Prosody and Kubo so far.
func (s *Supervisor) Restarts() (prosody, kubo int) {
	return s.prosody.restartCount(), s.kubo.restartCount()
}

// Stop stops supervising and stops both daemons (SIGTERM to each process
// group, SIGKILL after StopGrace), waiting until they are gone.
func (s *Supervisor) Stop() {
	s.once.Do(func() {
		s.cancel()
		s.wg.Wait()
		var wg sync.WaitGroup
		for _, d := range []*daemon{s.prosody, s.kubo} {
			wg.Add(1)
			go func() { defer wg.Done(); d.stop(s.opts.StopGrace) }()
		}
		wg.Wait()
	})
}

func (s *Supervisor) logf(format string, args ...any) {
	fmt.Fprintf(s.opts.Out, "medihaven server: "+format+"\n", args...)
}

func (s *Supervisor) printAddresses() {
	c := s.cfg
	p, k := s.PIDs()
	s.logf("the clinic's servers are running on this computer:")
	s.logf("  chat server (Prosody, XMPP) on %s for %s, rooms on %s (pid %d)", c.XMPPAddr(), c.Domain, c.MUC, p)
	auth := "no secret: loopback demo"
	if c.APIAuth {
		auth = "workstations' secret in " + filepath.Join(s.dir, FileAPISecret) + ", the server's own (whole API) in " +
			filepath.Join(s.dir, FileAPIServerSecret)
	}
	swarm := c.SwarmAddr()
	if c.SwarmPort == 0 {
		swarm = "a free port on " + c.Listen
	}
	s.logf("  record store (Kubo, IPFS) API on %s (%s), swarm on %s, private network (pid %d)", c.APIAddr(), auth, swarm, k)
	if c.DeskPort != 0 {
		s.logf("  join desk (where tokens' short codes resolve) on %s", c.DeskAddr())
	}
	s.logf("  chat server certificate SHA-256 pin %s (%s); the record store's API and the join desk speak TLS under it too",
		c.CertPin, filepath.Join(s.dir, FileCertPin))
	if c.OpenRegistration {
		s.logf("  anyone may make a chat account: registration is OPEN (loopback demo)")
	}
	s.logf("keep this running while the clinic works: workstations sync and join through it; a server that stops is restarted")
	s.logf("press Ctrl+C (or send SIGTERM) to stop both; logs in %s", filepath.Join(s.dir, DirLogs))
}

// keep restarts d whenever it dies, with backoff, until the supervisor
// stops.
func (s *Supervisor) keep(d *daemon) {
	defer s.wg.Done()
	backoff := s.opts.MinBackoff
	for {
		p := d.current()
		select {
		case <-p.exited:
		case <-s.ctx.Done():
			return
		}
		if time.Since(p.started) >= stableAfter {
			backoff = s.opts.MinBackoff
		}
		s.logf("%s stopped (%v); restarting in %v (see %s)", d.name, p.err, backoff, d.log)
		for {
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
				return
			}
			backoff = min(2*backoff, s.opts.MaxBackoff)
			err := d.start(s.ctx, s.opts)
			if err == nil {
				d.mu.Lock()
				d.restarts++
				d.mu.Unlock()
				s.logf("%s running again (pid %d)", d.name, d.pid())
				break
			}
			if s.ctx.Err() != nil {
				return
			}
			s.logf("%s did not start again: %v; retrying in %v", d.name, err, backoff)
		}
	}
}

// prosodyReady waits until Prosody accepts client connections.
func (s *Supervisor) prosodyReady(ctx context.Context, p *proc, logOffset int64) error {
	for {
		if err := p.running(); err != nil {
			return err
		}
		if strings.Contains(readFrom(p.log, logOffset), "Failed to open server port") {
			return fmt.Errorf("%w: Prosody could not open %s", ErrPortBusy, s.cfg.XMPPAddr())
		}
		if conn, err := net.DialTimeout("tcp", s.cfg.XMPPAddr(), time.Second); err == nil {
			return conn.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server: Prosody not listening on %s: %w", s.cfg.XMPPAddr(), ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// kuboReady waits until Kubo has written its API file and the API answers
// (with the secret).
func (s *Supervisor) kuboReady(ctx context.Context, p *proc, _ int64) error {
	opts := []ipfs.Option{ipfs.WithPin(s.cfg.CertPin)} // the gate's TLS (tls.go)
	if secret := *s.secret.Load(); secret != "" {
		opts = append(opts, ipfs.WithBearer(secret))
	}
	c := ipfs.New(s.cfg.APIAddr(), opts...)
	apiFile := filepath.Join(s.dir, DirKubo, "api")
	for {
		if err := p.running(); err != nil {
			return err
		}
		// Kubo's own API, on a loopback port it chose (kuboOwnAPI): the
		// gate forwards there from now on.
		if addr := kuboAPIFile(filepath.Dir(apiFile)); addr != "" {
			s.gate.upstream.Store(&addr)
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := c.Ping(pctx)
			cancel()
			if err == nil {
				return nil
			}
			if errors.Is(err, ipfs.ErrForbidden) {
				return fmt.Errorf("server: Kubo refuses the secret in %s: %w", filepath.Join(s.dir, FileAPISecret), err)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server: Kubo API not answering on %s: %w", s.cfg.APIAddr(), ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// portsFree checks that the ports of c are free on its address.
func portsFree(c Config) error {
	for _, p := range []struct {
		what string
		port int
		flag string
	}{{"XMPP (Prosody)", c.XMPPPort, "--xmpp-port"}, {"Kubo API", c.APIPort, "--api-port"}, {"Kubo swarm", c.SwarmPort, "--swarm-port"},
		{"join desk", c.DeskPort, "--desk-port"}} {
		if p.port == 0 {
			continue
		}
		addr := net.JoinHostPort(c.Listen, strconv.Itoa(p.port))
		l, err := net.Listen("tcp", addr)
		if err == nil {
			l.Close()
			continue
		}
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			return fmt.Errorf("%w: %s port %s is taken by another program (another `medihaven server run`?); stop it, or choose another port with `server init --force %s PORT`", ErrPortBusy, p.what, addr, p.flag)
		case errors.Is(err, syscall.EADDRNOTAVAIL):
			return fmt.Errorf("%w: this computer has no address %s (--listen); check its network settings", ErrInvalid, c.Listen)
		default:
			return fmt.Errorf("server: cannot listen on %s for %s: %w", addr, p.what, err)
		}
	}
	return nil
}

// daemon is one supervised server program.
type daemon struct {
	name   string
	bin    string
	args   []string
	env    []string
	log    string
	ready  func(ctx context.Context, p *proc, logOffset int64) error
	before func() error

	mu       sync.Mutex
	cur      *proc
	restarts int
}

// proc is one run of a daemon, in its own process group.
type proc struct {
	cmd     *exec.Cmd
	log     string
	started time.Time
	exited  chan struct{}
	err     error // set before exited is closed
}

func (d *daemon) current() *proc {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cur
}

func (d *daemon) pid() int {
	p := d.current()
	if p == nil || p.running() != nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (d *daemon) restartCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.restarts
}

// start starts the daemon and waits until it is ready; on failure the
// process is stopped and the error carries the log's tail.
func (d *daemon) start(ctx context.Context, o RunOptions) error {
	if d.before != nil {
		if err := d.before(); err != nil {
			return fmt.Errorf("server: prepare %s: %w", d.name, err)
		}
	}
	rotate(d.log)
	var offset int64
	if info, err := os.Stat(d.log); err == nil {
		offset = info.Size()
	}
	out, err := os.OpenFile(d.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("server: open %s log: %w", d.name, err)
	}
	defer out.Close() // the child keeps its own descriptor
	fmt.Fprintf(out, "--- medihaven server: starting %s at %s\n", d.name, time.Now().UTC().Format(time.RFC3339))
	cmd := exec.Command(d.bin, d.args...)
	cmd.Env = d.env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("server: start %s: %w", d.name, err)
	}
	p := &proc{cmd: cmd, log: d.log, started: time.Now(), exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		if p.err == nil {
			p.err = errors.New("exited")
		}
		close(p.exited)
	}()
	rctx, cancel := context.WithTimeout(ctx, o.ReadyTimeout)
	defer cancel()
	if err := d.ready(rctx, p, offset); err != nil {
		p.stop(o.StopGrace)
		return fmt.Errorf("%w\n%s", err, logTail(d.log, offset))
	}
	d.mu.Lock()
	d.cur = p
	d.mu.Unlock()
	return nil
}

func (d *daemon) stop(grace time.Duration) {
	if p := d.current(); p != nil {
		p.stop(grace)
	}
}

// running reports an error if the process has exited.
func (p *proc) running() error {
	select {
	case <-p.exited:
		return fmt.Errorf("server: %s exited early: %v", filepath.Base(p.cmd.Path), p.err)
	default:
		return nil
	}
}

// stop sends SIGTERM to the process group, SIGKILL after grace, and waits
// until the process is gone.
func (p *proc) stop(grace time.Duration) {
	select {
	case <-p.exited:
		return
	default:
	}
	pid := p.cmd.Process.Pid
	signalGroup(pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		signalGroup(pid, syscall.SIGKILL)
		<-p.exited
	}
}

// rotate keeps one old copy of a log that grew past maxLog.
func rotate(log string) {
	if info, err := os.Stat(log); err == nil && info.Size() > maxLog {
		_ = os.Rename(log, log+".1")
	}
}

// readFrom returns a file's content after offset.
func readFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}

// logTail is the last lines a run wrote to a log, for error messages.
func logTail(path string, offset int64) string {
	lines := strings.Split(strings.TrimRight(readFrom(path, offset), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return "--- " + path + " (tail) ---\n" + strings.Join(lines, "\n")
}
