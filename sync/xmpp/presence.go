package xmpp

import (
	"context"
	"encoding/xml"
	"fmt"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// What a Presence says about someone.
const (
	Online  = "online"
	Away    = "away"
	Offline = "offline"
)

// Presence is whether another occupant of a room (room@service/nick) or a
// contact (a full JID) is online, away or offline.
type Presence struct {
	From string
	Show string // Online, Away or Offline
	Room bool   // From is a room occupant
	// JID is a room occupant's real bare JID, as the room tells it (the
	// room removes anything the occupant says about itself); "" when the
	// room does not tell (an anonymous room) or From is not an occupant.
	JID string
}

// mucUser is the room's <x xmlns='http://jabber.org/protocol/muc#user'/>
// on an occupant's presence, or on a message it replays.
type mucUser struct {
	Items []struct {
		JID string `xml:"jid,attr"`
	} `xml:"item"`
}

// realJID is the bare JID of the one item, "" unless there is exactly one
// item with a valid JID.
func (x mucUser) realJID() string {
	if len(x.Items) != 1 {
		return ""
	}
	addr, err := jid.Parse(x.Items[0].JID)
	if err != nil || addr.Localpart() == "" {
		return ""
	}
	return addr.Bare().String()
}

// decodePresence reads a presence stanza whose start element was already
// read. It reports false for anything but available and unavailable
// presence from someone.
func decodePresence(r xml.TokenReader, start xml.StartElement, isRoom func(string) bool) (Presence, bool) {
	d := xml.NewTokenDecoder(unqualified(xmlstream.MultiReader(xmlstream.Token(start), r)))
	var w struct {
		stanza.Presence
		Show    string    `xml:"show"`
		MUCUser []mucUser `xml:"http://jabber.org/protocol/muc#user x"`
	}
	if err := d.Decode(&w); err != nil || w.From.Equal(jid.JID{}) {
		return Presence{}, false
	}
	p := Presence{From: w.From.String(), Room: isRoom(w.From.Bare().String())}
	if p.Room && len(w.MUCUser) == 1 {
		p.JID = w.MUCUser[0].realJID()
	}
	switch w.Type {
	case stanza.UnavailablePresence:
		p.Show = Offline
	case "":
		p.Show = Online
		if w.Show == "away" || w.Show == "xa" || w.Show == "dnd" {
			p.Show = Away
		}
	default:
		return Presence{}, false
	}
	return p, true
}

// isRoom reports whether bare is a room this session joined (or is
// joining).
func (s *Session) isRoom(bare string) bool {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	if s.rooms[bare] {
		return true
	}
	for occupant := range s.joining {
		if addr, err := jid.Parse(occupant); err == nil && addr.Bare().String() == bare {
			return true
		}
	}
	return false
}

// noteOccupant keeps the real JID of a room occupant from its presence,
// and forgets it when the occupant leaves.
func (s *Session) noteOccupant(p Presence) {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	if p.Show == Offline {
		delete(s.realJID, p.From)
		return
	}
	s.realJID[p.From] = p.JID
}

// occupantJID returns the real bare JID of the occupant room@service/nick
// now present, "" if unknown.
func (s *Session) occupantJID(occupant string) string {
	s.roomsMu.Lock()
	defer s.roomsMu.Unlock()
	return s.realJID[occupant]
}

// SetAway tells the server, and every room this session joined, that the
// person is away (true) or back (false).
func (s *Session) SetAway(ctx context.Context, away bool) error {
	var show xml.TokenReader
	if away {
		show = xmlstream.Wrap(xmlstream.Token(xml.CharData("away")), xml.StartElement{Name: xml.Name{Local: "show"}})
	}
	if err := s.write(ctx, stanza.Presence{}.Wrap(show)); err != nil {
		return fmt.Errorf("xmpp: set presence: %w", err)
	}
	s.roomsMu.Lock()
	occupants := make([]jid.JID, 0, len(s.occupant))
	for _, o := range s.occupant {
		occupants = append(occupants, o)
	}
	s.roomsMu.Unlock()
	for _, o := range occupants {
		var show xml.TokenReader
		if away {
			show = xmlstream.Wrap(xmlstream.Token(xml.CharData("away")), xml.StartElement{Name: xml.Name{Local: "show"}})
		}
		if err := s.write(ctx, stanza.Presence{To: o}.Wrap(show)); err != nil {
			return fmt.Errorf("xmpp: set presence in %s: %w", o.Bare(), err)
		}
	}
	return nil
}
