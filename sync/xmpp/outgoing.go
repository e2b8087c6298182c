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
}

// SendMessage sends m: to one account (type chat) or to a joined room
// (type groupchat), with the stanza id m.ID.
func (s *Session) SendMessage(ctx context.Context, m Outgoing) error {
	addr, err := jid.Parse(m.To)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrBadAddress, m.To)
	}
	if !m.Room {
		return s.send(ctx, addr, stanza.ChatMessage, m.ID, m.Body)
	}
	s.roomsMu.Lock()
	joined := s.rooms[addr.Bare().String()]
	s.roomsMu.Unlock()
	if !joined {
		return fmt.Errorf("%w: %s", ErrNotInRoom, addr.Bare())
	}
	return s.send(ctx, addr.Bare(), stanza.GroupChatMessage, m.ID, m.Body)
}

// Namespaces of a room's configuration (XEP-0045 owner use case, XEP-0004
// data forms).
const (
	nsMUCOwner = "http://jabber.org/protocol/muc#owner"
	nsData     = "jabber:x:data"
)

// KeepRoom asks a room this session owns (it created it) to persist when
// empty, so that its archive is kept for those who join later, and to
// tell every occupant the real JIDs of the others (so that Message.Sender
// and Presence.JID are known). A room owned by someone else refuses; that
// is not a fault of the caller's.
func (s *Session) KeepRoom(ctx context.Context, room string) error {
	return s.configureRoom(ctx, room, "to be kept",
		"muc#roomconfig_persistentroom", "1",
		"muc#roomconfig_enablearchiving", "1",
		"muc#roomconfig_whois", "anyone")
}

// UnarchiveRoom asks a room this session owns (it created it) not to
// archive what is said in it (XEP-0313's muc#roomconfig_enablearchiving):
// for a room whose history nobody reads from the archive, where Prosody
// would otherwise write every message to disk. The room still replays its
// last messages, held in memory, to those who join. A room owned by
// someone else refuses; that is not a fault of the caller's.
func (s *Session) UnarchiveRoom(ctx context.Context, room string) error {
	return s.configureRoom(ctx, room, "to stop archiving", "muc#roomconfig_enablearchiving", "0")
}

// configureRoom submits the room configuration form (XEP-0045 owner use
// case) with the given fields, name and value in turn; fields not named
// keep their values. what says what was asked, for the error.
func (s *Session) configureRoom(ctx context.Context, room, what string, fields ...string) error {
	addr, err := jid.Parse(room)
	if err != nil {
		return fmt.Errorf("%w: room %q", ErrBadAddress, room)
	}
	field := func(name, value string) xml.TokenReader {
		return xmlstream.Wrap(
			xmlstream.Wrap(xmlstream.Token(xml.CharData(value)), xml.StartElement{Name: xml.Name{Local: "value"}}),
			xml.StartElement{Name: xml.Name{Local: "field"}, Attr: []xml.Attr{{Name: xml.Name{Local: "var"}, Value: name}}},
		)
	}
	set := []xml.TokenReader{field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig")}
	for i := 0; i+1 < len(fields); i += 2 {
		set = append(set, field(fields[i], fields[i+1]))
	}
	form := xmlstream.Wrap(xmlstream.MultiReader(set...),
		xml.StartElement{Name: xml.Name{Space: nsData, Local: "x"}, Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}}})
	query := xmlstream.Wrap(form, xml.StartElement{Name: xml.Name{Space: nsMUCOwner, Local: "query"}})
	mctx, done := call(ctx)
	resp, err := s.xs.SendIQ(mctx, stanza.IQ{Type: stanza.SetIQ, To: addr.Bare()}.Wrap(query))
	done()
	if err != nil {
		return fmt.Errorf("xmpp: configure room %s: %w", addr.Bare(), err)
	}
	defer resp.Close()
	var answer struct {
		stanza.IQ
		Err stanza.Error `xml:"error"`
	}
	if err := xml.NewTokenDecoder(resp).Decode(&answer); err != nil {
		return fmt.Errorf("xmpp: configure room %s: %w", addr.Bare(), err)
	}
	if answer.Type == stanza.ErrorIQ {
		return fmt.Errorf("xmpp: room %s refused %s: %w", addr.Bare(), what, answer.Err)
	}
	return nil
}
