package xmpp

import (
	"encoding/xml"
	"sync"
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
	d := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(start), r))
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
	msg, ok := fromWire(*inner)
	if !ok {
		return Message{}, false
	}
	msg.StanzaID = w.Result.ID
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
	// A message can carry several delays (a room's and a server's): the
	// earliest is when it was first sent.
	for _, delay := range w.Delays {
		at, err := time.Parse(time.RFC3339Nano, delay.Stamp)
		if err == nil && (msg.Delay.IsZero() || at.Before(msg.Delay)) {
			msg.Delay = at.UTC()
		}
	}
	return msg, true
}

// inbox hands received messages (or presence) to the caller's function on
// a goroutine of its own, in order, so that reading the stream never waits
// for the caller.
type inbox[T any] struct {
	mu      sync.Mutex
	queue   []T
	closed  bool
	wake    chan struct{}
	deliver func(T)
}

func newInbox[T any](deliver func(T)) *inbox[T] {
	b := &inbox[T]{wake: make(chan struct{}, 1), deliver: deliver}
	if deliver != nil {
		go b.run()
	}
	return b
}

func (b *inbox[T]) push(m T) {
	if b.deliver == nil {
		return
	}
	b.mu.Lock()
	b.queue = append(b.queue, m)
	b.mu.Unlock()
	b.signal()
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
		b.queue = nil
		b.mu.Unlock()
		for _, m := range batch {
			b.deliver(m)
		}
		if closed {
			return
		}
	}
}
