package netsync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// Config says how a workstation reaches the clinic's services.
type Config struct {
	IPFS string // Kubo API address (multiaddr or host:port)
	// IPFSSecret is the Kubo API's bearer secret ("" when it asks none):
	// `medihaven server init` protects the API with one (issue 16).
	IPFSSecret string
	// IPFSPin, when set, is the SHA-256 (hex) of the certificate the
	// clinic's server (sync/server) serves its record store's API under,
	// its chat server's: the API is then reached over TLS and only that
	// certificate is accepted, so the secret never crosses the LAN in
	// clear. "": plain HTTP (a Kubo of one's own, the tests' nodes).
	IPFSPin  string
	XMPPAddr string // host:port
	Domain   string // XMPP domain; the sync room is sync@rooms.DOMAIN
	// PinnedCert is the XMPP server's certificate (PEM) when it is
	// self-signed: only it is trusted. Empty: the system's CAs verify it.
	PinnedCert []byte
	// CertPin is the SHA-256 of the XMPP server's certificate (hex): only
	// a server presenting that certificate is trusted.
	CertPin string
	// OnIPFSSecret, when set, is told the workstations' new Kubo API
	// secret the server gave after refusing the old one (secret.go): the
	// workstation keeps it sealed for its next start. It must not block.
	OnIPFSSecret func(secret string) `json:"-"`
	// Register creates the workstation's XMPP account in-band on first
	// connect: for loopback tests and demos only.
	Register bool
	// Backoff bounds for retries (defaults 100 ms and 5 s).
	MinBackoff, MaxBackoff time.Duration

	// FetchShare bounds the pack bytes one fetch worker holds, WalkSegment
	// the packs one walk back through a chain remembers (0: the defaults,
	// 16 MiB and 4096; tests set them low).
	FetchShare  int64
	WalkSegment int

	// onStage, when set, is told when a change reaches each stage on its
	// way (stages.go): tests only.
	onStage func(s stage, device string, seq uint64)
}

// Status is what the status bar shows.
type Status struct {
	Connected  bool // XMPP session up and in the sync room
	IPFSUp     bool // the last call to Kubo worked
	Waiting    int  // changes waiting to be sent: the own chain above what was pushed (Unsent)
	CatchingUp bool
	// CaughtUp is set once the first catch-up after joining the sync room
	// is done: every head heard was fetched (or given up), and the room
	// stayed quiet for a moment (caughtup.go). It stays set.
	CaughtUp bool
	Behind   int // envelopes known to exist and not yet fetched
	// Left estimates how long the catch-up of Behind takes at the rate
	// envelopes were applied lately (0 while unknown): the progress bar
	// says it.
	Left      time.Duration
	Problems  int    // envelopes or packs refused so far
	Announced uint64 // sequence of this workstation's head last announced
	LastError string
	// Refused counts sync messages not believed: a head, want or hello
	// not said by the XMPP account of a workstation (a head: of the
	// device it names). They are dropped, never an error.
	Refused int
	// Dropped counts heads let go unfetched in a flood (a device's lane
	// or the lanes were full), GaveUp those whose packs never came.
	Dropped, GaveUp int
	// Forked, when set, says that events of this workstation's own device
	// were written elsewhere (someone signs in its chain): show it to the
	// person and tell the administrator. The problems list names them.
	Forked string
}

// Workstation is what the sync needs of the workstation it runs for: its
// clinic log, its upkeep and its XMPP account's password. The logged-in
// session implements it (app).
type Workstation interface {
	// Replica returns the workstation's clinic log, or an error while the
	// workstation is locked: the sync then waits and tries again.
	Replica() (*replica.Replica, error)
	// Upkeep runs the workstation's upkeep (admissions, grants, key
	// rotations) after fetched events were applied; nil while locked.
	Upkeep(ctx context.Context) error
	// XMPPPassword returns the password of the workstation's XMPP account
	// (DEVICE@DOMAIN), made on first use and kept sealed on the
	// workstation.
	XMPPPassword(ctx context.Context) (string, error)
}

