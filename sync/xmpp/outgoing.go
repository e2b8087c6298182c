package xmpp

import (
	"context"
	"encoding/xml"
	"fmt"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// Outgoing is a message to send with SendMessage.
type Outgoing struct {
	To   string // a JID, or a room's bare JID when Room
	Room bool   // a room joined with JoinRoom
	ID   string // the stanza id the recipient sees (optional)
	Body string
	// Sealed marks the body as Medihaven's end-to-end encrypted text
	// (XEP-0380, Explicit Message Encryption): an ordinary client (a
	// staff phone) says it cannot read it instead of showing the
	// armoured bytes. Workstations read the body as before.
	Sealed bool
}

// Explicit Message Encryption (XEP-0380): the element that names how a
// body is encrypted, and Medihaven's mechanism as other clients show it.
const (
	nsEME        = "urn:xmpp:eme:0"
	emeNamespace = "urn:medihaven:chat:1"
	emeName      = "Medihaven"
)

// SendMessage sends m: to one account (type chat) or to a joined room
// (type groupchat), with the stanza id m.ID.
func (s *Session) SendMessage(ctx context.Context, m Outgoing) error {
	addr, err := jid.Parse(m.To)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrBadAddress, m.To)
	}
	typ := stanza.ChatMessage
	if m.Room {
		if addr, err = s.joined(addr); err != nil {
			return err
		}
		typ = stanza.GroupChatMessage
	}
	return s.send(ctx, addr, typ, m.ID, m.Body, m.Sealed)
}

// joined returns the bare address of a room joined with JoinRoom, or
// ErrNotInRoom.
func (s *Session) joined(room jid.JID) (jid.JID, error) {
	bare := room.Bare()
	s.roomsMu.Lock()
	joined := s.rooms[bare.String()]
	s.roomsMu.Unlock()
	if !joined {
		return bare, fmt.Errorf("%w: %s", ErrNotInRoom, bare)
	}
	return bare, nil
}

// emeElement is the XEP-0380 element marking a sealed body.
func emeElement() xml.TokenReader {
	return xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: nsEME, Local: "encryption"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "namespace"}, Value: emeNamespace}, {Name: xml.Name{Local: "name"}, Value: emeName}}})
}
