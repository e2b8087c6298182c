package netsync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/pinned"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// The sync room: connect, join, hear and say heads, hellos and wants.

// The rooms on the clinic's room service, rooms.DOMAIN (sync/server's
// Prosody makes both): the sync room, sync@rooms.DOMAIN, and the staff
// chat's room, clinic@rooms.DOMAIN (app/chat).
const (
	RoomUser     = "sync"
	ChatRoomUser = "clinic"
)

// tlsConfig is how the XMPP server's certificate is checked: against the
// pinned certificate or its SHA-256, or the system's authorities.
func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{ServerName: cfg.Domain, MinVersion: tls.VersionTLS12}
	switch {
	case len(cfg.PinnedCert) > 0:
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(cfg.PinnedCert) {
			return nil, fmt.Errorf("%w: the pinned XMPP server certificate is not a PEM certificate", ErrInvalidConfig)
		}
	case cfg.CertPin != "":
		// The server's certificate must be exactly the pinned one; no
		// authority is asked (internal/pinned).
		pc, err := pinned.Config(cfg.CertPin, cfg.Domain)
		if err != nil {
			return nil, fmt.Errorf("%w: the XMPP server's certificate pin is not a SHA-256 in hex", ErrInvalidConfig)
		}
		tc = pc
	}
	return tc, nil
}

func (y *Syncer) room() string { return RoomUser + "@rooms." + y.cfg.Domain }

// ChatRoom is the staff chat room's address (clinic@rooms.DOMAIN).
func (y *Syncer) ChatRoom() string { return ChatRoomUser + "@rooms." + y.cfg.Domain }

// ---- XMPP: connect, join, announce, reconnect ----

func (y *Syncer) connectLoop() {
	defer y.wg.Done()
	for attempt := 0; y.ctx.Err() == nil; attempt++ {
		xs, err := y.connect()
		if err != nil {
			wait := y.backoff(attempt)
			if y.accessEnded(err) {
				// Not a passing trouble: say it once, plainly, and knock
				// again only now and then.
				err, wait = errors.New(AccessEnded), endedRetry
			}
			y.fail(errConnect, err, func(st *Status) { st.Connected = false })
			if !y.sleep(wait) {
				return
			}
			continue
		}
		attempt = 0
		y.mu.Lock()
		y.xs = xs
		y.mu.Unlock()
		y.works(errConnect, func(st *Status) { st.Connected = true })
		y.announce()
		y.hello(xs)
		// The heads of workstations that may be off, from their PEP
		// nodes (pepheads.go); the first catch-up waits for them.
		y.round.reading.Add(1)
		y.wg.Add(1)
		go y.readHeads(xs)
		// The first catch-up's end (Status.CaughtUp; caughtup.go).
		y.watchFirstRound()
		if y.chat != nil { // chat (issue 8): room, queue, archive
			y.wg.Add(1)
			go func() { defer y.wg.Done(); y.chat.Connected(y.ctx, y, xs) }()
		}
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
		y.update(func(st *Status) { st.Connected = false })
	}
}

