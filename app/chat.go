package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// Staff chat (issue 8). It rides on the sync's XMPP session: one-to-one
// conversations with every member of the staff directory and the clinic
// room (clinic@rooms.DOMAIN). Each body is one OpenPGP message encrypted to
// the recipients (and to the sender, so that the server's archive gives the
// sender's own messages back) and signed by the sender, base64 after the
// "mh1chat " prefix: the server stores only ciphertext. A workstation's
// XMPP account is DEVICE@DOMAIN, so a sender is known by the device that
// authored envelopes in the clinic log, and the signature must be that
// member's directory key; anything else (another key, a plain message from
// an ordinary XMPP client) is kept and shown marked unverified. History is
// kept sealed with the device key (store secrets under "chat/"), recovered
// from the server's archive (MAM) when missing, and messages written while
// offline wait in a sealed queue until the session is back.

// Errors of the chat that callers match with errors.Is.
var (
	// ErrChatOffline means the chat server cannot be reached right now: the
	// message waits on this workstation and is sent on reconnect.
	ErrChatOffline = errors.New("app: not connected to the clinic's chat server; the message waits and is sent when the connection is back")
	// ErrNoRecipient means a colleague's workstation is not known yet.
	ErrNoRecipient = errors.New("app: this colleague's workstation is not known yet")
)

const (
	// KindChat is the Kind of change-feed entries about the chat; their ID
	// is the conversation.
	KindChat = "chat"
	// ChatReceived is the Scope of a change-feed entry for a new message
	// from someone else (the UI notifies); ChatSent for everything else
	// (own messages, presence, read marks).
	ChatReceived = "received"
	ChatSent     = "sent"
	// ChatRoom is the conversation id of the clinic-wide room.
	ChatRoom = "room"
	// MaxChatText is the longest message, in characters.
	MaxChatText = 4000

	chatRoomUser = "clinic"
	chatWire     = "mh1chat "
	plainPrefix  = "xmpp:" // conversation id of an address outside the directory
)

// Presence of a colleague.
const (
	PresenceOnline  = xmpp.Online
	PresenceAway    = xmpp.Away
	PresenceOffline = xmpp.Offline
)

// reMRNRef finds medical record numbers in a message's text.
var reMRNRef = regexp.MustCompile(`(?i)\bMH\d{7}\b`)

// ChatMessage is one message of a conversation.
type ChatMessage struct {
	ID           string // unique per sender
	Conversation string // ChatRoom, a colleague's fingerprint, or "xmpp:ADDRESS"
	From         string // the sender's fingerprint; "" when the sender is not in the directory
	FromName     string // the sender's name, or their chat address
	Mine         bool
	Text         string
	// MRN is the medical record number of the patient the message is
	// about, if any: only the number travels, never the name.
	MRN string
	At  time.Time // when it was written (verified) or reached the server
	// Verified reports that the sender's directory key signed exactly this
	// message for this conversation. Otherwise Problem says why not.
	Verified bool
	Problem  string
	// Queued: mine, and the server has not taken it yet (it is sent when
	// the connection is back, or is on its way). WaitingFor, when set, is
	// whom it waits for: the server refused it because their workstation
	// has never connected; it goes as soon as that workstation appears.
	Queued     bool
	WaitingFor string
	Unread     bool
}

// Conversation is one entry of the chat's list.
type Conversation struct {
	ID       string // ChatRoom, a fingerprint, or "xmpp:ADDRESS"
	Title    string
	Role     roles.Role // a colleague's role ("" for the room and unknown addresses)
	Presence string     // PresenceOnline, PresenceAway or PresenceOffline (the room: online when connected)
	Unread   int
	Last     *ChatMessage // newest message, nil if none
}

// chatPayload is what the OpenPGP message carries.
type chatPayload struct {
	V    int    `json:"v"`
	ID   string `json:"id"`
	From string `json:"from"` // sender fingerprint
	To   string `json:"to"`   // "room" or the recipient's fingerprint
	Text string `json:"text"`
	MRN  string `json:"mrn,omitempty"`
	At   int64  `json:"at"` // unix ms
}

