package xmpp

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// ConfigureRoom submits a room configuration form, as KeepRoom does, with
// any fields (tests of what a room lets an occupant change).
func ConfigureRoom(ctx context.Context, s *Session, room string, fields ...string) error {
	return s.configureRoom(ctx, room, "the configuration", fields...)
}

// SetIQ sends an IQ of type set with the given XML payload and returns the
// error the server answered, if any (tests of what a server refuses).
func SetIQ(ctx context.Context, s *Session, to, payload string) error {
	addr, err := jid.Parse(to)
	if err != nil {
		return err
	}
	resp, err := s.xs.SendIQ(ctx, stanza.IQ{Type: stanza.SetIQ, To: addr}.Wrap(rawTokens{xml.NewDecoder(strings.NewReader(payload))}))
	if err != nil {
		return err
	}
	defer resp.Close()
	var answer struct {
		stanza.IQ
		Err stanza.Error `xml:"error"`
	}
	if err := xml.NewTokenDecoder(resp).Decode(&answer); err != nil {
		return err
	}
	if answer.Type == stanza.ErrorIQ {
		return fmt.Errorf("%s refused: %w", to, answer.Err)
	}
	return nil
}
