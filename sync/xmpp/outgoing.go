package xmpp

import (
	"context"
	"fmt"

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
