package chat

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// Errors of the chat that callers match with errors.Is.
var (
	// ErrOffline means the chat server cannot be reached right now: the
	// message waits on this workstation and is sent on reconnect.
	ErrOffline = errors.New("chat: not connected to the clinic's chat server; the message waits and is sent when the connection is back")
	// ErrNoRecipient means a colleague's workstation is not known yet.
	ErrNoRecipient = errors.New("chat: this colleague's workstation is not known yet")
)

const (
	// Kind is the Kind of change-feed entries about the chat; their ID
	// is the conversation.
	Kind = "chat"
	// Received is the Scope of a change-feed entry for a new message
	// from someone else (the UI notifies); Sent for everything else
	// (own messages, presence, read marks).
	Received = "received"
	Sent     = "sent"
	// Room is the conversation id of the clinic-wide room.
	Room = "room"
	// MaxText is the longest message, in characters.
	MaxText = 4000
	// maxWrittenAhead is how far after its arrival a message's signed
	// time is believed (clocks differ a little); past it, Written is At.
	maxWrittenAhead = 5 * time.Minute

	wire        = "mh1chat "
	plainPrefix = "xmpp:" // conversation id of an address outside the directory
)

// Presence of a colleague.
const (
	PresenceOnline  = xmpp.Online
	PresenceAway    = xmpp.Away
	PresenceOffline = xmpp.Offline
)

// reMRNRef finds medical record numbers in a message's text.
var reMRNRef = regexp.MustCompile(`(?i)\bMH\d{7}\b`)

// Message is one message of a conversation.
type Message struct {
	ID           string // unique per sender
	Conversation string // Room, a colleague's fingerprint, or "xmpp:ADDRESS"
	From         string // the sender's fingerprint; "" when the sender is not in the directory
	FromName     string // the sender's name, or their chat address
	Mine         bool
	Text         string
	// MRN is the medical record number of the patient the message is
	// about, if any: only the number travels, never the name.
	MRN string
	// At is when the message reached the clinic's server's archive (its
	// stamp, read from the archive) or, live, this workstation;
	// for this workstation's own, when it was written here. Never the
	// sender's word: conversations are ordered, and read, by it.
	At time.Time
	// Written is when the sender's workstation says it wrote a verified
	// message (its signed time), a detail to show; it is never more than
	// maxWrittenAhead after At. Zero when unknown.
	Written time.Time
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
	// NotSent, when set, says why this message of mine never went out
	// (its colleague left the clinic before it could): it is not queued.
	NotSent string
	Unread  bool
	// NotKept, when not 0, makes this a line rather than a message: that
	// many more messages of FromName that could not be verified were not
	// kept (only the newest are); Text says so.
	NotKept int
}

// Conversation is one entry of the chat's list.
type Conversation struct {
	ID       string // Room, a fingerprint, or "xmpp:ADDRESS"
	Title    string
	Role     roles.Role // a colleague's role ("" for the room and unknown addresses)
	Presence string     // PresenceOnline, PresenceAway or PresenceOffline (the room: online when connected)
	Unread   int
	Last     *Message // newest message, nil if none
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

// Service is a session's staff chat. There is one per session: New and
// Of return the same one for the same session, so that the sync's hooks
// and the screens share its link and its opened history.
type Service struct {
	c  app.Core
	mu sync.Mutex
	l  *link // the link to the running sync, made on first use
}

// New returns the chat of a session (s.Core()), made on first use.
func New(c app.Core) *Service {
	return c.Part("chat", func() app.Part { return part{&Service{c: c}} }).(part).s
}

// Of is the chat of s when s is an *app.Session or holds one embedded (as
// the GUI's synced session does); the UI, which sees a session only
// through interfaces, finds the chat this way.
func Of(s any) (*Service, bool) {
	c, ok := app.CoreOf(s)
	if !ok {
		return nil, false
	}
	return New(c), true
}

// SyncHooks is the chat as the network sync carries it: pass it to
// app.Session.StartSync.
func (s *Service) SyncHooks() netsync.Chat { return hooks{s} }

// part is the chat as the session keeps it (app.Part): locking the
// session drops the opened history from memory.
type part struct{ s *Service }

func (p part) Forget() { p.s.forgetChat() }

// link ties a session to its running sync: the XMPP session the chat
// sends through, and the presence heard in the clinic room.
type link struct {
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
	// refused messages and messages sent on this connection that await
	// their confirmation, so that a message may go straight out without
	// reading the queue first.
	pending bool
	// unconfirmed are the messages sent on confirmXS (of confirmY) since
	// the last confirmation; confirmTimer, while set, runs the next one
	// (outbox.go).
	unconfirmed  []chatQueued
	confirmXS    *xmpp.Session
	confirmY     *netsync.Syncer
	confirmTimer *time.Timer
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
	hist   *chatCache // the local history, opened (store.go)
	// writeMu is held while received messages are written (write.go).
	writeMu sync.Mutex
}

const devicesTTL = 30 * time.Second

// link returns the session's chat link, made on first use.
func (s *Service) link() *link {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.l == nil {
		s.l = &link{presence: map[string]string{}, occupants: map[string]string{}, pending: true, waiting: map[string]bool{}}
	}
	return s.l
}

// anyPresent reports whether one of devices is in the clinic room.
func (l *link) anyPresent(devices []string) bool {
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
func (s *Service) linkChat(ctx context.Context, y *netsync.Syncer) {
	l := s.link()
	l.mu.Lock()
	l.syncer, l.syncCtx = y, ctx
	l.presence = map[string]string{}
	l.mu.Unlock()
}

// unlinkChat forgets y when its sync stops, once what y received is
// written.
func (s *Service) unlinkChat(y *netsync.Syncer) {
	s.mu.Lock()
	l := s.l
	s.mu.Unlock()
	if l == nil {
		return
	}
	l.mu.Lock()
	mine := l.syncer == y
	l.mu.Unlock()
	if !mine {
		return
	}
	s.drain(l)
	s.mu.Lock()
	if s.l == l {
		s.l = nil
	}
	s.mu.Unlock()
}

// liveXMPP returns the linked sync's XMPP session, or ErrOffline.
func (l *link) liveXMPP() (*netsync.Syncer, *xmpp.Session, error) {
	l.mu.Lock()
	y := l.syncer
	l.mu.Unlock()
	if y == nil {
		return nil, nil, ErrOffline
	}
	xs := y.XMPP()
	if xs == nil || xs.Err() != nil {
		return y, nil, ErrOffline
	}
	return y, xs, nil
}