// ErrInvalidConfig means the sync settings are incomplete or wrong: the
// wrapping says which.
var ErrInvalidConfig = errors.New("netsync: the clinic's server settings are incomplete or wrong")

// Syncer runs a workstation's network sync until Stop.
type Syncer struct {
	ws   Workstation
	chat Chat // nil: no chat rides on this sync
	cfg  Config
	tls  *tls.Config
	ipf  *ipfs.Client
	// secret is the Kubo API secret in use, asked for again when refused.
	secret ipfsSecret

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	kick   chan struct{}
	heard  chan heardHead
	again  chan struct{} // re-announce soon: a workstation we had not heard of spoke
	maint  chan struct{} // run the upkeep: fetched events were applied
	peers  sync.Map      // device ids heard in the room
	known  sync.Map      // devices this workstation holds verified events of (knownDevice)
	// resend wakes resendLoop: a workstation asked for this device's
	// events again from a seq in wants (mh1 want; resend.go).
	resend chan struct{}

	// Pack bytes held by the fetch workers now, and the most ever.
	packBytes, peakPackBytes atomic.Int64
	// The first catch-up after joining (Status.CaughtUp).
	round firstRound
	// What the catch-up did (Counts).
	fetches, handed, fresh, skipped, stale, heardN, applies atomic.Int64
	// Fresh heads' batches waiting to be applied together (group.go).
	group groupApply
	// What this workstation last kept on its PEP node (pepheads.go).
	pepMu sync.Mutex
	pep   pepHead

	mu          sync.Mutex
	status      Status
	lastErrFrom errFrom // under mu: what set status.LastError
	xs          *xmpp.Session
	problems    []replica.Problem
	pushed      []string             // CIDs of the packs this syncer put on IPFS
	wants       []pendingWant        // wants not answered yet, oldest first (resend.go)
	asked       map[string]time.Time // when we last asked a device again
	answered    map[asker]time.Time  // when we last answered a requester's want for a device
	repacks     []repack             // packs recently sent again
	behind      map[string]int       // by device: events known and not yet applied
	rate        float64              // envelopes applied per second lately (a moving average)
	openRate    float64              // envelopes kept sealed opened per second lately, once a key arrived
	onStatus    map[int]func(Status)
	listener    int
}

// Store meta keys of this workstation's newest pack on IPFS.
const (
	// MetaPackHead holds the CID of the newest pack pushed.
	MetaPackHead = "sync/pack-head"
	// MetaPackSeq holds the seq of the last envelope in it (decimal).
	MetaPackSeq = "sync/pack-seq"
	// metaMovedHead and metaMovedSeq are MetaPackHead and MetaPackSeq of
	// the chain this workstation moved from (MoveChain): still announced,
	// so a newcomer fetches what it wrote there.
	metaMovedHead = "sync/moved-pack-head"
	metaMovedSeq  = "sync/moved-pack-seq"
)

// MoveChain readies this workstation's sync for its chain's move onto a
// bound id (sync/replica MoveFrom, app/move.go), in tx, once the old
// chain was all pushed (Unsent): its newest pack is kept as the old
// chain's, still announced, and the new chain's packs start from none.
func MoveChain(ctx context.Context, tx *store.Tx) error {
	for from, to := range map[string]string{MetaPackHead: metaMovedHead, MetaPackSeq: metaMovedSeq} {
		v, err := tx.Meta(ctx, from)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return fmt.Errorf("netsync: move the chain: %w", err)
		}
		if err := tx.SetMeta(ctx, to, v); err != nil {
			return fmt.Errorf("netsync: move the chain: %w", err)
		}
		if err := tx.DeleteMeta(ctx, from); err != nil {
			return fmt.Errorf("netsync: move the chain: %w", err)
		}
	}
	return nil
}

const (
	packChunk     = 2000    // envelopes per pack at most
	packBytes     = 4 << 20 // envelope bytes per pack at most (one larger envelope goes alone): far below replica.MaxPackBytes once in base64
	applyChunk    = 5000    // envelopes per Apply call while catching up (one transaction, one sorted index write)
	reannounceGap = 15 * time.Second
	helloGap      = time.Second
)

