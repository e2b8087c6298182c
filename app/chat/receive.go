package chat

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/xmpp"

	"mellium.im/xmpp/jid"
)

func xmppOutgoing(to string, q chatQueued) xmpp.Outgoing {
	return xmpp.Outgoing{To: to, Room: q.Room, ID: q.ID, Body: q.Body, Sealed: true}
}

// accountNotKnown follows the nickname of a room message whose sender's
// account the room did not tell.
const accountNotKnown = " (account not known)"

// Why a message is shown unverified, in the words the chat panel shows.
const (
	problemPlain    = "Not encrypted or signed: sent from an ordinary chat program, not from a Medihaven workstation."
	problemStranger = "The sender is not in the staff directory (or their workstation has not synced with yours yet)."
	problemBadSig   = "The signature does not match the sender's key in the staff directory: it may be forged or altered."
	problemMismatch = "The message was signed for another conversation or by another colleague than the one it came from."
	problemUnopened = "This message could not be decrypted on this workstation."
	problemDamaged  = "The message is damaged and could not be read."
	problemFormer   = "The sender has left the clinic (their access was revoked): this may have been written after they left."
)

// hooks is the chat as the network sync carries it (netsync.Chat):
// the sync tells it of connections, messages and presence on its XMPP
// session.
type hooks struct{ s *Service }

// Started links the chat to y: it sends through y's XMPP session.
func (c hooks) Started(ctx context.Context, y *netsync.Syncer) { c.s.linkChat(ctx, y) }

// Stopped unlinks the chat from y.
func (c hooks) Stopped(y *netsync.Syncer) { c.s.unlinkChat(y) }

// Message handles one chat message heard live on the sync's XMPP
// session (anything but sync announcements).
func (c hooks) Message(ctx context.Context, y *netsync.Syncer, m xmpp.Message) {
	if m.Room && bareOf(m.From) != y.ChatRoom() {
		return // the sync room carries announcements only
	}
	if m.Replayed {
		// The room's history on joining names no sender (it may be the
		// speaker's own claim); Connected reads the same messages from
		// the room's archive, where the room names them.
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, _, err := c.s.receiveChat(ctx, y, m); err != nil && !errors.Is(err, app.ErrLocked) {
		y.NoteError(err)
	}
}

// Presence notes a colleague's presence in the clinic room: the
// device is the occupant's real account (DEVICE@DOMAIN) as the room tells
// it, never the nickname, which anyone may take. A workstation appearing
// in the clinic or the sync room that refused a message (its account did
// not exist yet) gets it again.
func (c hooks) Presence(_ context.Context, y *netsync.Syncer, p xmpp.Presence) {
	room := bareOf(p.From)
	if !p.Room || (room != y.ChatRoom() && room != y.Room()) {
		return
	}
	l := c.s.link()
	l.mu.Lock()
	device, ok := y.DeviceOf(p.JID)
	switch {
	case ok && p.Show != PresenceOffline:
		l.occupants[p.From] = device
	case !ok:
		device, ok = l.occupants[p.From] // leaving: the room may not say who again
	}
	if p.Show == PresenceOffline {
		delete(l.occupants, p.From)
	}
	if !ok {
		l.mu.Unlock()
		return
	}
	mine := l.syncer == y
	if mine && room == y.ChatRoom() {
		l.presence[device] = p.Show
	}
	retry := mine && p.Show != PresenceOffline && l.waiting[device]
	l.mu.Unlock()
	if retry {
		go c.s.retryRefused(y)
	}
	if room == y.ChatRoom() {
		c.s.c.Changed(replica.Changed{ID: "", Kind: Kind, Scope: Sent})
	}
}

// retryRefused sends again the messages the server refused, while y is
// the linked sync. Calls while one runs make it run once more, so that a
// workstation appearing during a retry is not missed.
func (s *Service) retryRefused(y *netsync.Syncer) {
	l := s.link()
	l.mu.Lock()
	switch {
	case l.syncer != y: // y stopped meanwhile
		l.mu.Unlock()
		return
	case l.retrying:
		l.retryAgain = true
		l.mu.Unlock()
		return
	}
	l.retrying = true
	syncCtx := l.syncCtx
	l.mu.Unlock()
	for {
		ctx, cancel := context.WithTimeout(syncCtx, time.Minute)
		err := s.flushChat(ctx, true)
		cancel()
		if err != nil && !errors.Is(err, app.ErrLocked) && !errors.Is(err, ErrOffline) {
			y.NoteError(err)
		}
		l.mu.Lock()
		again := l.retryAgain
		l.retrying, l.retryAgain = again, false
		l.mu.Unlock()
		if !again {
			return
		}
	}
}

// Connected runs after each (re)connection: join the clinic room,
// send what waits, and read what the server archived that this
// workstation does not hold (all of it on a new workstation).
func (c hooks) Connected(ctx context.Context, y *netsync.Syncer, xs *xmpp.Session) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	r, err := c.s.c.Replica()
	if err != nil {
		return
	}
	// The room keeps its archive and shows real JIDs by the server's
	// configuration (sync/server's mod_medihaven_rooms), not this one's.
	if err := netsync.JoinRoom(ctx, xs, y.ChatRoom(), r.Account()); err != nil {
		y.NoteError(err)
	}
	c.s.c.Changed(replica.Changed{ID: "", Kind: Kind, Scope: Sent})
	if err := c.s.flushChat(ctx, true); err != nil {
		y.NoteError(err)
	}
	if err := c.s.recoverChat(ctx, y, xs); err != nil {
		y.NoteError(err)
	}
}