func (y *Syncer) connect() (*xmpp.Session, error) {
	r, err := y.ws.Replica()
	if err != nil {
		return nil, err
	}
	pass, err := y.ws.XMPPPassword(y.ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(y.ctx, 10*time.Second)
	defer cancel()
	// Its account keeps the name of the device id it was made for when
	// the chain moved onto a bound id (replica.Account).
	xs, err := xmpp.Dial(ctx, xmpp.Config{JID: r.Account() + "@" + y.cfg.Domain, Password: pass, Addr: y.cfg.XMPPAddr,
		TLS: y.tls, Register: y.cfg.Register, OnPresence: y.presence, Keep: y.inSyncRoom}, y.onMessage)
	if err != nil {
		return nil, fmt.Errorf("netsync: connect to the clinic's chat server: %w", err)
	}
	if err := JoinRoom(ctx, xs, y.room(), r.Account()); err != nil {
		xs.Close()
		return nil, fmt.Errorf("netsync: join the sync room: %w", err)
	}
	// The room keeps no archive (nobody reads it back: a joiner says hello)
	// by the server's configuration (sync/server's mod_medihaven_rooms).
	y.checkRooms(ctx, xs)
	return xs, nil
}

// AccessEnded is the status (Status.LastError) of a workstation whose
// account the clinic's chat server refuses: an administrator's
// workstation ended it (a member revoked: the server deletes each of her
// devices' accounts, app/serveradmins.go), or, rarely, it was never made
// or its password was lost. The sync then tries again only every
// endedRetry, not with the backoff of a server out of reach.
const AccessEnded = "This workstation's access to the clinic's server was ended; if that is a mistake, ask an administrator"

// endedRetry is how often a workstation whose access was ended tries to
// log in again.
const endedRetry = 5 * time.Minute

// accessEnded reports whether err, from connect, says the server refused
// this workstation's account: its name or password (SASL not-authorized).
// With in-band registration (a loopback demo) a deleted account is made
// again at the next connect, so a refusal there is another trouble.
func (y *Syncer) accessEnded(err error) bool {
	return errors.Is(err, xmpp.ErrAuth) && !y.cfg.Register
}

// ServerOutdated is the status (Status.LastError) of a workstation whose
// XMPP server keeps the clinic's rooms as Prosody does by default, not as
// `medihaven server` configures them (mod_medihaven_rooms): a server not
// yet upgraded. Its clinic room is not kept, its sync room is archived.
const ServerOutdated = "The clinic's server needs updating: run `medihaven server` on it again"

// checkRooms asks the server, once per join, what the clinic's rooms are
// (disco#info) and says ServerOutdated in the status unless the sync room
// is persistent and non-anonymous and the clinic room persistent. It
// never configures a room: only the server does. A clinic room not made
// yet (the chat makes it when it first joins) is looked at next time.
func (y *Syncer) checkRooms(ctx context.Context, xs *xmpp.Session) {
	for _, want := range []struct {
		room     string
		features []string
	}{
		{y.room(), []string{"muc_persistent", "muc_nonanonymous"}},
		{y.ChatRoom(), []string{"muc_persistent"}},
	} {
		have, err := xs.Features(ctx, want.room)
		if err != nil {
			continue // not made yet, or no answer: the next join asks again
		}
		for _, f := range want.features {
			if !have[f] {
				y.update(func(st *Status) { st.LastError = ServerOutdated })
				return
			}
		}
	}
}

// JoinRoom joins a room under the device id as nickname, or, when someone
// took it, under the device id and a random suffix: who speaks is known by
// the account, never the nickname, so a squatter cannot keep a
// workstation out.
func JoinRoom(ctx context.Context, xs *xmpp.Session, room, device string) error {
	err := xs.JoinRoom(ctx, room, device)
	if errors.Is(err, xmpp.ErrNickInUse) {
		err = xs.JoinRoom(ctx, room, device+"-"+crypto.NewEventID()[:8])
	}
	return err
}

// helloBody asks every workstation in the sync room to say its head: a
// workstation sends it when it (re)joins, having perhaps missed some.
const helloBody = "mh1 hello"

// inSyncRoom reports a message of the sync room: the XMPP session never
// drops these when a flood of chat fills its queue (xmpp.MaxInbox).
func (y *Syncer) inSyncRoom(m xmpp.Message) bool { return m.Room && bareOf(m.From) == y.room() }

// onMessage sorts what the XMPP session hears: sync messages in the sync
// room, staff chat everywhere else.
func (y *Syncer) onMessage(m xmpp.Message) {
	if !y.inSyncRoom(m) {
		if y.chat != nil {
			y.chat.Message(y.ctx, y, m) // chat (issue 8)
		}
		return
	}
	device, fromWorkstation := y.DeviceOf(m.Sender)
	refuse := func() {
		y.update(func(st *Status) {
			st.Refused++
			if m.Sender == "" {
				st.LastError = "netsync: the sync room does not tell who speaks in it, so no announcement can be believed: " +
					"ask your administrator to make it show real addresses (Prosody: muc_room_default_public_jids = true)"
			}
		})
	}
	if m.Body == helloBody {
		switch {
		case m.Replayed: // said before this workstation joined
		case fromWorkstation && y.ownAccount(device): // our own, reflected
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
		case m.Replayed: // asked before this workstation joined: not asked again
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
	// A workstation moved onto a bound id speaks for its chain from the
	// account it kept (replica.SpeaksFor).
	own := fromWorkstation && (device == a.Device || y.speaksFor(device, a.Device))
	if !own && !y.ownDevice(a.Device) && m.Replayed {
		// History the room replays names nobody (xmpp.Message.Replayed:
		// from the room's memory it carries only the speaker's own
		// claim): nothing to believe, and no sign of a misconfigured
		// room. The workstations online answer this one's hello with
		// their heads.
		return
	}
	if !y.take(a, own, device, refuse) || !own {
		return
	}
	if _, known := y.peers.LoadOrStore(a.Device, true); !known {
		// A workstation we had not heard of may have missed our head.
		select {
		case y.again <- struct{}{}:
		default:
		}
	}
}

// take hands head a, said by the account of device by (own: it speaks for
// a's device), to the fetch lanes: heard in the sync room or read from
// by's PEP node (pepheads.go). A head not its device's own say is
// refused (false), unless it names this workstation's own device.
func (y *Syncer) take(a replica.Announcement, own bool, by string, refuse func()) bool {
	y.heardN.Add(1)
	y.mark(stageHeard, a.Device, a.Seq, a.Seq)
	if !own && !y.ownDevice(a.Device) {
		// Only a device's own account speaks for it. (A head of this
		// workstation's own device said by another account is kept: it
		// may show that someone writes in its chain.)
		refuse()
		return false
	}
	select {
	case y.heard <- heardHead{Announcement: a, own: own, by: by}:
	default: // a flood: the periodic re-announcement will bring it back
		y.update(func(st *Status) { st.Dropped++ })
	}
	return true
}

// DeviceOf returns the device of a workstation's XMPP account
// (DEVICE@DOMAIN, the clinic's domain); ok is false for any other account.
func (y *Syncer) DeviceOf(account string) (device string, ok bool) {
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
		y.update(func(st *Status) { st.LastError = err.Error() })
		return false
	}
	return true
}

// announce says this workstation's newest pushed head in the sync room,
// and the last of the chain it moved from (MoveChain), if it moved.
func (y *Syncer) announce() {
	r, err := y.ws.Replica()
	if err != nil {
		return
	}
	if from := r.MovedFrom(); from != "" {
		if a, err := pushedHead(y.ctx, r, from, metaMovedHead, metaMovedSeq); err == nil {
			y.say(y.movedHeadKept(r, a).String())
		}
	}
	a, err := pushedHead(y.ctx, r, r.Device(), MetaPackHead, MetaPackSeq)
	if err != nil {
		return // nothing pushed yet
	}
	if y.say(a.String()) {
		y.mark(stageAnnounced, a.Device, a.Seq, a.Seq)
		y.update(func(st *Status) { st.Announced = a.Seq })
	}
	// Kept on this workstation's PEP node too, for those that start
	// while it is off (pepheads.go).
	y.publishHead(a)
}

// pushedHead is the announcement of device's newest pack, as the metas
// headKey and seqKey name it.
func pushedHead(ctx context.Context, r *replica.Replica, device, headKey, seqKey string) (a replica.Announcement, err error) {
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		cid, err := tx.Meta(ctx, headKey)
		if err != nil {
			return err
		}
		seqb, err := tx.Meta(ctx, seqKey)
		if err != nil {
			return err
		}
		seq, err := strconv.ParseUint(string(seqb), 10, 64)
		if err != nil {
			return err
		}
		e, err := tx.EnvelopeAt(ctx, device, seq)
		if err != nil {
			return err
		}
		a = replica.Announcement{Device: device, Seq: seq, Hash: e.Hash, CID: string(cid)}
		return nil
	})
	return a, err
}

// bareOf is an XMPP address without its resource (a room occupant's: the
// room).
func bareOf(addr string) string {
	bare, _, _ := strings.Cut(addr, "/")
	return bare
}
