package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/stanza"
)

// registration is in-band registration (XEP-0077) as a stream feature:
// mellium has no package for it. Prosody advertises it after TLS and
// before authentication; the client sends the register IQ in Negotiate,
// after presenting the invite (XEP-0401 preauth, urn:xmpp:pars:0) when it
// has one.
//
// mellium negotiates an optional feature and goes on to the required one
// (SASL) whatever it returned, so a refusal here would only show as a
// failed login. The feature therefore keeps its error, and login reports
// it instead of trying the password (ErrRegister, ErrInvite).
type registration struct {
	offered bool  // the server listed the feature
	err     error // why the server did not make the account
}

const (
	nsRegister = "jabber:iq:register"
	nsPreauth  = "urn:xmpp:pars:0"
)

func (r *registration) feature(user, password, invite string) xmpp.StreamFeature {
	return xmpp.StreamFeature{
		Name:       xml.Name{Space: "http://jabber.org/features/iq-register", Local: "register"},
		Necessary:  xmpp.Secure,
		Prohibited: xmpp.Authn,
		Parse: func(_ context.Context, d *xml.Decoder, _ *xml.StartElement) (bool, any, error) {
			r.offered = true
			return false, nil, d.Skip()
		},
		Negotiate: func(_ context.Context, s *xmpp.Session, _ any) (xmpp.SessionState, io.ReadWriter, error) {
			r.err = register(s, user, password, invite)
			return 0, nil, r.err
		},
	}
}

// register presents the invite, if any, then sends the register IQ and
// reads the answers. An account that exists already is not an error:
// authentication checks its password next.
func register(s *xmpp.Session, user, password, invite string) error {
	if invite != "" {
		preauth := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: nsPreauth, Local: "preauth"},
			Attr: []xml.Attr{{Name: xml.Name{Local: "token"}, Value: invite}}})
		switch err := negotiationIQ(s, "preauth", preauth); {
		case err == nil:
		case isStanzaError(err):
			return fmt.Errorf("%w: %w", ErrInvite, err)
		default:
			return fmt.Errorf("%w: %w", ErrRegister, err)
		}
	}
	field := func(name, value string) xml.TokenReader {
		return xmlstream.Wrap(xmlstream.Token(xml.CharData(value)), xml.StartElement{Name: xml.Name{Local: name}})
	}
	query := xmlstream.Wrap(xmlstream.MultiReader(field("username", user), field("password", password)),
		xml.StartElement{Name: xml.Name{Space: nsRegister, Local: "query"}})
	err := negotiationIQ(s, "register", query)
	switch {
	case err == nil, errors.Is(err, stanza.Error{Condition: stanza.Conflict}):
		return nil
	case invite == "" && needsInvite(err):
		return fmt.Errorf("%w: %w", ErrInvite, err)
	}
	return fmt.Errorf("%w: %w", ErrRegister, err)
}

// needsInvite reports whether a refused registration was refused for want
// of an invite: Prosody answers not-acceptable with "Registration on this
// server is through invitation only" (mod_invites_register).
func needsInvite(err error) bool {
	var se stanza.Error
	if !errors.As(err, &se) {
		return false
	}
	for _, text := range se.Text {
		if strings.Contains(strings.ToLower(text), "invit") {
			return true
		}
	}
	return false
}

func isStanzaError(err error) bool {
	var se stanza.Error
	return errors.As(err, &se)
}

// negotiationIQ sends a set IQ with payload while the stream is being
// negotiated and reads the answer: nil for a result, the stanza.Error of
// an error answer, another error when the stream fails.
func negotiationIQ(s *xmpp.Session, id string, payload xml.TokenReader) error {
	w := s.TokenWriter()
	_, err := xmlstream.Copy(w, stanza.IQ{ID: id, Type: stanza.SetIQ}.Wrap(payload))
	if err == nil {
		err = w.Flush()
	}
	w.Close()
	if err != nil {
		return fmt.Errorf("xmpp: %s: %w", id, err)
	}
	r := s.TokenReader()
	defer r.Close()
	d := xml.NewTokenDecoder(r)
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("xmpp: %s: %w", id, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if start.Name.Local != "iq" {
			return fmt.Errorf("xmpp: %s: unexpected <%s> in answer", id, start.Name.Local)
		}
		var answer struct {
			stanza.IQ
			Err stanza.Error `xml:"error"`
		}
		if err := d.DecodeElement(&answer, &start); err != nil {
			return fmt.Errorf("xmpp: %s: %w", id, err)
		}
		switch {
		case answer.ID != id:
			return fmt.Errorf("xmpp: %s: answer to another request (%q)", id, answer.ID)
		case answer.Type == stanza.ResultIQ:
			return nil
		}
		return answer.Err
	}
}
