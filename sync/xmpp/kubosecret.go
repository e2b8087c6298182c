package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/stanza"
)

// nodeKuboSecret is mod_medihaven_admins's command that tells an account of
// the server the workstations' current Kubo API secret.
const nodeKuboSecret = "urn:medihaven:kubo#secret"

// KuboSecret asks the clinic's server for the workstations' current Kubo
// API secret: the ad-hoc command urn:medihaven:kubo#secret of
// mod_medihaven_admins, which answers any account of the server (a revoked
// member's accounts are deleted, and the server makes a new secret when
// one is). A server whose module predates the command says
// ErrNoServerCommand.
func (s *Session) KuboSecret(ctx context.Context) (string, error) {
	cmd := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: nsCommands, Local: "command"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: nodeKuboSecret}, {Name: xml.Name{Local: "action"}, Value: "execute"}}})
	var answer commandAnswer
	mctx, done := call(ctx)
	err := s.xs.UnmarshalIQElement(mctx, cmd, stanza.IQ{Type: stanza.SetIQ, To: s.xs.LocalAddr().Domain()}, &answer)
	done()
	switch {
	case errors.Is(err, stanza.Error{Condition: stanza.ServiceUnavailable}), errors.Is(err, stanza.Error{Condition: stanza.FeatureNotImplemented}),
		errors.Is(err, stanza.Error{Condition: stanza.ItemNotFound}):
		return "", fmt.Errorf("%w: %s: %w", ErrNoServerCommand, nodeKuboSecret, err)
	case err != nil:
		return "", fmt.Errorf("xmpp: ask the server for the record store's secret: %w", err)
	}
	if v := answer.field("secret"); v != "" && answer.Status == "completed" {
		return v, nil
	}
	return "", fmt.Errorf("xmpp: the server's answer names no record store secret (status %q)", answer.Status)
}