// chatLink ties a session to its running sync: the XMPP session the chat
// sends through, and the presence heard in the clinic room.
type chatLink struct {
	mu       sync.Mutex
	syncer   *netsync.Syncer
	syncCtx  context.Context   // ends when syncer stops
	presence map[string]string // device → show, from the clinic room
	// occupants maps the occupants of the clinic and sync rooms
	// (room@service/nick) to their devices, from the real JIDs the rooms
	// told when they came.
	occupants map[string]string
	flushing  sync.Mutex // one send or flush of the queue at a time, so order holds
	// pending is false only when the queue is known to hold nothing but
	// refused messages, so that a message may go straight out without
	// reading the queue first.
	pending bool
	// waiting holds the devices (and "room") that refused a queued
	// message: their presence sends it again.
	waiting map[string]bool
	// retrying is set while retryRefused runs; retryAgain asks it to run
	// once more.
	retrying, retryAgain bool
	// devices caches staffDevices: which member authors a device's chain
	// never changes, so it is refreshed only for a device or member it
	// does not know, or when older than devicesTTL.
	devices   staffDevices
	devicesAt time.Time

	histMu sync.Mutex // guards hist, and orders writes of the history with it
	hist   *chatCache // the local history, opened (chat_store.go)
}

const devicesTTL = 30 * time.Second

// chatLink returns the session's chat link, made on first use.
func (s *Session) chatLink() *chatLink {
	s.chatMu.Lock()
	defer s.chatMu.Unlock()
	if s.chat == nil {
		s.chat = &chatLink{presence: map[string]string{}, occupants: map[string]string{}, pending: true, waiting: map[string]bool{}}
	}
	return s.chat
}

// anyPresent reports whether one of devices is in the clinic room.
func (l *chatLink) anyPresent(devices []string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range devices {
		if show, ok := l.presence[d]; ok && show != PresenceOffline {
			return true
		}
	}
	return false
}

// linkChat makes y the sync the session's chat sends through; ctx ends
// when y stops.
func (s *Session) linkChat(ctx context.Context, y *netsync.Syncer) {
	l := s.chatLink()
	l.mu.Lock()
	l.syncer, l.syncCtx = y, ctx
	l.presence = map[string]string{}
	l.mu.Unlock()
}

// unlinkChat forgets y when its sync stops.
func (s *Session) unlinkChat(y *netsync.Syncer) {
	s.chatMu.Lock()
	defer s.chatMu.Unlock()
	if s.chat == nil {
		return
	}
	s.chat.mu.Lock()
	mine := s.chat.syncer == y
	s.chat.mu.Unlock()
	if mine {
		s.chat = nil
	}
}

// chatRoom is the clinic room's address on y's server.
func chatRoom(y *netsync.Syncer) string { return chatRoomUser + "@rooms." + y.Domain() }

// liveXMPP returns the linked sync's XMPP session, or ErrChatOffline.
func (l *chatLink) liveXMPP() (*netsync.Syncer, *xmpp.Session, error) {
	l.mu.Lock()
	y := l.syncer
	l.mu.Unlock()
	if y == nil {
		return nil, nil, ErrChatOffline
	}
	xs := y.XMPP()
	if xs == nil || xs.Err() != nil {
		return y, nil, ErrChatOffline
	}
	return y, xs, nil
}

// ---- devices ↔ members ----

// staffDevices maps each device id to the member who authors its
// envelopes, and each member to their devices, as this workstation knows
// the clinic log.
type staffDevices struct {
	member  map[string]string   // device → fingerprint
	devices map[string][]string // fingerprint → devices
}

// knownDevices returns the cached map of devices and members, refreshed
// when need (a device id or a fingerprint) is missing or the cache is old.
func (s *Session) knownDevices(ctx context.Context, r *replica.Replica, need string) (staffDevices, error) {
	l := s.chatLink()
	l.mu.Lock()
	d, at := l.devices, l.devicesAt
	l.mu.Unlock()
	if d.member != nil && time.Since(at) < devicesTTL && (need == "" || d.member[need] != "" || len(d.devices[need]) > 0) {
		return d, nil
	}
	d, err := s.staffDevices(ctx, r)
	if err != nil {
		return d, err
	}
	l.mu.Lock()
	l.devices, l.devicesAt = d, time.Now()
	l.mu.Unlock()
	return d, nil
}

