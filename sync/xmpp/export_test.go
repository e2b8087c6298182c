package xmpp

import (
	"context"
	"encoding/xml"
	"strings"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// rawTokens reads XML text as tokens, namespaces left as written.
type rawTokens struct{ d *xml.Decoder }

func (r rawTokens) Token() (xml.Token, error) { return r.d.RawToken() }

// SendRoomWith sends body to a joined room with extra XML children, as a
// client that writes its own stanzas would (tests of what a room passes
// through).
func SendRoomWith(ctx context.Context, s *Session, room, body, extra string) error {
	addr, err := jid.Parse(room)
	if err != nil {
		return err
	}
	payload := xmlstream.MultiReader(
		xmlstream.Wrap(xmlstream.Token(xml.CharData(body)), xml.StartElement{Name: xml.Name{Local: "body"}}),
		rawTokens{xml.NewDecoder(strings.NewReader(extra))},
	)
	return s.write(ctx, stanza.Message{To: addr.Bare(), Type: stanza.GroupChatMessage}.Wrap(payload))
}

// InboxLen reports how many received messages and bytes of bodies wait
// for the session's onMessage.
func InboxLen(s *Session) (n, bytes int) {
	s.inbox.mu.Lock()
	defer s.inbox.mu.Unlock()
	return len(s.inbox.queue), s.inbox.bytes
}

// PublishPEPTo publishes text as item id of the PEP node node of another
// account, as a client that writes its own IQs would, with
// PublishPEP's publish-options when options (tests of the server's refusal).
func PublishPEPTo(ctx context.Context, s *Session, owner jid.JID, node, id, text string, options bool) error {
	return s.publishPEP(ctx, owner, node, id, text, options)
}