// Start connects workstation ws to the clinic's Kubo and Prosody and keeps
// it in sync until Stop; chat, when not nil, rides on the sync's XMPP
// session. It returns at once; connection trouble shows in Status and is
// retried. Bad settings give an error wrapping ErrInvalidConfig.
func Start(ctx context.Context, cfg Config, ws Workstation, chat Chat) (*Syncer, error) {
	if _, err := ws.Replica(); err != nil {
		return nil, err
	}
	if cfg.IPFS == "" || cfg.XMPPAddr == "" || cfg.Domain == "" {
		return nil, fmt.Errorf("%w: sync needs the clinic's Kubo API address, XMPP server and domain (settings)", ErrInvalidConfig)
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	y := &Syncer{ws: ws, chat: chat, cfg: cfg, tls: tc, ctx: ctx, cancel: cancel,
		kick: make(chan struct{}, 1), heard: make(chan heardHead, 1024), again: make(chan struct{}, 1),
		maint: make(chan struct{}, 1), resend: make(chan struct{}, 1),
		asked: map[string]time.Time{}, answered: map[asker]time.Time{}, behind: map[string]int{}}
	y.secret = ipfsSecret{current: cfg.IPFSSecret, refused: make(chan struct{}, 1)}
	y.ipf = ipfs.New(cfg.IPFS, ipfs.WithBearer(cfg.IPFSSecret), ipfs.WithPin(cfg.IPFSPin), ipfs.WithOnForbidden(y.forbidden))
	if chat != nil {
		chat.Started(ctx, y)
	}
	y.wg.Add(6)
	go y.connectLoop()
	go y.pushLoop()
	go y.fetchLoop()
	go y.maintainLoop()
	go y.resendLoop()
	go y.secretLoop()
	y.Kick()
	return y, nil
}

// Stop ends the sync and waits for its goroutines.
func (y *Syncer) Stop() {
	y.cancel()
	y.wg.Wait()
	if y.chat != nil {
		y.chat.Stopped(y)
	}
	y.mu.Lock()
	if y.xs != nil {
		y.xs.Close()
		y.xs = nil
	}
	y.mu.Unlock()
}

// Kick asks the syncer to push what waits in the outbox now.
func (y *Syncer) Kick() {
	select {
	case y.kick <- struct{}{}:
	default:
	}
}

// Status returns the current sync status.
func (y *Syncer) Status() Status {
	y.mu.Lock()
	defer y.mu.Unlock()
	return y.status
}

// Problems returns the envelopes and packs refused so far.
func (y *Syncer) Problems() []replica.Problem {
	y.mu.Lock()
	defer y.mu.Unlock()
	return append([]replica.Problem(nil), y.problems...)
}

// Pushed returns the CIDs of the packs this syncer put on IPFS.
func (y *Syncer) Pushed() []string {
	y.mu.Lock()
	defer y.mu.Unlock()
	return append([]string(nil), y.pushed...)
}

// PackBytes returns the bytes of packs the fetch workers hold now and the
// most they ever held at once (at most FetchWorkers times the fetch share).
func (y *Syncer) PackBytes() (now, peak int64) {
	return y.packBytes.Load(), y.peakPackBytes.Load()
}

// OnStatus calls fn with the current status and then (from a sync
// goroutine) whenever it changes, until stop is called.
func (y *Syncer) OnStatus(fn func(Status)) (stop func()) {
	y.mu.Lock()
	y.listener++
	id := y.listener
	if y.onStatus == nil {
		y.onStatus = map[int]func(Status){}
	}
	y.onStatus[id] = fn
	st := y.status
	y.mu.Unlock()
	fn(st)
	return func() {
		y.mu.Lock()
		delete(y.onStatus, id)
		y.mu.Unlock()
	}
}

// errFrom is what set Status.LastError, so that it goes once that works
// again (a recovered sync says no trouble it no longer has).
type errFrom int

const (
	errOther   errFrom = iota // stays until another error replaces it
	errConnect                // the chat server: cleared on connecting
	errIPFS                   // the record store: cleared when a push or ping works
	errUpkeep                 // the upkeep: cleared when it next succeeds
)

// fail shows err as the last error, set by from; more, when given,
// changes the status too.
func (y *Syncer) fail(from errFrom, err error, more func(*Status)) {
	y.update(func(st *Status) {
		st.LastError, y.lastErrFrom = err.Error(), from
		if more != nil {
			more(st)
		}
	})
}

// works clears the last error when from set it and works again; more,
// when given, changes the status too.
func (y *Syncer) works(from errFrom, more func(*Status)) {
	y.update(func(st *Status) {
		if y.lastErrFrom == from && from != errOther {
			st.LastError = ""
		}
		if more != nil {
			more(st)
		}
	})
}

func (y *Syncer) update(fn func(*Status)) {
	y.mu.Lock()
	before := y.status
	fn(&y.status)
	now := y.status
	fns := make([]func(Status), 0, len(y.onStatus))
	for _, f := range y.onStatus {
		fns = append(fns, f)
	}
	y.mu.Unlock()
	if now != before {
		for _, f := range fns {
			f(now)
		}
	}
}

// maxProblems bounds the problems kept (the newest; the count goes on).
const maxProblems = 1000

func (y *Syncer) report(ps ...replica.Problem) {
	if len(ps) == 0 {
		return
	}
	forked := ""
	if own := y.ownDeviceID(); own != "" {
		for _, p := range ps {
			// An event of this device that this workstation did not
			// write was written elsewhere; one it wrote may be refused
			// later, when what arrives judges it again (its writer
			// revoked before she wrote it, a role changed).
			switch {
			case p.OwnDevice:
				forked = fmt.Sprintf("Event %d of this workstation's own chain was written elsewhere and refused (%s). "+
					"Your own records are kept; tell your administrator.", p.Seq, p.Reason)
			case p.Device == own:
				forked = fmt.Sprintf("Event %d written on this workstation was refused by the clinic's rules (%s): "+
					"it changed nothing on any workstation. Tell your administrator.", p.Seq, p.Reason)
			}
		}
		if r, err := y.ws.Replica(); err == nil && r.OwnForked() {
			// Proven forked (replica fork.go): what it wrote from the
			// fork on is set aside everywhere, here too.
			forked = replica.ErrForked.Error()
		}
	}
	y.mu.Lock()
	y.problems = append(y.problems, ps...)
	if n := len(y.problems); n > maxProblems {
		y.problems = append(y.problems[:0:0], y.problems[n-maxProblems:]...)
	}
	y.mu.Unlock()
	y.update(func(st *Status) {
		st.Problems += len(ps)
		st.LastError = ps[len(ps)-1].String()
		if forked != "" {
			st.Forked = forked
		}
	})
}

// ownDeviceID is this workstation's device id, "" while locked.
func (y *Syncer) ownDeviceID() string {
	r, err := y.ws.Replica()
	if err != nil {
		return ""
	}
	return r.Device()
}

// ownDevice reports whether device is this workstation's, or the chain it
// moved from: a restored workstation moves at once (app/move.go) and still
// learns the old computer's last heads from the room's replayed history.
func (y *Syncer) ownDevice(device string) bool {
	r, err := y.ws.Replica()
	return err == nil && (device == r.Device() || device == r.MovedFrom() && device != "")
}

// ownAccount reports whether account names this workstation's XMPP
// account (replica.Account).
func (y *Syncer) ownAccount(account string) bool {
	r, err := y.ws.Replica()
	return err == nil && account == r.Account()
}

// speaksFor reports whether account may announce device's chain
// (replica.SpeaksFor).
func (y *Syncer) speaksFor(account, device string) bool {
	r, err := y.ws.Replica()
	return err == nil && r.SpeaksFor(y.ctx, account, device)
}

func (y *Syncer) backoff(attempt int) time.Duration {
	d := y.cfg.MinBackoff << min(attempt, 16)
	if d > y.cfg.MaxBackoff || d <= 0 {
		d = y.cfg.MaxBackoff
	}
	return d
}

func (y *Syncer) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-y.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