func (s *Session) staffDevices(ctx context.Context, r *replica.Replica) (staffDevices, error) {
	d := staffDevices{member: map[string]string{}, devices: map[string][]string{}}
	add := func(device, fp string) {
		d.member[device] = fp
		if !containsString(d.devices[fp], device) {
			d.devices[fp] = append(d.devices[fp], device)
		}
	}
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		heads, err := tx.Heads(ctx)
		if err != nil {
			return err
		}
		for _, h := range heads {
			e, err := tx.EnvelopeAt(ctx, h.Device, h.Seq)
			if err != nil {
				return err
			}
			if e.State != store.Pending { // a verified chain: its author is who signed it
				add(h.Device, e.Author)
			}
		}
		return nil
	})
	add(r.Device(), r.Fingerprint())
	return d, err
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// ---- use cases ----

// Conversations lists the clinic room, then every active colleague in the
// directory (with presence and unread counts), then any chat address
// outside the directory that wrote to this workstation.
func (s *Session) Conversations(ctx context.Context) ([]Conversation, error) {
	r, err := s.can(roles.ReadDirectory)
	if err != nil {
		return nil, err
	}
	hist, err := s.chatHistory(ctx, r)
	if err != nil {
		return nil, err
	}
	reads, err := s.chatReadMarks(ctx, r)
	if err != nil {
		return nil, err
	}
	devs, err := s.knownDevices(ctx, r, "")
	if err != nil {
		return nil, err
	}
	l := s.chatLink()
	_, _, offline := l.liveXMPP()
	l.mu.Lock()
	presence := make(map[string]string, len(l.presence))
	for k, v := range l.presence {
		presence[k] = v
	}
	l.mu.Unlock()

	byConv := map[string][]ChatMessage{}
	for _, m := range hist {
		byConv[m.Conversation] = append(byConv[m.Conversation], m)
	}
	conv := func(id, title string, role roles.Role, show string) Conversation {
		c := Conversation{ID: id, Title: title, Role: role, Presence: show}
		ms := byConv[id]
		for i := range ms {
			if !ms[i].Mine && ms[i].At.UnixMilli() > reads[id] {
				c.Unread++
			}
		}
		if len(ms) > 0 {
			last := ms[len(ms)-1]
			c.Last = &last
		}
		delete(byConv, id)
		return c
	}
	roomShow := PresenceOnline
	if offline != nil {
		roomShow = PresenceOffline
	}
	out := []Conversation{conv(ChatRoom, "Clinic room", "", roomShow)}
	for _, m := range r.Members() {
		if m.Fingerprint == r.Fingerprint() || !m.Active() {
			continue
		}
		show := PresenceOffline
		if offline == nil {
			for _, d := range devs.devices[m.Fingerprint] {
				switch presence[d] {
				case PresenceOnline:
					show = PresenceOnline
				case PresenceAway:
					if show == PresenceOffline {
						show = PresenceAway
					}
				}
			}
		}
		out = append(out, conv(m.Fingerprint, m.Name, m.Role, show))
	}
	var rest []string
	for id := range byConv {
		rest = append(rest, id)
	}
	sort.Strings(rest)
	for _, id := range rest {
		title := strings.TrimPrefix(id, plainPrefix)
		if m, ok := r.Member(id); ok {
			title = m.Name + " (left the clinic)"
		}
		out = append(out, conv(id, title, "", PresenceOffline))
	}
	return out, nil
}