// recoverChat reads this account's and the clinic room's archives from
// where this workstation stopped, keeping what it lacks.
func (s *Service) recoverChat(ctx context.Context, y *netsync.Syncer, xs *xmpp.Session) error {
	r, err := s.c.Replica()
	if err != nil {
		return err
	}
	for _, a := range []struct{ mark, archive string }{{"own", ""}, {"room", y.ChatRoom()}} {
		after, err := s.archiveMark(ctx, r, a.mark)
		if err != nil {
			return err
		}
		var last time.Time
		keep := func(m xmpp.Message) (time.Time, error) {
			_, at, err := s.receiveChat(ctx, y, m)
			return at, err
		}
		for range 1000 {
			page, err := xs.Archive(ctx, a.archive, after, xmpp.MaxArchivePage)
			if err != nil {
				return fmt.Errorf("chat: recover the chat history from the server: %w", err)
			}
			if last, err = keepPage(page.Messages, last, keep); err != nil {
				return err
			}
			if page.Last != "" {
				after = page.Last
				if err := s.putArchiveMark(ctx, r, a.mark, after); err != nil {
					return err
				}
			}
			if page.Complete || len(page.Messages) == 0 {
				break
			}
		}
	}
	return nil
}

// keepPage keeps one page of an archive, in the archive's order, with
// keep (which returns the time the message holds here, new or held
// before); last is the stamp before the page, and it returns the page's
// last. A message held before (heard live while the archive was read, as
// on every connection) holds its place: those after it in the archive come
// after it, though the archive stamped them to the second (CI, session 29:
// a colleague's second message, read from the archive, showed above her
// first, heard live in the same second).
func keepPage(msgs []xmpp.Message, last time.Time, keep func(xmpp.Message) (time.Time, error)) (time.Time, error) {
	for i := range msgs {
		last = inArchiveOrder(msgs[i:i+1], last)
		at, err := keep(msgs[i])
		if err != nil {
			return last, err
		}
		if at.After(last) {
			last = at
		}
	}
	return last, nil
}

// inArchiveOrder keeps the archive's order among messages it stamped
// alike (Prosody stamps to the second: two messages of one second sorted
// by their keys, so a workstation that read them from the archive showed
// them in another order than one that heard them live): a stamp not after
// the one before it, within a second of it, becomes a millisecond after
// it. last is the stamp before msgs; it returns the last one.
func inArchiveOrder(msgs []xmpp.Message, last time.Time) time.Time {
	for i, m := range msgs {
		if m.Delay.IsZero() {
			continue
		}
		if !m.Delay.After(last) && last.Sub(m.Delay) < time.Second {
			msgs[i].Delay = last.Add(time.Millisecond)
		}
		last = msgs[i].Delay
	}
	return last
}

