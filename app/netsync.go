package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// Network sync. Each workstation packs the envelopes waiting in its outbox
// into one IPFS object (pinned), whose "prev" names its previous pack, and
// announces its new head (device, seq, hash, CID) in the clinic's sync room
// on XMPP. A workstation that hears of a head it lacks fetches packs,
// walking back until it reaches what it holds, and applies them. Only
// ciphertext and ids ever leave the workstation. While Kubo or Prosody is
// down, work goes on: the outbox keeps every unsent event and retries with
// backoff, and every workstation re-announces its head when it (re)joins the
// room and when another joins, so nobody depends on the room's history.

// SyncConfig says how a workstation reaches the clinic's services.
type SyncConfig struct {
	IPFS     string // Kubo API address (multiaddr or host:port)
	XMPPAddr string // host:port
	Domain   string // XMPP domain; the sync room is sync@rooms.DOMAIN
	// PinnedCert is the XMPP server's certificate (PEM) when it is
	// self-signed: only it is trusted. Empty: the system's CAs verify it.
	PinnedCert []byte
	// CertPin is the SHA-256 of the XMPP server's certificate (hex): only
	// a server presenting that certificate is trusted.
	CertPin string
	// Register creates the workstation's XMPP account in-band on first
	// connect: for loopback tests and demos only.
	Register bool
	// Backoff bounds for retries (defaults 100 ms and 5 s).
	MinBackoff, MaxBackoff time.Duration

	// For tests: the pack bytes one fetch worker may hold (fetchShare)
	// and the packs one walk remembers (walkSegment).
	fetchShare  int64
	walkSegment int
}

