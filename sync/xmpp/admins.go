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

// ErrNotServerAdmin means the server refused to change an account's
// administrator role: only an account that has it may.
var ErrNotServerAdmin = errors.New("xmpp: this workstation's chat account may not change who administers the chat server")

// ErrNoSuchAccount means the server has no account with that address.
var ErrNoSuchAccount = errors.New("xmpp: the chat server has no such account")

const (
	nodeSetAdmin   = "urn:medihaven:admins#set"
	formTypeAdmins = "urn:medihaven:admins"
)

// SetServerAdmin gives the account (a bare JID of this session's server)
// the server's administrator role, which lets it create account invites,
// or takes it away: the ad-hoc command urn:medihaven:admins#set of the
// clinic's own Prosody module (mod_medihaven_admins, which `medihaven
// server` installs), submitted in one step. Only an administrator may
// (else ErrNotServerAdmin).
func (s *Session) SetServerAdmin(ctx context.Context, account jid.JID, admin bool) error {
	field := func(name, value string) xml.TokenReader {
		return xmlstream.Wrap(
			xmlstream.Wrap(xmlstream.Token(xml.CharData(value)), xml.StartElement{Name: xml.Name{Local: "value"}}),
			xml.StartElement{Name: xml.Name{Local: "field"}, Attr: []xml.Attr{{Name: xml.Name{Local: "var"}, Value: name}}})
	}
	form := xmlstream.Wrap(xmlstream.MultiReader(
		field("FORM_TYPE", formTypeAdmins), field("account", account.Bare().String()), field("admin", fmt.Sprint(admin)),
	), xml.StartElement{Name: xml.Name{Space: nsDataForm, Local: "x"}, Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}}})
	cmd := xmlstream.Wrap(form, xml.StartElement{Name: xml.Name{Space: nsCommands, Local: "command"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: nodeSetAdmin}, {Name: xml.Name{Local: "action"}, Value: "execute"}}})
	var answer struct {
		Status string `xml:"status,attr"`
	}
	mctx, done := call(ctx)
	err := s.xs.UnmarshalIQElement(mctx, cmd, stanza.IQ{Type: stanza.SetIQ, To: s.xs.LocalAddr().Domain()}, &answer)
	done()
	switch {
	case errors.Is(err, stanza.Error{Condition: stanza.Forbidden}), errors.Is(err, stanza.Error{Condition: stanza.NotAuthorized}):
		return fmt.Errorf("%w: %w", ErrNotServerAdmin, err)
	case errors.Is(err, stanza.Error{Condition: stanza.ItemNotFound}):
		return fmt.Errorf("%w: %s: %w", ErrNoSuchAccount, account, err)
	case err != nil:
		return fmt.Errorf("xmpp: set the administrator role of %s: %w", account, err)
	case answer.Status != "completed":
		return fmt.Errorf("xmpp: set the administrator role of %s: the server answered %q", account, answer.Status)
	}
	return nil
}
