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

// nsDiscoInfo is service discovery's information query (XEP-0030).
const nsDiscoInfo = "http://jabber.org/protocol/disco#info"

// ErrNoSuchRoom means the server has no room at that address (yet: a
// room is made when someone first joins it).
var ErrNoSuchRoom = errors.New("xmpp: the chat server has no such room")

// Features returns what the entity at addr (a room, a server) says it
// offers (XEP-0030 disco#info), e.g. "muc_persistent" for a room that is
// kept when everyone has left.
func (s *Session) Features(ctx context.Context, addr string) (map[string]bool, error) {
	to, err := jid.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrBadAddress, addr)
	}
	var answer struct {
		Features []struct {
			Var string `xml:"var,attr"`
		} `xml:"feature"`
	}
	query := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: nsDiscoInfo, Local: "query"}})
	mctx, done := call(ctx)
	err = s.xs.UnmarshalIQElement(mctx, query, stanza.IQ{Type: stanza.GetIQ, To: to}, &answer)
	done()
	if errors.Is(err, stanza.Error{Condition: stanza.ItemNotFound}) {
		return nil, fmt.Errorf("%w: %s: %w", ErrNoSuchRoom, addr, err)
	}
	if err != nil {
		return nil, fmt.Errorf("xmpp: ask %s what it offers: %w", addr, err)
	}
	features := make(map[string]bool, len(answer.Features))
	for _, f := range answer.Features {
		features[f.Var] = true
	}
	return features, nil
}