// SyncStatus is what the status bar shows.
type SyncStatus struct {
	Connected  bool // XMPP session up and in the sync room
	IPFSUp     bool // the last call to Kubo worked
	Waiting    int  // changes waiting to be sent
	CatchingUp bool
	Behind     int    // envelopes known to exist and not yet fetched
	Problems   int    // envelopes or packs refused so far
	Announced  uint64 // sequence of this workstation's head last announced
	LastError  string
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

// Syncer runs a session's network sync until Stop.
type Syncer struct {
	s   *Session
	cfg SyncConfig
	tls *tls.Config
	ipf *ipfs.Client

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	kick   chan struct{}
	heard  chan heardHead
	again  chan struct{} // re-announce soon: a workstation we had not heard of spoke
	maint  chan struct{} // run the upkeep: fetched events were applied
	peers  sync.Map      // device ids heard in the room
	// resend wakes resendLoop: a workstation asked for this device's
	// events again from resendFrom (mh1 want; netsync_resend.go).
	resend chan struct{}

	// Pack bytes held by the fetch workers now, and the most ever.
	packBytes, peakPackBytes atomic.Int64

	mu         sync.Mutex
	status     SyncStatus
	xs         *xmpp.Session
	problems   []replica.Problem
	pushed     []string             // CIDs of the packs this syncer put on IPFS
	resendFrom uint64               // lowest seq asked for again, 0 for none
	asked      map[string]time.Time // when we last asked a device again
	answered   map[string]time.Time // when we last answered a requester's want
	repacks    []repack             // packs recently sent again
	behind     map[string]int       // by device: events known and not yet applied
	onStatus   map[int]func(SyncStatus)
	listener   int
}

const (
	syncRoomUser  = "sync"
	metaPackHead  = "sync/pack-head"
	metaPackSeq   = "sync/pack-seq"
	secretXMPP    = "sync/xmpp-password"
	packChunk     = 2000    // envelopes per pack at most
	packBytes     = 4 << 20 // envelope bytes per pack at most (one larger envelope goes alone): far below replica.MaxPackBytes once in base64
	applyChunk    = 5000    // envelopes per Apply call while catching up (one transaction, one sorted index write)
	reannounceGap = 15 * time.Second
	helloGap      = time.Second
)

// StartSync connects the session to the clinic's Kubo and Prosody and keeps
// it in sync until Stop. It returns at once; connection trouble shows in
// Status and is retried.
func (s *Session) StartSync(ctx context.Context, cfg SyncConfig) (*Syncer, error) {
	if _, err := s.live(); err != nil {
		return nil, err
	}
	if cfg.IPFS == "" || cfg.XMPPAddr == "" || cfg.Domain == "" {
		return nil, fmt.Errorf("%w: sync needs the clinic's Kubo API address, XMPP server and domain (settings)", ErrInvalidInput)
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	tc := &tls.Config{ServerName: cfg.Domain, MinVersion: tls.VersionTLS12}
	switch {
	case len(cfg.PinnedCert) > 0:
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(cfg.PinnedCert) {
			return nil, fmt.Errorf("%w: the pinned XMPP server certificate is not a PEM certificate", ErrInvalidInput)
		}
	case cfg.CertPin != "":
		pin, err := hex.DecodeString(cfg.CertPin)
		if err != nil || len(pin) != sha256.Size {
			return nil, fmt.Errorf("%w: the XMPP server's certificate pin is not a SHA-256 in hex", ErrInvalidInput)
		}
		// The chain is not checked against any authority: the server's
		// certificate must be exactly the pinned one.
		tc.InsecureSkipVerify = true
		tc.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("app: the XMPP server showed no certificate")
			}
			if sum := sha256.Sum256(raw[0]); !bytes.Equal(sum[:], pin) {
				return errors.New("app: the XMPP server's certificate is not the one this clinic pinned: ask your administrator")
			}
			return nil
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	y := &Syncer{s: s, cfg: cfg, tls: tc, ipf: ipfs.New(cfg.IPFS), ctx: ctx, cancel: cancel,
		kick: make(chan struct{}, 1), heard: make(chan heardHead, 1024), again: make(chan struct{}, 1),
		maint: make(chan struct{}, 1), resend: make(chan struct{}, 1),
		asked: map[string]time.Time{}, answered: map[string]time.Time{}, behind: map[string]int{}}
	s.onAppend(y.Kick)
	s.linkChat(y) // chat (issue 8): the chat sends through this sync's XMPP session
	y.wg.Add(5)
	go y.connectLoop()
	go y.pushLoop()
	go y.fetchLoop()
	go y.maintainLoop()
	go y.resendLoop()
	y.Kick()
	return y, nil
}

// Stop ends the sync and waits for its goroutines.
func (y *Syncer) Stop() {
	y.cancel()
	y.wg.Wait()
	y.s.unlinkChat(y) // chat (issue 8)
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
func (y *Syncer) Status() SyncStatus {
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

// OnStatus calls fn with the current status and then (from a sync
// goroutine) whenever it changes, until stop is called.
func (y *Syncer) OnStatus(fn func(SyncStatus)) (stop func()) {
	y.mu.Lock()
	y.listener++
	id := y.listener
	if y.onStatus == nil {
		y.onStatus = map[int]func(SyncStatus){}
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

func (y *Syncer) update(fn func(*SyncStatus)) {
	y.mu.Lock()
	before := y.status
	fn(&y.status)
	now := y.status
	fns := make([]func(SyncStatus), 0, len(y.onStatus))
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
			// This workstation's own events are never refused here: one
			// of its device that is, was written elsewhere.
			if p.OwnDevice || p.Device == own {
				forked = fmt.Sprintf("Event %d of this workstation's own chain was written elsewhere and refused (%s). "+
					"Your own records are kept; tell your administrator.", p.Seq, p.Reason)
			}
		}
	}
	y.mu.Lock()
	y.problems = append(y.problems, ps...)
	if n := len(y.problems); n > maxProblems {
		y.problems = append(y.problems[:0:0], y.problems[n-maxProblems:]...)
	}
	y.mu.Unlock()
	y.update(func(st *SyncStatus) {
		st.Problems += len(ps)
		st.LastError = ps[len(ps)-1].String()
		if forked != "" {
			st.Forked = forked
		}
	})
}

// ownDeviceID is this workstation's device id, "" while locked.
func (y *Syncer) ownDeviceID() string {
	r, err := y.s.live()
	if err != nil {
		return ""
	}
	return r.Device()
}

// ownDevice reports whether device is this workstation's.
func (y *Syncer) ownDevice(device string) bool { return device == y.ownDeviceID() }

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

func (y *Syncer) room() string { return syncRoomUser + "@rooms." + y.cfg.Domain }

// ---- XMPP: connect, join, announce, reconnect ----

func (y *Syncer) connectLoop() {
	defer y.wg.Done()
	for attempt := 0; y.ctx.Err() == nil; attempt++ {
		xs, err := y.connect()
		if err != nil {
			y.update(func(st *SyncStatus) { st.Connected = false; st.LastError = err.Error() })
			if !y.sleep(y.backoff(attempt)) {
				return
			}
			continue
		}
		attempt = 0
		y.mu.Lock()
		y.xs = xs
		y.mu.Unlock()
		y.update(func(st *SyncStatus) { st.Connected = true })
		y.announce()
		y.hello(xs)
		y.wg.Add(1)
		go func() { defer y.wg.Done(); y.chatConnected(xs) }() // chat (issue 8): room, queue, archive
		tick := time.NewTicker(reannounceGap)
		// Hellos and newcomers make this workstation say its head again,
		// at most once per helloGap however many ask.
		var soon <-chan time.Time
		last := time.Now()
	serve:
		for {
			select {
			case <-y.ctx.Done():
				tick.Stop()
				return
			case <-xs.Done():
				break serve
			case <-tick.C:
				y.announce()
				last = time.Now()
			case <-y.again:
				if wait := helloGap - time.Since(last); wait > 0 {
					if soon == nil {
						soon = time.After(wait)
					}
					continue
				}
				y.announce()
				last = time.Now()
			case <-soon:
				soon = nil
				y.announce()
				last = time.Now()
			}
		}
		tick.Stop()
		y.mu.Lock()
		y.xs = nil
		y.mu.Unlock()
		xs.Close()
		y.update(func(st *SyncStatus) { st.Connected = false })
	}
}

func (y *Syncer) connect() (*xmpp.Session, error) {
	r, err := y.s.live()
	if err != nil {
		return nil, err
	}
	pass, err := y.xmppPassword(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(y.ctx, 10*time.Second)
	defer cancel()
	xs, err := xmpp.Dial(ctx, xmpp.Config{JID: r.Device() + "@" + y.cfg.Domain, Password: pass, Addr: y.cfg.XMPPAddr,
		TLS: y.tls, Register: y.cfg.Register, OnPresence: y.chatPresence}, y.onMessage)
	if err != nil {
		return nil, fmt.Errorf("app: connect to the clinic's chat server: %w", err)
	}
	if err := joinRoom(ctx, xs, y.room(), r.Device()); err != nil {
		xs.Close()
		return nil, fmt.Errorf("app: join the sync room: %w", err)
	}
	return xs, nil
}

// joinRoom joins a room under the device id as nickname, or, when someone
// took it, under the device id and a random suffix: who speaks is known by
// the account, never the nickname, so a squatter cannot keep a
// workstation out.
func joinRoom(ctx context.Context, xs *xmpp.Session, room, device string) error {
	err := xs.JoinRoom(ctx, room, device)
	if errors.Is(err, xmpp.ErrNickInUse) {
		err = xs.JoinRoom(ctx, room, device+"-"+newID(4))
	}
	return err
}

// xmppPassword returns this workstation's XMPP account password, made on
// first use and kept sealed with the device key.
func (y *Syncer) xmppPassword(r *replica.Replica) (string, error) {
	dk := y.s.deviceKey()
	var pass string
	err := r.DB().Update(y.ctx, func(tx *store.Tx) error {
		sealed, err := tx.Secret(y.ctx, secretXMPP)
		if errors.Is(err, store.ErrNotFound) {
			pass = newID(24)
			sealed, err := dk.Seal([]byte(pass), []byte(secretXMPP))
			if err != nil {
				return err
			}
			return tx.PutSecret(y.ctx, secretXMPP, sealed)
		}
		if err != nil {
			return err
		}
		plain, err := dk.Open(sealed, []byte(secretXMPP))
		pass = string(plain)
		return err
	})
	return pass, err
}

// helloBody asks every workstation in the sync room to say its head: a
// workstation sends it when it (re)joins, having perhaps missed some.
const helloBody = "mh1 hello"

// onMessage sorts what the XMPP session hears: sync messages in the sync
// room, staff chat everywhere else.
func (y *Syncer) onMessage(m xmpp.Message) {
	if !m.Room || bareOf(m.From) != y.room() {
		y.chatMessage(m) // chat (issue 8)
		return
	}
	device, fromWorkstation := y.workstationOf(m.Sender)
	refuse := func() {
		y.update(func(st *SyncStatus) {
			st.Refused++
			if m.Sender == "" {
				st.LastError = "app: the sync room does not tell who speaks in it, so no announcement can be believed: " +
					"ask your administrator to make it show real addresses (Prosody: muc_room_default_public_jids = true)"
			}
		})
	}
	if m.Body == helloBody {
		switch {
		case !m.Delay.IsZero(): // said before this workstation joined
		case fromWorkstation && y.ownDevice(device): // our own, reflected
		case !fromWorkstation:
			refuse()
		default:
			select {
			case y.again <- struct{}{}:
			default:
			}
		}
		return
	}
	if w, ok := replica.ParseWant(m.Body); ok {
		switch {
		case !m.Delay.IsZero(): // asked before: not replayed from the room's history
		case !fromWorkstation:
			refuse()
		default:
			y.wanted(w, m.Sender)
		}
		return
	}
	a, ok := replica.ParseAnnouncement(m.Body)
	if !ok {
		return // the sync room carries nothing else
	}
	own := fromWorkstation && device == a.Device
	if !own && !y.ownDevice(a.Device) {
		// Only a device's own account speaks for it. (A head of this
		// workstation's own device said by another account is kept: it
		// may show that someone writes in its chain.)
		refuse()
		return
	}
	if own {
		if _, known := y.peers.LoadOrStore(a.Device, true); !known {
			// A workstation we had not heard of may have missed our head.
			select {
			case y.again <- struct{}{}:
			default:
			}
		}
	}
	select {
	case y.heard <- heardHead{Announcement: a, own: own}:
	default: // a flood: the periodic re-announcement will bring it back
		y.update(func(st *SyncStatus) { st.Dropped++ })
	}
}

// workstationOf returns the device of a workstation's XMPP account
// (DEVICE@DOMAIN, the clinic's domain); ok is false for any other account.
func (y *Syncer) workstationOf(account string) (device string, ok bool) {
	local, domain, found := strings.Cut(account, "@")
	if !found || domain != y.cfg.Domain || !replica.ValidDevice(local) {
		return "", false
	}
	return local, true
}

func (y *Syncer) hello(xs *xmpp.Session) {
	y.sayOn(xs, helloBody)
}

// say says text in the sync room; false when it was not said (offline, or
// the send failed, which the status shows).
func (y *Syncer) say(text string) bool {
	y.mu.Lock()
	xs := y.xs
	y.mu.Unlock()
	return xs != nil && y.sayOn(xs, text)
}

func (y *Syncer) sayOn(xs *xmpp.Session, text string) bool {
	ctx, cancel := context.WithTimeout(y.ctx, 5*time.Second)
	defer cancel()
	if err := xs.SendRoom(ctx, y.room(), text); err != nil {
		y.update(func(st *SyncStatus) { st.LastError = err.Error() })
		return false
	}
	return true
}

// announce says this workstation's newest pushed head in the sync room.
func (y *Syncer) announce() {
	r, err := y.s.live()
	if err != nil {
		return
	}
	var a replica.Announcement
	err = r.DB().View(y.ctx, func(tx *store.Tx) error {
		cid, err := tx.Meta(y.ctx, metaPackHead)
		if err != nil {
			return err
		}
		seqb, err := tx.Meta(y.ctx, metaPackSeq)
		if err != nil {
			return err
		}
		seq, err := strconv.ParseUint(string(seqb), 10, 64)
		if err != nil {
			return err
		}
		e, err := tx.EnvelopeAt(y.ctx, r.Device(), seq)
		if err != nil {
			return err
		}
		a = replica.Announcement{Device: r.Device(), Seq: seq, Hash: e.Hash, CID: string(cid)}
		return nil
	})
	if err != nil {
		return // nothing pushed yet
	}
	if y.say(a.String()) {
		y.update(func(st *SyncStatus) { st.Announced = a.Seq })
	}
}

// ---- push: outbox → pack on IPFS → announcement ----

func (y *Syncer) pushLoop() {
	defer y.wg.Done()
	attempt := 0
	for {
		wait := time.Second
		n, err := y.push()
		switch {
		case err != nil:
			attempt++
			wait = y.backoff(attempt)
			y.update(func(st *SyncStatus) { st.IPFSUp = false; st.LastError = err.Error() })
		case n > 0:
			attempt = 0
			y.announce()
			continue // more may wait
		default:
			attempt = 0
		}
		select {
		case <-y.ctx.Done():
			return
		case <-y.kick:
		case <-time.After(wait):
		}
	}
}

// push sends one pack of waiting envelopes; it returns how many it sent.
func (y *Syncer) push() (int, error) {
	r, err := y.s.live()
	if err != nil {
		return 0, nil
	}
	now := time.Now().UnixMilli()
	var rows []store.Envelope
	var prev string
	var waiting int
	err = r.DB().View(y.ctx, func(tx *store.Tx) error {
		if waiting, err = tx.OutboxLen(y.ctx); err != nil {
			return err
		}
		items, err := tx.Due(y.ctx, now, packChunk)
		if err != nil {
			return err
		}
		for _, it := range items {
			e, err := tx.Envelope(y.ctx, it.EnvelopeID)
			if err != nil {
				return err
			}
			rows = append(rows, e)
		}
		if b, err := tx.Meta(y.ctx, metaPackHead); err == nil {
			prev = string(b)
		}
		return nil
	})
	y.update(func(st *SyncStatus) { st.Waiting = waiting })
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Seq < rows[j].Seq })
	// One contiguous run of this device's chain.
	run := rows[:1]
	size := len(rows[0].Raw)
	for _, e := range rows[1:] {
		if e.Seq != run[len(run)-1].Seq+1 || size+len(e.Raw) > packBytes {
			break
		}
		run = append(run, e)
		size += len(e.Raw)
	}
	p := replica.Pack{Device: r.Device(), From: run[0].Seq, To: run[len(run)-1].Seq, Prev: prev}
	for _, e := range run {
		p.Envelopes = append(p.Envelopes, e.Raw)
	}
	b, err := p.Encode()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(y.ctx, 30*time.Second)
	defer cancel()
	cid, err := y.ipf.Put(ctx, b)
	if err != nil {
		_ = r.DB().Update(y.ctx, func(tx *store.Tx) error {
			for _, e := range run {
				if err := tx.MarkFailed(y.ctx, e.ID, err.Error(), now+y.cfg.MinBackoff.Milliseconds()); err != nil {
					return err
				}
			}
			return nil
		})
		return 0, fmt.Errorf("app: the clinic's IPFS node did not take the changes (they wait and are retried): %w", err)
	}
	err = r.DB().Update(y.ctx, func(tx *store.Tx) error {
		if err := tx.SetMeta(y.ctx, metaPackHead, []byte(cid)); err != nil {
			return err
		}
		if err := tx.SetMeta(y.ctx, metaPackSeq, []byte(strconv.FormatUint(p.To, 10))); err != nil {
			return err
		}
		for _, e := range run {
			if err := tx.MarkSent(y.ctx, e.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	y.mu.Lock()
	y.pushed = append(y.pushed, cid)
	y.mu.Unlock()
	y.update(func(st *SyncStatus) { st.IPFSUp = true; st.Waiting = max(0, waiting-len(run)) })
	return len(run), nil
}
