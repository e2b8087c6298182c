package xmpp

import (
	"encoding/xml"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// Names of the top-level elements handle looks at.
var (
	messageName  = xml.Name{Space: stanza.NSClient, Local: "message"}
	presenceName = xml.Name{Space: stanza.NSClient, Local: "presence"}
)

// receive handles every incoming message stanza. It never returns an error
// for a malformed message: an error would end the whole stream.
func (s *Session) receive(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	if attr(*start, "type") == string(stanza.ErrorMessage) {
		if id, from, ok := decodeRefusal(r, *start); ok {
			s.refusals.note(id, from)
		}
		return nil
	}
	if msg, ok := decodeMessage(r, *start); ok {
		if msg.archiveQuery != "" {
			s.archived(msg)
			return nil
		}
		switch {
		case msg.Room && msg.Replayed:
			// The room's history for a joiner: from its archive with
			// the room's own <x/>, or from memory with only the <x/> the
			// speaker wrote (Prosody adds its own to the archived copy
			// alone). Which it was does not show, so nobody is named.
			msg.Sender = ""
		case msg.Room:
			// Live: whoever holds the nickname now, as the room's
			// presence said; an <x/> in the message is the sender's own
			// claim (Prosody passes it through) and is not believed.
			msg.Sender = s.occupantJID(msg.From)
		case s.isRoom(jidBare(msg.From)):
			// A private message a room relays comes from the sender's
			// room address: its account is the occupant's, as the
			// room's presence said, never the room (h-sec20c).
			msg.Sender = s.occupantJID(msg.From)
		}
		s.inbox.push(msg)
	}
	return nil
}

// wireMessage is the part of a message stanza we read.
type wireMessage struct {
	stanza.Message
	Bodies []string `xml:"body"`
	Delays []struct {
		Stamp string `xml:"stamp,attr"`
		From  string `xml:"from,attr"`
	} `xml:"urn:xmpp:delay delay"`
	// MUCUser is what a room says about the sender of a message it
	// replays from its history or archive (Prosody adds it to what it
	// stores when the room tells real JIDs).
	MUCUser   []mucUser `xml:"http://jabber.org/protocol/muc#user x"`
	StanzaIDs []struct {
		By string `xml:"by,attr"`
		ID string `xml:"id,attr"`
	} `xml:"urn:xmpp:sid:0 stanza-id"`
	// Result is set on a message that carries one result of an archive
	// query (XEP-0313): the archived message, forwarded.
	Result *struct {
		QueryID   string `xml:"queryid,attr"`
		ID        string `xml:"id,attr"`
		Forwarded struct {
			Delay struct {
				Stamp string `xml:"stamp,attr"`
			} `xml:"urn:xmpp:delay delay"`
			Message *wireMessage `xml:"jabber:client message"`
		} `xml:"urn:xmpp:forward:0 forwarded"`
	} `xml:"urn:xmpp:mam:2 result"`
}

// decodeMessage reads the stanza that begins with start from r. It reports
// false for anything that is not a chat, groupchat or normal message with
// a body.
func decodeMessage(r xml.TokenReader, start xml.StartElement) (Message, bool) {
	if start.Name.Local != "message" {
		return Message{}, false
	}
	// The decoder must see the start element to match the end element.
	d := xml.NewTokenDecoder(unqualified(xmlstream.MultiReader(xmlstream.Token(start), r)))
	var w wireMessage
	if err := d.Decode(&w); err != nil {
		return Message{}, false
	}
	if w.Result != nil {
		return decodeArchived(w)
	}
	return fromWire(w)
}

// decodeArchived reads one result of an archive query: the forwarded
// message, with the archive's id and the time the archive received it.
func decodeArchived(w wireMessage) (Message, bool) {
	inner := w.Result.Forwarded.Message
	if inner == nil || w.Result.QueryID == "" || w.Result.ID == "" {
		return Message{}, false
	}
	inner.Result = nil
	inner.StanzaIDs = nil
	// The archived message's own delays are whatever reached the archive,
	// the sender's included: only the archive's time is believed.
	inner.Delays = nil
	msg, ok := fromWire(*inner)
	if !ok {
		return Message{}, false
	}
	msg.StanzaID, msg.Archived = w.Result.ID, true
	msg.Replayed = false // read from the archive, not replayed on joining
	if at, err := time.Parse(time.RFC3339Nano, w.Result.Forwarded.Delay.Stamp); err == nil {
		msg.Delay = at.UTC()
	}
	msg.archiveQuery, msg.archiveFrom = w.Result.QueryID, w.From.String()
	return msg, true
}

// fromWire turns a decoded stanza into a Message, refusing what is not a
// chat, groupchat or normal message with a body.
func fromWire(w wireMessage) (Message, bool) {
	typ := w.Type
	if typ == "" {
		typ = stanza.NormalMessage
	}
	if typ != stanza.ChatMessage && typ != stanza.GroupChatMessage && typ != stanza.NormalMessage {
		return Message{}, false
	}
	msg := Message{
		From: w.From.String(),
		To:   w.To.String(),
		Type: string(typ),
		ID:   w.ID,
		Room: typ == stanza.GroupChatMessage,
	}
	for _, body := range w.Bodies {
		if body != "" {
			msg.Body = body
			break
		}
	}
	if msg.Body == "" {
		return Message{}, false
	}
	if msg.Room {
		// A room replays its history with a delay of its own (the room
		// strips any an occupant sends in its name). Its archive names
		// the sender in one <x/> when the room tells real JIDs; the
		// sender may add an <x/> of its own: then there are two, and
		// neither is believed (receive names nobody on a replay).
		for _, delay := range w.Delays {
			if delay.From != "" && delay.From == w.From.Bare().String() {
				msg.Replayed = true
			}
		}
		if len(w.MUCUser) == 1 {
			msg.Sender = w.MUCUser[0].realJID()
		}
	} else if !w.From.Equal(jid.JID{}) {
		msg.Sender = w.From.Bare().String()
	}
	// The server (or the room) that archived the message names its id for
	// it; only the archive of the recipient or of the room is believed.
	for _, sid := range w.StanzaIDs {
		if sid.ID != "" && (sid.By == w.To.Bare().String() || (msg.Room && sid.By == w.From.Bare().String())) {
			msg.StanzaID = sid.ID
			break
		}
	}
	msg.Delay = delayOf(w, msg.Room)
	return msg, true
}

// delayOf is when the server took a message it delivers late: the stamp
// of a delay that the room (on a room's history) or this account's own
// server (on offline storage) added, never one the sender wrote, which
// may say any time. A room strips delays in its name from what occupants
// send (Prosody's muc-occupant-groupchat), so its own is the one left.
// The server appends its offline stamp after whatever the sender wrote,
// so of several in the server's name the last is believed. Zero when
// none is believed: the message is live.
func delayOf(w wireMessage, room bool) time.Time {
	origin := w.To.Domainpart()
	if room {
		origin = w.From.Bare().String()
	}
	var delay time.Time
	for _, d := range w.Delays {
		if origin == "" || d.From != origin {
			continue
		}
		if at, err := time.Parse(time.RFC3339Nano, d.Stamp); err == nil {
			delay = at.UTC()
		} else {
			delay = time.Time{} // the server's last word is no time: none is believed
		}
	}
	return delay
}

// The bound on what a session holds for onMessage that onMessage has not
// taken yet. Beyond it the oldest messages are dropped (Config.Keep's
// excepted) down to three quarters of it, so that a burst from anyone
// with an account on the server cannot grow a workstation's memory while
// onMessage falls behind. What is dropped here the server still has in
// its archive (XEP-0313) when it archived it.
const (
	MaxInbox      = 5000    // messages
	MaxInboxBytes = 4 << 20 // bytes of bodies
)

// inbox hands received messages (or presence) to the caller's function on
// a goroutine of its own, in order, so that reading the stream never waits
// for the caller. An inbox made with a bound holds at most max items and
// maxBytes of their size: beyond either it drops the oldest items that
// keep does not claim.
type inbox[T any] struct {
	mu      sync.Mutex
	queue   []T
	bytes   int // size of what queue holds
	closed  bool
	wake    chan struct{}
	deliver func(T)

	max, maxBytes int          // 0: no bound
	size          func(T) int  // an item's share of maxBytes
	keep          func(T) bool // items never dropped
	dropped       atomic.Int64 // items dropped so far

	// key, if set, names what an item is the latest word on (a
	// presence: its sender): a new item replaces a waiting one of the
	// same key in its place, so the queue holds one an address. at is
	// where each key waits.
	key func(T) string
	at  map[string]int
}

func newInbox[T any](deliver func(T)) *inbox[T] {
	b := &inbox[T]{wake: make(chan struct{}, 1), deliver: deliver}
	if deliver != nil {
		go b.run()
	}
	return b
}

// newPresenceInbox is the inbox of received presence: the latest of each
// address only (an older one waiting is replaced in its place), and at
// most MaxInbox addresses (a member who changes her room nickname in a
// loop names a new address each time), the oldest dropped beyond it.
func newPresenceInbox(deliver func(Presence)) *inbox[Presence] {
	b := newInbox(deliver)
	b.max, b.maxBytes = MaxInbox, MaxInboxBytes
	b.size = func(p Presence) int { return len(p.From) + len(p.JID) + len(p.Show) }
	b.key = func(p Presence) string { return p.From }
	return b
}

// newMessageInbox is the inbox of received messages: bounded by MaxInbox
// and MaxInboxBytes, keep's messages never dropped.
func newMessageInbox(deliver func(Message), keep func(Message) bool) *inbox[Message] {
	b := newInbox(deliver)
	b.max, b.maxBytes = MaxInbox, MaxInboxBytes
	b.size = func(m Message) int { return len(m.Body) }
	b.keep = keep
	return b
}

func (b *inbox[T]) push(m T) {
	if b.deliver == nil {
		return
	}
	b.mu.Lock()
	if b.key != nil {
		k := b.key(m)
		if i, ok := b.at[k]; ok {
			b.bytes += b.size(m) - b.size(b.queue[i])
			b.queue[i] = m
			b.mu.Unlock()
			b.signal()
			return
		}
		if b.at == nil {
			b.at = map[string]int{}
		}
		b.at[k] = len(b.queue)
	}
	b.queue = append(b.queue, m)
	if b.max > 0 {
		b.bytes += b.size(m)
		if len(b.queue) > b.max || b.bytes > b.maxBytes {
			b.trim()
		}
	}
	b.mu.Unlock()
	b.signal()
}

// trim drops the oldest items keep does not claim until the queue holds at
// most three quarters of its bound (or nothing more can be dropped): one
// pass for a quarter of the bound's pushes. Callers hold b.mu.
func (b *inbox[T]) trim() {
	wantN, wantBytes := b.max*3/4, b.maxBytes*3/4
	n, kept := len(b.queue), b.queue[:0]
	for _, m := range b.queue {
		if (n > wantN || b.bytes > wantBytes) && (b.keep == nil || !b.keep(m)) {
			n--
			b.bytes -= b.size(m)
			b.dropped.Add(1)
			continue
		}
		kept = append(kept, m)
	}
	clear(b.queue[len(kept):]) // let the dropped items go
	b.queue = kept
	if b.key != nil {
		clear(b.at)
		for i, m := range b.queue {
			b.at[b.key(m)] = i
		}
	}
}

// close lets the delivery goroutine end once the queue is empty.
func (b *inbox[T]) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.signal()
}

func (b *inbox[T]) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *inbox[T]) run() {
	for range b.wake {
		b.mu.Lock()
		batch, closed := b.queue, b.closed
		b.queue, b.bytes = nil, 0
		clear(b.at)
		b.mu.Unlock()
		for _, m := range batch {
			b.deliver(m)
		}
		if closed {
			return
		}
	}
}

// jidBare is the bare part of addr, "" when addr is not a JID.
func jidBare(addr string) string {
	j, err := jid.Parse(addr)
	if err != nil {
		return ""
	}
	return j.Bare().String()
}
