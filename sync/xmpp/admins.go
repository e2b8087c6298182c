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
// administrator role, or to end an account: only an account that has the
// role may.
var ErrNotServerAdmin = errors.New("xmpp: this workstation's chat account may not change who administers the chat server")

// ErrNoSuchAccount means the server has no account with that address.
var ErrNoSuchAccount = errors.New("xmpp: the chat server has no such account")

// ErrServerAdminAccount means the server refused to end an account that
// has its administrator role: take the role first (SetServerAdmin).
var ErrServerAdminAccount = errors.New("xmpp: the chat server does not end an administrator's account; take its administrator role first")

// ErrNoServerCommand means the server does not know the command: it runs
// an older mod_medihaven_admins (a server folder of an older Medihaven,
// still running), and ends no account until `medihaven server` is started
// again from a newer version.
var ErrNoServerCommand = errors.New("xmpp: the chat server cannot end a revoked member's accounts yet: run a newer `medihaven server` on it")

const (
	nodeSetAdmin      = "urn:medihaven:admins#set"
	nodeRemoveAccount = "urn:medihaven:admins#remove"
	nodeUninvite      = "urn:medihaven:admins#uninvite"
	formTypeAdmins    = "urn:medihaven:admins"
)

// SetServerAdmin gives the account (a bare JID of this session's server)
// the server's administrator role, which lets it create account invites,
// or takes it away: the ad-hoc command urn:medihaven:admins#set of the
// clinic's own Prosody module (mod_medihaven_admins, which `medihaven
// server` installs), submitted in one step. Only an administrator may
// (else ErrNotServerAdmin).
func (s *Session) SetServerAdmin(ctx context.Context, account jid.JID, admin bool) error {
	err := s.adminCommand(ctx, nodeSetAdmin, "account", account.Bare().String(), "admin", fmt.Sprint(admin))
	switch {
	case errors.Is(err, stanza.Error{Condition: stanza.ItemNotFound}):
		return fmt.Errorf("%w: %s: %w", ErrNoSuchAccount, account, err)
	case err != nil:
		return fmt.Errorf("xmpp: set the administrator role of %s: %w", account, err)
	}
	return nil
}

// RemoveServerAccount ends the account (a bare JID of this session's
// server): the server deletes it and closes its live sessions, so its
// workstation is out of every room at once and cannot log in again. It is
// the ad-hoc command urn:medihaven:admins#remove of mod_medihaven_admins,
// for a revoked member's devices. An account already gone is not an
// error. Only an administrator may (else ErrNotServerAdmin); an account
// with the administrator role is refused (ErrServerAdminAccount); a
// server whose module predates the command says ErrNoServerCommand.
func (s *Session) RemoveServerAccount(ctx context.Context, account jid.JID) error {
	err := s.adminCommand(ctx, nodeRemoveAccount, "account", account.Bare().String())
	switch {
	case errors.Is(err, stanza.Error{Condition: stanza.NotAllowed}):
		return fmt.Errorf("%w: %s: %w", ErrServerAdminAccount, account, err)
	case err != nil:
		return fmt.Errorf("xmpp: end the chat account %s: %w", account, err)
	}
	return nil
}

// CancelAccountInvite makes the server forget the account invite whose
// preauth token is invite (AccountInvite.Token), so that nobody makes an
// account with it: the ad-hoc command urn:medihaven:admins#uninvite of
// mod_medihaven_admins, for a registration token revoked or expired while
// its invite is still valid. An invite used or gone already is not an
// error. Only an administrator may (else ErrNotServerAdmin); a server
// whose module predates the command says ErrNoServerCommand.
func (s *Session) CancelAccountInvite(ctx context.Context, invite string) error {
	if err := s.adminCommand(ctx, nodeUninvite, "invite", invite); err != nil {
		return fmt.Errorf("xmpp: cancel an account invite: %w", err)
	}
	return nil
}

// adminCommand executes the ad-hoc command node of mod_medihaven_admins in
// one step, with a submitted form of the given field names and values.
// A refusal for want of the administrator role is ErrNotServerAdmin, a
// command the server does not have ErrNoServerCommand; other refusals are
// the stanza.Error, for the caller to name.
func (s *Session) adminCommand(ctx context.Context, node string, nameValues ...string) error {
	fields := []xml.TokenReader{field("FORM_TYPE", formTypeAdmins)}
	for i := 0; i+1 < len(nameValues); i += 2 {
		fields = append(fields, field(nameValues[i], nameValues[i+1]))
	}
	form := xmlstream.Wrap(xmlstream.MultiReader(fields...),
		xml.StartElement{Name: xml.Name{Space: nsDataForm, Local: "x"}, Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}}})
	cmd := xmlstream.Wrap(form, xml.StartElement{Name: xml.Name{Space: nsCommands, Local: "command"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: node}, {Name: xml.Name{Local: "action"}, Value: "execute"}}})
	var answer struct {
		Status string `xml:"status,attr"`
	}
	mctx, done := call(ctx)
	err := s.xs.UnmarshalIQElement(mctx, cmd, stanza.IQ{Type: stanza.SetIQ, To: s.xs.LocalAddr().Domain()}, &answer)
	done()
	switch {
	case errors.Is(err, stanza.Error{Condition: stanza.Forbidden}), errors.Is(err, stanza.Error{Condition: stanza.NotAuthorized}):
		return fmt.Errorf("%w: %w", ErrNotServerAdmin, err)
	case errors.Is(err, stanza.Error{Condition: stanza.ServiceUnavailable}), errors.Is(err, stanza.Error{Condition: stanza.FeatureNotImplemented}):
		// Prosody answers an IQ nobody handles, here a command node no
		// module provides, with service-unavailable.
		return fmt.Errorf("%w: %s: %w", ErrNoServerCommand, node, err)
	case err != nil:
		return err
	case answer.Status != "completed":
		return fmt.Errorf("the server answered %q", answer.Status)
	}
	return nil
}

// field is one field of a submitted data form (XEP-0004).
func field(name, value string) xml.TokenReader { return typedField(name, "", value) }

// hiddenField is a hidden field of a submitted data form: the FORM_TYPE.
func hiddenField(name, value string) xml.TokenReader { return typedField(name, "hidden", value) }

// typedField is a field of a submitted data form, of the type typ ("":
// none said).
func typedField(name, typ, value string) xml.TokenReader {
	attrs := []xml.Attr{{Name: xml.Name{Local: "var"}, Value: name}}
	if typ != "" {
		attrs = append(attrs, xml.Attr{Name: xml.Name{Local: "type"}, Value: typ})
	}
	return xmlstream.Wrap(
		xmlstream.Wrap(xmlstream.Token(xml.CharData(value)), xml.StartElement{Name: xml.Name{Local: "value"}}),
		xml.StartElement{Name: xml.Name{Local: "field"}, Attr: attrs})
}