func bareOf(addr string) string {
	bare, _, _ := strings.Cut(addr, "/")
	return bare
}

// receiveChat turns one XMPP message (live, offline or archived) into a
// kept chat message. It reports whether the message was new and kept, and
// the time it holds here (zero when it is not for this workstation).
func (s *Service) receiveChat(ctx context.Context, y *netsync.Syncer, m xmpp.Message) (bool, time.Time, error) {
	r, err := s.c.Replica()
	if err != nil {
		return false, time.Time{}, err
	}
	device, _ := y.DeviceOf(m.Sender)
	devs, err := s.senderDevices(ctx, r, device)
	if err != nil {
		return false, time.Time{}, err
	}
	return s.take(ctx, r, devs, y.ChatRoom(), y.Domain(), m)
}

// arrive reads m as it arrives now, with devs the staff's devices, and
// keeps it; it reports whether the message was new and kept.
func (s *Service) arrive(ctx context.Context, r *replica.Replica, devs staffDevices, room, domain string, m xmpp.Message) (bool, error) {
	kept, _, err := s.take(ctx, r, devs, room, domain, m)
	return kept, err
}

// take is arrive, and says the time m holds here, new or kept before.
func (s *Service) take(ctx context.Context, r *replica.Replica, devs staffDevices, room, domain string, m xmpp.Message) (bool, time.Time, error) {
	now := s.c.Now()
	c := readChat(r, devs, room, domain, m, now)
	c.live = c.At.Equal(now) // no server's time believed: admit stamps it
	if c.Key == "" {
		return false, time.Time{}, nil // a room message encrypted before this member joined: not for us
	}
	kept, changed, at, err := s.keepChatAt(ctx, r, c)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("chat: keep a chat message: %w", err)
	}
	if changed {
		scope := Sent // only the line of what was not kept changed: nothing to notify
		if kept && !c.Mine {
			scope = Received
		}
		s.c.Changed(replica.Changed{ID: c.Conversation, Kind: Kind, Scope: scope})
	}
	return kept, at, nil
}

