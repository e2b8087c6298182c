package xmpp

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// ConfigureRoom submits a room's configuration form (XEP-0045 owner use
// case) with the given fields, name and value in turn; fields not named
// keep their values. Workstations configure no room (the clinic's server
// does: mod_medihaven_rooms); tests use it on rooms of their own (keep
// one's archive, or not) and to check that the clinic's rooms refuse it.
func ConfigureRoom(ctx context.Context, s *Session, room string, fields ...string) error {
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
		xml.StartElement{Name: xml.Name{Space: nsDataForm, Local: "x"}, Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}}})
	return setIQ(ctx, s, room, xmlstream.Wrap(form, xml.StartElement{Name: xml.Name{Space: "http://jabber.org/protocol/muc#owner", Local: "query"}}))
}

// KeepRoom and UnarchiveRoom configure a test's own room: kept when empty,
// archived, real JIDs shown; or not archived.
func KeepRoom(ctx context.Context, s *Session, room string) error {
	return ConfigureRoom(ctx, s, room, "muc#roomconfig_persistentroom", "1",
		"muc#roomconfig_enablearchiving", "1", "muc#roomconfig_whois", "anyone")
}

func UnarchiveRoom(ctx context.Context, s *Session, room string) error {
	return ConfigureRoom(ctx, s, room, "muc#roomconfig_enablearchiving", "0")
}

// SendRaw writes a stanza given as XML text, as a client that writes its
// own stanzas would.
func SendRaw(ctx context.Context, s *Session, stanzaXML string) error {
	return s.write(ctx, rawTokens{xml.NewDecoder(strings.NewReader(stanzaXML))})
}

// SetIQ sends an IQ of type set with the given XML payload and returns the
// error the server answered, if any (tests of what a server refuses).
func SetIQ(ctx context.Context, s *Session, to, payload string) error {
	return setIQ(ctx, s, to, rawTokens{xml.NewDecoder(strings.NewReader(payload))})
}

func setIQ(ctx context.Context, s *Session, to string, payload xml.TokenReader) error {
	addr, err := jid.Parse(to)
	if err != nil {
		return err
	}
	resp, err := s.xs.SendIQ(ctx, stanza.IQ{Type: stanza.SetIQ, To: addr.Bare()}.Wrap(payload))
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
