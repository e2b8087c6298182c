package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/stanza"
)

// registration is in-band registration (XEP-0077) as a stream feature:
// mellium has no package for it. Prosody advertises it after TLS and
// before authentication; the client sends the register IQ in Negotiate.
type registration struct {
	offered bool // the server listed the feature
}

const nsRegister = "jabber:iq:register"

func (r *registration) feature(user, password string) xmpp.StreamFeature {
	return xmpp.StreamFeature{
		Name:       xml.Name{Space: "http://jabber.org/features/iq-register", Local: "register"},
		Necessary:  xmpp.Secure,
		Prohibited: xmpp.Authn,
		Parse: func(_ context.Context, d *xml.Decoder, _ *xml.StartElement) (bool, any, error) {
			r.offered = true
			return false, nil, d.Skip()
		},
		Negotiate: func(_ context.Context, s *xmpp.Session, _ any) (xmpp.SessionState, io.ReadWriter, error) {
			return 0, nil, register(s, user, password)
		},
	}
}

// register sends the register IQ and reads the answer. An account that
// exists already is not an error: authentication checks its password next.
func register(s *xmpp.Session, user, password string) error {
	field := func(name, value string) xml.TokenReader {
		return xmlstream.Wrap(xmlstream.Token(xml.CharData(value)), xml.StartElement{Name: xml.Name{Local: name}})
	}
	iq := stanza.IQ{ID: "register", Type: stanza.SetIQ}.Wrap(xmlstream.Wrap(
		xmlstream.MultiReader(field("username", user), field("password", password)),
		xml.StartElement{Name: xml.Name{Space: nsRegister, Local: "query"}},
	))
	w := s.TokenWriter()
	_, err := xmlstream.Copy(w, iq)
	if err == nil {
		err = w.Flush()
	}
	w.Close()
	if err != nil {
		return fmt.Errorf("xmpp: register: %w", err)
	}

	r := s.TokenReader()
	defer r.Close()
	d := xml.NewTokenDecoder(r)
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("xmpp: register: %w", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if start.Name.Local != "iq" {
			return fmt.Errorf("%w: unexpected <%s> in answer", ErrRegister, start.Name.Local)
		}
		var answer struct {
			stanza.IQ
			Err stanza.Error `xml:"error"`
		}
		if err := d.DecodeElement(&answer, &start); err != nil {
			return fmt.Errorf("xmpp: register: %w", err)
		}
		switch {
		case answer.ID != "register":
			return fmt.Errorf("%w: answer to another request (%q)", ErrRegister, answer.ID)
		case answer.Type == stanza.ResultIQ:
			return nil
		case errors.Is(answer.Err, stanza.Error{Condition: stanza.Conflict}):
			return nil
		default:
			return fmt.Errorf("%w: %w", ErrRegister, answer.Err)
		}
	}
}