// readChat decides who sent m, in which conversation, and whether it is
// verified. It never fails: what cannot be verified is kept marked so.
func readChat(r *replica.Replica, devs staffDevices, room, domain string, m xmpp.Message, now time.Time) (c storedChat) {
	// When the archive took it (its own stamp, bounded by now), else
	// when it reached this workstation: a live message's delay in the
	// server's name (offline storage) is the sender's word where the
	// server passes on the one she wrote (h-sec26). The sender's signed
	// time is only Written.
	c = storedChat{Message: Message{ID: m.ID, At: now}, Bounded: true}
	if m.Archived && !m.Delay.IsZero() && m.Delay.Before(now) {
		c.At = m.Delay
	}
	// Who sent it: the account as the server says it (for the room, the
	// occupant's real JID as the room tells it), never the nickname, which
	// anyone may take. A workstation's account is DEVICE@DOMAIN.
	sender := m.Sender
	device := ""
	if addr, err := jid.Parse(m.Sender); err == nil && addr.Domainpart() == domain {
		device = addr.Localpart()
	}
	if sender == "" {
		sender = bareOf(m.From)
		if m.Room {
			sender = m.From + accountNotKnown
		}
	}
	if m.Room {
		c.Conversation = Room
	}
	c.From = devs.member[device]
	mine := c.From != "" && c.From == r.Fingerprint()
	c.Mine = mine
	defer func() {
		// A member's name only on what that member verifiably signed;
		// anything else under the address it came from.
		if c.Key == "" {
			return // not kept
		}
		// In a room the sender's account is what the room says, and an
		// archive kept while a room hid real addresses (its owner may be
		// any member) holds whatever the speaker wrote there: only a
		// signature makes a room message this member's own.
		if m.Room && !c.Verified {
			c.Mine, c.From = false, "" // From was only the room's claim
		}
		c.FromName = sender
		if c.Verified || c.Mine {
			if mem, ok := r.Member(c.From); ok {
				c.FromName = mem.Name
			}
		}
	}()
	if !m.Room {
		switch {
		case c.From == "":
			c.Conversation = plainPrefix + sender
		case mine:
			c.Conversation = "" // from the payload: whom I wrote to
		default:
			c.Conversation = c.From
		}
	}

	body, isChat := strings.CutPrefix(m.Body, wire)
	if !isChat {
		c.Text, c.Problem = sanitize(m.Body), problemPlain
		if mine && c.Conversation == "" {
			c.Conversation = plainPrefix + bareOf(m.To)
		}
		c.Key = plainKey(m)
		return c
	}
	ct, err := base64.StdEncoding.DecodeString(strings.TrimSpace(body))
	var pub *crypto.PublicKey
	if c.From != "" {
		pub, _ = r.PublicKey(c.From)
	}
	var opened crypto.Opened
	if err == nil {
		opened, err = r.Identity().OpenSigned(ct, pub)
	}
	var p chatPayload
	if err == nil {
		err = json.Unmarshal(opened.Plain, &p)
	}
	if err != nil {
		if m.Room && errors.Is(err, crypto.ErrCannotOpen) {
			return storedChat{} // written before this member was in the directory
		}
		c.Problem = problemDamaged
		if errors.Is(err, crypto.ErrCannotOpen) {
			c.Problem = problemUnopened
		}
		if c.Conversation == "" {
			c.Conversation = plainPrefix + bareOf(m.To)
		}
		c.Key = plainKey(m)
		return c
	}
	c.Text, c.MRN = sanitize(p.Text), strings.ToUpper(p.MRN)
	if len(c.MRN) > 16 {
		c.MRN = ""
	}
	if mine && c.Conversation == "" {
		c.Conversation = p.To
		if _, ok := r.Member(p.To); !ok || p.To == Room {
			c.Conversation = plainPrefix + bareOf(m.To)
		}
	}
	wantTo := r.Fingerprint()
	if m.Room {
		wantTo = Room
	} else if mine {
		wantTo = c.Conversation
	}
	switch {
	case pub == nil:
		c.Problem = problemStranger
	case opened.Signature != nil:
		c.Problem = problemBadSig
	case p.From != c.From || p.To != wantTo:
		c.Problem = problemMismatch
	case !active(r, c.From):
		// Her chat account lasts until an administrator's workstation
		// ends it, and her key still signs (sec-s15b G1).
		c.Problem = problemFormer
	default:
		c.Verified = true
		c.Written = writtenAt(p.At, c.At)
		c.ID = p.ID
		c.Key = "p:" + c.From + ":" + p.ID
		return c
	}
	c.Key = plainKey(m)
	return c
}

// active reports whether fp is an active member of the directory.
func active(r *replica.Replica, fp string) bool {
	m, ok := r.Member(fp)
	return ok && m.Active()
}

// writtenAt is a verified message's signed time (unix ms) as Written
// shows it: at most maxWrittenAhead after the message's arrival (at),
// else its arrival.
func writtenAt(ms int64, at time.Time) time.Time {
	w := time.UnixMilli(ms)
	if w.After(at.Add(maxWrittenAhead)) {
		return at
	}
	return w
}

// plainKey tells apart unverified messages: by the archive's id when the
// server gave one, else by what the stanza says.
func plainKey(m xmpp.Message) string {
	if m.StanzaID != "" {
		if m.Room {
			return "s:room:" + m.StanzaID
		}
		return "s:" + m.StanzaID
	}
	sum := sha256.Sum256([]byte(m.From + "\x00" + m.ID + "\x00" + m.Body + "\x00" + m.Delay.String()))
	return "h:" + hex.EncodeToString(sum[:16])
}

// sanitize keeps a message's text printable and bounded.
func sanitize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if utf8.RuneCountInString(s) > MaxText {
		s = string([]rune(s)[:MaxText]) + "…"
	}
	return s
}
