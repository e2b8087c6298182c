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
	"sync"
	"time"

	"github.com/medihaven/medihaven/app/store"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/replica"
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
	heard  chan replica.Announcement
	again  chan struct{} // re-announce soon: a workstation we had not heard of spoke
	peers  sync.Map      // device ids heard in the room
	// resend wakes resendLoop: a workstation asked for this device's
	// events again from resendFrom (mh1 want; netsync_resend.go).
	resend chan struct{}
	asked  map[string]time.Time // fetchLoop only: when we last asked a device again

	mu         sync.Mutex
	status     SyncStatus
	xs         *xmpp.Session
	problems   []replica.Problem
	pushed     []string // CIDs of the packs this syncer put on IPFS
	resendFrom uint64   // lowest seq asked for again, 0 for none
	onStatus   map[int]func(SyncStatus)
	listener   int
}

const (
	syncRoomUser  = "sync"
	metaPackHead  = "sync/pack-head"
	metaPackSeq   = "sync/pack-seq"
	secretXMPP    = "sync/xmpp-password"
	packChunk     = 2000 // envelopes per pack at most
	applyChunk    = 5000 // envelopes per Apply call while catching up (one transaction, one sorted index write)
	reannounceGap = 15 * time.Second
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
		kick: make(chan struct{}, 1), heard: make(chan replica.Announcement, 1024), again: make(chan struct{}, 1),
		resend: make(chan struct{}, 1), asked: map[string]time.Time{}}
	s.onAppend(y.Kick)
	s.linkChat(y) // chat (issue 8): the chat sends through this sync's XMPP session
	y.wg.Add(4)
	go y.connectLoop()
	go y.pushLoop()
	go y.fetchLoop()
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

