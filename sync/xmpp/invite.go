package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// ErrNoInviteRight means the server refused to make an account invite for
// this account: only accounts with Prosody's admin role may (the founding
// administrator's workstation registers with `medihaven server invite
// --admin`).
var ErrNoInviteRight = errors.New("xmpp: this workstation's chat account may not invite new accounts; " +
	"register it with an administrator invite (medihaven server invite --admin)")

const (
	nsCommands           = "http://jabber.org/protocol/commands"
	nodeCreateAccount    = "urn:xmpp:invite#create-account"
	nsDataForm           = "jabber:x:data"
	maxInviteTokenLength = 255
)

// AccountInvite is a one-time invite to make one account on the server.
type AccountInvite struct {
	Token   string    // the preauth token (Config.Invite)
	URI     string    // xmpp:DOMAIN?register;preauth=TOKEN
	Expires time.Time // zero when the server did not say
}

// CreateAccountInvite asks the server for a one-time account invite with
// the ad-hoc command urn:xmpp:invite#create-account (XEP-0050, XEP-0401;
// Prosody's mod_invites_adhoc). Only an account with the server's admin
// role may; others get ErrNoInviteRight.
func (s *Session) CreateAccountInvite(ctx context.Context) (AccountInvite, error) {
	cmd := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: nsCommands, Local: "command"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: nodeCreateAccount}, {Name: xml.Name{Local: "action"}, Value: "execute"}}})
	var answer commandAnswer
	domain := s.xs.LocalAddr().Domain()
	mctx, done := call(ctx)
	err := s.xs.UnmarshalIQElement(mctx, cmd, stanza.IQ{Type: stanza.SetIQ, To: domain}, &answer)
	done()
	switch {
	case errors.Is(err, stanza.Error{Condition: stanza.Forbidden}), errors.Is(err, stanza.Error{Condition: stanza.NotAuthorized}):
		return AccountInvite{}, fmt.Errorf("%w: %w", ErrNoInviteRight, err)
	case err != nil:
		return AccountInvite{}, fmt.Errorf("xmpp: ask for an account invite: %w", err)
	}
	var inv AccountInvite
	inv.URI = answer.field("uri")
	inv.Expires, _ = time.Parse(time.RFC3339, answer.field("expire"))
	inv.Token, err = PreauthToken(inv.URI)
	if err != nil {
		return AccountInvite{}, fmt.Errorf("%w (answer status %q, %s)", err, answer.Status, answer.Note)
	}
	return inv, nil
}

// PreauthToken reads the invite token of an invite URI,
// xmpp:DOMAIN?register;preauth=TOKEN (XEP-0401).
func PreauthToken(uri string) (string, error) {
	bad := fmt.Errorf("xmpp: %q is not an account invite (xmpp:DOMAIN?register;preauth=TOKEN)", uri)
	rest, ok := strings.CutPrefix(uri, "xmpp:")
	if !ok {
		return "", bad
	}
	addr, query, ok := strings.Cut(rest, "?")
	if _, err := jid.Parse(addr); !ok || err != nil {
		return "", bad
	}
	for _, part := range strings.Split(query, ";") {
		v, ok := strings.CutPrefix(part, "preauth=")
		if !ok {
			continue
		}
		token, err := url.QueryUnescape(v)
		if err != nil || !validInviteToken(token) {
			return "", bad
		}
		return token, nil
	}
	return "", bad
}

// validInviteToken accepts what Prosody makes: URL-safe base64, short.
func validInviteToken(t string) bool {
	if t == "" || len(t) > maxInviteTokenLength {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// commandAnswer is an ad-hoc command's answer (XEP-0050): its status,
// note and the fields of the data form it carries.
type commandAnswer struct {
	Status string `xml:"status,attr"`
	Note   string `xml:"note"`
	Form   struct {
		Fields []struct {
			Var   string `xml:"var,attr"`
			Value string `xml:"value"`
		} `xml:"field"`
	} `xml:"jabber:x:data x"`
}

// field is the value of the form's field name, trimmed; "" when none.
func (a commandAnswer) field(name string) string {
	for _, f := range a.Form.Fields {
		if f.Var == name {
			return strings.TrimSpace(f.Value)
		}
	}
	return ""
}
