package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// nsMUC marks a presence as a request to join a multi-user chat room
// (XEP-0045). mellium's muc package is not used: in v0.22.0 its Join races
// with its presence handler and Channel.Joined is always false.
const nsMUC = "http://jabber.org/protocol/muc"

// JoinRoom joins the multi-user chat room (room@service) under nick and
// waits until the room confirms. The room then sends its recent history
// (as many messages as the server's default) with Delay set.
func (s *Session) JoinRoom(ctx context.Context, room, nick string) error {
	addr, err := jid.Parse(room)
	if err != nil {
		return fmt.Errorf("%w: room %q", ErrBadAddress, room)
	}
	occupant, err := addr.Bare().WithResource(nick)
	if err != nil || nick == "" {
		return fmt.Errorf("%w: nickname %q", ErrBadAddress, nick)
	}
	answer := make(chan error, 1)
	s.roomsMu.Lock()
	s.joining[occupant.String()] = answer
	s.roomsMu.Unlock()
	defer func() {
		s.roomsMu.Lock()
		delete(s.joining, occupant.String())
		s.roomsMu.Unlock()
	}()

	join := stanza.Presence{To: occupant}.Wrap(xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: nsMUC, Local: "x"}}))
	if err := s.write(ctx, join); err != nil {
		return fmt.Errorf("xmpp: join room %s: %w", addr.Bare(), err)
	}
	select {
	case err := <-answer:
		if errors.Is(err, stanza.Error{Condition: stanza.Conflict}) {
			return fmt.Errorf("%w: %q in %s: %w", ErrNickInUse, nick, addr.Bare(), err)
		}
		if err != nil {
			return fmt.Errorf("xmpp: join room %s: the room refused: %w", addr.Bare(), err)
		}
	case <-s.done:
		return s.err
	case <-ctx.Done():
		return fmt.Errorf("xmpp: join room %s: no answer: %w", addr.Bare(), ctx.Err())
	}
	s.roomsMu.Lock()
	s.rooms[addr.Bare().String()] = true
	s.occupant[addr.Bare().String()] = occupant
	s.roomsMu.Unlock()
	return nil
}

// roomAnswer passes a room's answer to a pending JoinRoom: the occupant's
// own available presence (sent last, after the other occupants') means
// joined; an error presence means refused.
func (s *Session) roomAnswer(r xml.TokenReader, start xml.StartElement, from, typ string) {
	s.roomsMu.Lock()
	answer := s.joining[from]
	s.roomsMu.Unlock()
	if answer == nil {
		return
	}
	var err error
	if typ == "error" {
		var refusal struct {
			Err stanza.Error `xml:"error"`
		}
		d := xml.NewTokenDecoder(unqualified(xmlstream.MultiReader(xmlstream.Token(start), r)))
		if err = d.Decode(&refusal); err == nil {
			err = refusal.Err
		}
	}
	select {
	case answer <- err:
	default: // already answered
	}
}

// SendRoom sends body to a room joined with JoinRoom. The room reflects
// it back to every occupant, this session included.
func (s *Session) SendRoom(ctx context.Context, room, body string) error {
	addr, err := jid.Parse(room)
	if err != nil {
		return fmt.Errorf("%w: room %q", ErrBadAddress, room)
	}
	if addr, err = s.joined(addr); err != nil {
		return err
	}
	return s.send(ctx, addr, stanza.GroupChatMessage, "", body, false)
}