func (y *Syncer) report(ps ...replica.Problem) {
	if len(ps) == 0 {
		return
	}
	y.mu.Lock()
	y.problems = append(y.problems, ps...)
	y.mu.Unlock()
	y.update(func(st *SyncStatus) { st.Problems += len(ps); st.LastError = ps[len(ps)-1].String() })
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
			case <-y.again:
				y.announce()
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
	if err := xs.JoinRoom(ctx, y.room(), r.Device()); err != nil {
		xs.Close()
		return nil, fmt.Errorf("app: join the sync room: %w", err)
	}
	return xs, nil
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

func (y *Syncer) onMessage(m xmpp.Message) {
	if m.Body == helloBody && m.Delay.IsZero() {
		select {
		case y.again <- struct{}{}:
		default:
		}
		return
	}
	if w, ok := replica.ParseWant(m.Body); ok {
		if m.Delay.IsZero() { // asked now, not replayed from the room's history
			y.wanted(w)
		}
		return
	}
	if a, ok := replica.ParseAnnouncement(m.Body); ok {
		if _, known := y.peers.LoadOrStore(a.Device, true); !known {
			// A workstation we had not heard of may have missed our head.
			select {
			case y.again <- struct{}{}:
			default:
			}
		}
		select {
		case y.heard <- a:
		default: // a flood: the periodic re-announcement will bring it back
		}
		return
	}
	y.chatMessage(m) // chat (issue 8): everything else is staff chat
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
	for _, e := range rows[1:] {
		if e.Seq != run[len(run)-1].Seq+1 {
			break
		}
		run = append(run, e)
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

// ---- fetch: announcement → packs → apply ----

func (y *Syncer) fetchLoop() {
	defer y.wg.Done()
	heard := heardHeads{newest: map[string]replica.Announcement{}, others: map[string]replica.Announcement{}}
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	attempt := 0
	for {
		select {
		case <-y.ctx.Done():
			return
		case a := <-y.heard:
			heard.add(a)
		drain:
			for {
				select {
				case a := <-y.heard:
					heard.add(a)
				default:
					break drain
				}
			}
		case <-retry.C:
		}
		failed := heard.each(func(a replica.Announcement) bool {
			want, err := y.catchUp(a)
			if want > 0 {
				y.askAgain(replica.Want{Device: a.Device, Seq: want})
			}
			if err != nil {
				y.update(func(st *SyncStatus) { st.LastError = err.Error() })
			}
			return err == nil
		})
		y.update(func(st *SyncStatus) { st.CatchingUp = false; st.Behind = 0 })
		if failed {
			attempt++
			retry.Reset(y.backoff(attempt))
		} else {
			attempt = 0
		}
		if _, err := y.s.Maintain(y.ctx); err != nil && !errors.Is(err, ErrLocked) {
			y.update(func(st *SyncStatus) { st.LastError = err.Error() })
		}
	}
}

// heardHeads holds the announcements heard and not yet fetched: the newest
// of each device, fetched first, and the others, since a pack sent again
// (mh1 want) names an older head under a new CID. An announcement whose
// events are already here costs one lookup.
type heardHeads struct {
	newest map[string]replica.Announcement // by device
	others map[string]replica.Announcement // by CID
}

func (h *heardHeads) add(a replica.Announcement) {
	cur, ok := h.newest[a.Device]
	switch {
	case !ok || a.Seq > cur.Seq:
		if ok {
			h.others[cur.CID] = cur
		}
		h.newest[a.Device] = a
	case a.CID != cur.CID:
		h.others[a.CID] = a
	}
}

// each calls fetch on every announcement, newest first, and forgets those
// it fetched; failed reports whether any is left to retry.
func (h *heardHeads) each(fetch func(replica.Announcement) bool) (failed bool) {
	for _, m := range []map[string]replica.Announcement{h.newest, h.others} {
		for k, a := range m {
			if fetch(a) {
				delete(m, k)
			} else {
				failed = true
			}
		}
	}
	return failed
}

// accepted reports whether this workstation holds device's event seq,
// verified (applied, kept sealed or refused).
func accepted(ctx context.Context, tx *store.Tx, device string, seq uint64) (bool, error) {
	e, err := tx.EnvelopeAt(ctx, device, seq)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil && e.State != store.Pending, err
}

// catchUp fetches what an announcement says exists and applies it. want
// is the device's seq to ask for again when some of its events arrived
// altered, so the rest of its chain waits (0 when nothing is missing).
func (y *Syncer) catchUp(a replica.Announcement) (want uint64, err error) {
	r, err := y.s.live()
	if err != nil || a.Device == r.Device() {
		return 0, nil
	}
	var have bool
	if err := r.DB().View(y.ctx, func(tx *store.Tx) error {
		have, err = accepted(y.ctx, tx, a.Device, a.Seq)
		return err
	}); err != nil || have {
		return 0, err
	}
	altered := false
	defer func() {
		if altered && err == nil {
			want, err = y.missing(r, a.Device, a.Seq)
		}
	}()
	y.update(func(st *SyncStatus) { st.CatchingUp = true })
	var packs []replica.Pack
	cid := a.CID
	for cid != "" {
		ctx, cancel := context.WithTimeout(y.ctx, 30*time.Second)
		b, err := y.ipf.Get(ctx, cid, replica.MaxPackBytes)
		cancel()
		if err != nil {
			y.update(func(st *SyncStatus) { st.IPFSUp = false })
			return 0, fmt.Errorf("app: fetch changes of another workstation from IPFS: %w", err)
		}
		y.update(func(st *SyncStatus) { st.IPFSUp = true })
		p, err := replica.ParsePack(b)
		if err != nil || p.Device != a.Device {
			// These bytes will not change: apply the newer packs already
			// fetched and ask the device for what this one held.
			y.report(replica.Problem{Event: cid, Device: a.Device, Reason: "IPFS block is not a valid pack of this device: refused", Altered: true})
			altered = true
			break
		}
		packs = append(packs, p)
		y.update(func(st *SyncStatus) { st.Behind = int(a.Seq - p.From + 1) })
		stop := p.From <= 1 || p.Prev == ""
		if !stop {
			if err := r.DB().View(y.ctx, func(tx *store.Tx) error {
				stop, err = accepted(y.ctx, tx, a.Device, p.From-1)
				return err
			}); err != nil {
				return 0, err
			}
		}
		if stop {
			break
		}
		cid = p.Prev
	}
	// Oldest first, so each chain grows in order.
	var raws [][]byte
	for i := len(packs) - 1; i >= 0; i-- {
		raws = append(raws, packs[i].Envelopes...)
	}
	for i := 0; i < len(raws); i += applyChunk {
		rep, err := r.Apply(y.ctx, raws[i:min(i+applyChunk, len(raws))])
		if err != nil {
			return 0, err
		}
		for j := range rep.Problems {
			altered = altered || rep.Problems[j].Altered
			if rep.Problems[j].Device == "" { // bytes that did not even parse
				rep.Problems[j].Device = a.Device
				rep.Problems[j].Reason += " (in a pack fetched from IPFS: its bytes were altered)"
			}
		}
		y.report(rep.Problems...)
		y.update(func(st *SyncStatus) { st.Behind = max(0, len(raws)-i-applyChunk) })
	}
	return 0, nil
}
