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

// A workstation's own PEP node (XEP-0163, Prosody's mod_pep): one item it
// alone may publish, which any account of the server may read. The sync
// keeps its current head there, so that a workstation started after
// another was switched off still learns that one's head (the sync room
// keeps no archive). mellium's pubsub package has no publish-options, so
// the IQs are written here.

const (
	nsPubsub               = "http://jabber.org/protocol/pubsub"
	formTypePublishOptions = "http://jabber.org/protocol/pubsub#publish-options"
	// MaxPEPText bounds the text read from an item.
	MaxPEPText = 4096
)

// ErrNoPEPItem means the account has no such node or item (never
// published), keeps it unreadable to others, or no longer exists:
// nothing to read, not a failure.
var ErrNoPEPItem = errors.New("xmpp: the account keeps no such item")

// PublishPEP keeps text as the item id of this account's PEP node node,
// in an element <text xmlns=node>, replacing what it held. The node is
// made, or must already be, readable by anyone (pubsub#access_model
// open), kept on disk (persist_items) and of one item (max_items 1): a
// node configured otherwise makes the server refuse
// (precondition-not-met). Only the account itself may publish there.
func (s *Session) PublishPEP(ctx context.Context, node, id, text string) error {
	if err := s.publishPEP(ctx, jid.JID{}, node, id, text, true); err != nil {
		return fmt.Errorf("xmpp: publish %s on this account's node %s: %w", id, node, err)
	}
	return nil
}

// publishPEP publishes text as item id of the PEP node node of the
// account owner (the zero JID: this session's own), with PublishPEP's
// publish-options when options.
func (s *Session) publishPEP(ctx context.Context, owner jid.JID, node, id, text string, options bool) error {
	payload := xmlstream.Wrap(xmlstream.Token(xml.CharData(text)), xml.StartElement{Name: xml.Name{Space: node, Local: "text"}})
	item := xmlstream.Wrap(payload, xml.StartElement{Name: xml.Name{Local: "item"}, Attr: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: id}}})
	parts := []xml.TokenReader{xmlstream.Wrap(item, xml.StartElement{Name: xml.Name{Local: "publish"}, Attr: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: node}}})}
	if options {
		form := xmlstream.Wrap(xmlstream.MultiReader(
			hiddenField("FORM_TYPE", formTypePublishOptions),
			field("pubsub#access_model", "open"),
			field("pubsub#persist_items", "true"),
			field("pubsub#max_items", "1"),
		), xml.StartElement{Name: xml.Name{Space: nsDataForm, Local: "x"}, Attr: []xml.Attr{{Name: xml.Name{Local: "type"}, Value: "submit"}}})
		parts = append(parts, xmlstream.Wrap(form, xml.StartElement{Name: xml.Name{Local: "publish-options"}}))
	}
	req := xmlstream.Wrap(xmlstream.MultiReader(parts...), xml.StartElement{Name: xml.Name{Space: nsPubsub, Local: "pubsub"}})
	iq := stanza.IQ{Type: stanza.SetIQ}
	if !owner.Equal(jid.JID{}) {
		iq.To = owner.Bare()
	}
	mctx, done := call(ctx)
	err := s.xs.UnmarshalIQElement(mctx, req, iq, &struct{}{})
	done()
	return err
}

// PEPItem reads the item id of the PEP node node of the account owner (a
// bare address of this session's server): the text of its <text xmlns=node>,
// at most MaxPEPText bytes. A node or item that does not exist, or an
// account that does not (deleted), is ErrNoPEPItem.
func (s *Session) PEPItem(ctx context.Context, owner, node, id string) (string, error) {
	to, err := jid.Parse(owner)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ErrBadAddress, owner)
	}
	want := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "item"}, Attr: []xml.Attr{{Name: xml.Name{Local: "id"}, Value: id}}})
	items := xmlstream.Wrap(want, xml.StartElement{Name: xml.Name{Local: "items"}, Attr: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: node}}})
	req := xmlstream.Wrap(items, xml.StartElement{Name: xml.Name{Space: nsPubsub, Local: "pubsub"}})
	var answer struct {
		Items struct {
			Node  string `xml:"node,attr"`
			Items []struct {
				ID   string `xml:"id,attr"`
				Text []struct {
					XMLName xml.Name
					Text    string `xml:",chardata"`
				} `xml:",any"`
			} `xml:"item"`
		} `xml:"http://jabber.org/protocol/pubsub items"`
	}
	mctx, done := call(ctx)
	err = s.xs.UnmarshalIQElement(mctx, req, stanza.IQ{Type: stanza.GetIQ, To: to.Bare()}, &answer)
	done()
	switch {
	// Prosody's mod_pep says forbidden for a node never made (it judges
	// access by the default model, presence, before looking for the node)
	// and for an account that does not exist.
	case errors.Is(err, stanza.Error{Condition: stanza.ItemNotFound}), errors.Is(err, stanza.Error{Condition: stanza.ServiceUnavailable}),
		errors.Is(err, stanza.Error{Condition: stanza.Forbidden}), errors.Is(err, stanza.Error{Condition: stanza.RemoteServerNotFound}):
		return "", fmt.Errorf("%w: %s %s of %s: %w", ErrNoPEPItem, node, id, owner, err)
	case err != nil:
		return "", fmt.Errorf("xmpp: read %s of %s's node %s: %w", id, owner, node, err)
	}
	if answer.Items.Node != node {
		return "", fmt.Errorf("%w: %s %s of %s (the answer names node %q)", ErrNoPEPItem, node, id, owner, answer.Items.Node)
	}
	for _, it := range answer.Items.Items {
		if it.ID != id {
			continue
		}
		for _, el := range it.Text {
			if el.XMLName.Space == node && el.XMLName.Local == "text" {
				if len(el.Text) > MaxPEPText {
					return "", fmt.Errorf("xmpp: %s of %s's node %s is %d bytes, more than %d", id, owner, node, len(el.Text), MaxPEPText)
				}
				return el.Text, nil
			}
		}
	}
	return "", fmt.Errorf("%w: %s %s of %s", ErrNoPEPItem, node, id, owner)
}