// ChatHistory returns a conversation's messages, oldest first.
func (s *Session) ChatHistory(ctx context.Context, conversation string) ([]ChatMessage, error) {
	r, err := s.can(roles.ReadDirectory)
	if err != nil {
		return nil, err
	}
	hist, err := s.chatHistory(ctx, r)
	if err != nil {
		return nil, err
	}
	reads, err := s.chatReadMarks(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []ChatMessage
	for _, m := range hist {
		if m.Conversation == conversation {
			m.Unread = !m.Mine && m.At.UnixMilli() > reads[conversation]
			out = append(out, m)
		}
	}
	return out, nil
}

// MarkChatRead marks every message of a conversation as read.
func (s *Session) MarkChatRead(ctx context.Context, conversation string) error {
	r, err := s.can(roles.ReadDirectory)
	if err != nil {
		return err
	}
	hist, err := s.chatHistory(ctx, r)
	if err != nil {
		return err
	}
	var newest int64
	for _, m := range hist {
		if m.Conversation == conversation && m.At.UnixMilli() > newest {
			newest = m.At.UnixMilli()
		}
	}
	if err := s.putChatReadMark(ctx, r, conversation, newest); err != nil {
		return err
	}
	s.changed([]replica.Changed{{ID: conversation, Kind: KindChat, Scope: ChatSent}})
	return nil
}

// SendChat writes a message to a conversation (ChatRoom or a colleague's
// fingerprint), optionally about a patient by MRN. The message is sealed
// in the local history and queued in one transaction, then sent at once
// when connected; otherwise it waits (Queued) and is sent on reconnect.
func (s *Session) SendChat(ctx context.Context, conversation, text, mrn string) (ChatMessage, error) {
	r, err := s.can(roles.ReadDirectory)
	if err != nil {
		return ChatMessage{}, err
	}
	text = strings.TrimSpace(text)
	mrn = strings.ToUpper(strings.TrimSpace(mrn))
	switch {
	case text == "" && mrn == "":
		return ChatMessage{}, fmt.Errorf("%w: the message is empty", ErrInvalidInput)
	case !utf8.ValidString(text):
		return ChatMessage{}, fmt.Errorf("%w: the message contains characters that are not text", ErrInvalidInput)
	case utf8.RuneCountInString(text) > MaxChatText:
		return ChatMessage{}, fmt.Errorf("%w: a message has at most %d characters; split it in two", ErrInvalidInput, MaxChatText)
	case mrn != "" && !reMRN.MatchString(mrn):
		return ChatMessage{}, fmt.Errorf("%w: %q is not a medical record number (MH and 7 digits)", ErrInvalidInput, mrn)
	}
	need := conversation
	if conversation == ChatRoom {
		need = ""
	}
	devs, err := s.knownDevices(ctx, r, need)
	if err != nil {
		return ChatMessage{}, fmt.Errorf("app: send a message: %w", err)
	}
	var keys []*crypto.PublicKey
	out := chatQueued{Room: conversation == ChatRoom}
	switch {
	case conversation == ChatRoom:
		for _, m := range r.Members() {
			if k, ok := r.PublicKey(m.Fingerprint); ok && m.Active() {
				keys = append(keys, k)
			}
		}
	default:
		m, ok := r.Member(conversation)
		if !ok || !m.Active() {
			return ChatMessage{}, fmt.Errorf("%w: %s is not an active member of the staff directory", ErrInvalidInput, conversation)
		}
		k, ok := r.PublicKey(conversation)
		if !ok || len(devs.devices[conversation]) == 0 {
			return ChatMessage{}, fmt.Errorf("%w: %s's workstation has not synced with yours yet; try again in a minute", ErrNoRecipient, m.Name)
		}
		keys = append(keys, k)
		out.Devices = devs.devices[conversation]
	}
	me := r.Identity().Public()
	keys = append(keys, me)
	now := s.env.Now()
	p := chatPayload{V: 1, ID: newID(12), From: r.Fingerprint(), To: conversation, Text: text, MRN: mrn, At: now.UnixMilli()}
	plain, err := json.Marshal(p)
	if err != nil {
		return ChatMessage{}, err
	}
	ct, err := crypto.EncryptToMany(plain, r.Identity(), keys...)
	if err != nil {
		return ChatMessage{}, fmt.Errorf("app: encrypt the message: %w", err)
	}
	out.ID, out.Body, out.Key = p.ID, chatWire+base64.StdEncoding.EncodeToString(ct), chatKey(r.Fingerprint(), p.ID)
	out.Name = queueName(now, p.ID)
	if len(out.Body) > xmpp.MaxBody {
		return ChatMessage{}, fmt.Errorf("%w: the message is too long once encrypted for everyone; shorten it", ErrInvalidInput)
	}
	msg := ChatMessage{ID: p.ID, Conversation: conversation, From: r.Fingerprint(), FromName: s.StaffName(), Mine: true,
		Text: text, MRN: mrn, At: time.UnixMilli(p.At), Verified: true}
	if err := s.deliverChat(ctx, r, &msg, out); err != nil {
		return ChatMessage{}, fmt.Errorf("app: keep the message: %w", err)
	}
	return msg, nil
}

// deliverChat sends a new message at once when connected and nothing
// older waits, waits for the server to have processed it, then keeps it:
// sent when the server took it, queued otherwise (refused, or no answer).
// When offline, or older messages wait, it keeps it queued first and then
// tries the queue.
//
// Nothing is lost in either order. The stanza leaves before anything is
// written, so the disk is off the message's path; SendChat returns only
// once the message is kept, and a kept message leaves the queue only when
// the server has taken it. A workstation stopped before SendChat returned
// never told its user the message was kept; if the server had taken it,
// it is in the server's archive and comes back at the next connection
// (recoverChat). A message sent twice (no answer, then sent again) is kept
// once by the recipient (by sender and id).
func (s *Session) deliverChat(ctx context.Context, r *replica.Replica, msg *ChatMessage, q chatQueued) error {
	l := s.chatLink()
	l.flushing.Lock()
	l.mu.Lock()
	pending := l.pending
	l.mu.Unlock()
	y, xs, offline := l.liveXMPP()
	if offline != nil || pending {
		err := s.queueChat(ctx, r, *msg, &q)
		if err == nil {
			l.mu.Lock()
			l.pending = true
			l.mu.Unlock()
		}
		l.flushing.Unlock()
		if err != nil {
			return err
		}
		s.changed([]replica.Changed{{ID: msg.Conversation, Kind: KindChat, Scope: ChatSent}})
		s.flushChat(ctx, false) //nolint:errcheck // what is not sent waits for the connection
		queued, refused := s.queuedState(ctx, r, q)
		msg.Queued = queued
		if refused {
			msg.WaitingFor = waitingFor(r, msg.Conversation)
		}
		return nil
	}
	err := sendQueued(ctx, y, xs, q)
	if err != nil {
		l.mu.Lock()
		l.pending = true
		l.mu.Unlock()
	}
	l.flushing.Unlock()
	wait := &q
	if err == nil {
		took, refused, aerr := s.serverAnswer(ctx, xs, []chatQueued{q})
		switch {
		case aerr != nil: // no answer: it goes again
		case len(took) == 1:
			wait = nil
		default:
			wait = &refused[0]
			msg.WaitingFor = waitingFor(r, msg.Conversation)
		}
	}
	if err := s.queueChat(ctx, r, *msg, wait); err != nil {
		if wait == nil {
			return fmt.Errorf("the message was sent, but this workstation could not keep it (it comes back from the server's archive at the next connection): %w", err)
		}
		return err
	}
	msg.Queued = wait != nil
	s.changed([]replica.Changed{{ID: msg.Conversation, Kind: KindChat, Scope: ChatSent}})
	if wait != nil && wait.Refused && l.anyPresent(wait.Devices) {
		go s.retryRefused(y) // it appeared while the refusal was being kept
	}
	return nil
}

// ChatWaiting reports how many messages wait to be sent or to be taken by
// the server (those waiting for a colleague's first connection included).
func (s *Session) ChatWaiting(ctx context.Context) (int, error) {
	r, err := s.live()
	if err != nil {
		return 0, err
	}
	q, err := s.chatQueue(ctx, r)
	return len(q), err
}

// ChatOnline reports whether the chat is connected to the server.
func (s *Session) ChatOnline() bool {
	_, _, err := s.chatLink().liveXMPP()
	return err == nil
}

// SetChatAway tells colleagues that this staff member is away (true) or
// back (false).
func (s *Session) SetChatAway(ctx context.Context, away bool) error {
	if _, err := s.live(); err != nil {
		return err
	}
	_, xs, err := s.chatLink().liveXMPP()
	if err != nil {
		return err
	}
	if err := xs.SetAway(ctx, away); err != nil {
		return fmt.Errorf("app: tell colleagues you are away: %w", err)
	}
	return nil
}

// ChatPatient finds the patient a message refers to by MRN, for those
// whose role may look patients up (receptionists, physicians); opening the
// chart is then the physician's OpenChart, audited as always.
func (s *Session) ChatPatient(ctx context.Context, mrn string) (Patient, error) {
	mrn = strings.ToUpper(strings.TrimSpace(mrn))
	if !reMRN.MatchString(mrn) {
		return Patient{}, fmt.Errorf("%w: %q is not a medical record number", ErrInvalidInput, mrn)
	}
	ps, err := s.SearchPatients(ctx, mrn, 2)
	if err != nil {
		return Patient{}, err
	}
	for _, p := range ps {
		if strings.EqualFold(p.MRN, mrn) {
			return p, nil
		}
	}
	return Patient{}, fmt.Errorf("%w: no patient with MRN %s on this workstation yet", replica.ErrNotFound, mrn)
}

// MRNsIn returns the medical record numbers written in a message's text.
func MRNsIn(text string) []string {
	found := reMRNRef.FindAllString(text, -1)
	for i := range found {
		found[i] = strings.ToUpper(found[i])
	}
	return found
}
