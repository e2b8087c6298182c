package xmpp

import (
	"encoding/xml"
	"sync"
	"time"

	"mellium.im/xmlstream"
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
	if msg, ok := decodeMessage(r, *start); ok {
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
	} `xml:"urn:xmpp:delay delay"`
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

// inbox hands received messages to the caller's function on a goroutine
// of its own, in order, so that reading the stream never waits for the
// caller.
type inbox struct {
	mu      sync.Mutex
	queue   []Message
	closed  bool
	wake    chan struct{}
	deliver func(Message)
}

func newInbox(deliver func(Message)) *inbox {
	b := &inbox{wake: make(chan struct{}, 1), deliver: deliver}
	if deliver != nil {
		go b.run()
	}
	return b
}

func (b *inbox) push(m Message) {
	if b.deliver == nil {
		return
	}
	b.mu.Lock()
	b.queue = append(b.queue, m)
	b.mu.Unlock()
	b.signal()
}

// close lets the delivery goroutine end once the queue is empty.
func (b *inbox) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.signal()
}

func (b *inbox) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *inbox) run() {
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
