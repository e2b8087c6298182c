package xmpp

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"strconv"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// Namespaces of message archive management (XEP-0313) and result set
// paging (XEP-0059).
const (
	nsMAM = "urn:xmpp:mam:2"
	nsRSM = "http://jabber.org/protocol/rsm"
)

// MaxArchivePage bounds the messages one Archive call asks for.
const MaxArchivePage = 250

// ArchivePage is one page of an archive's messages, oldest first.
type ArchivePage struct {
	// Messages are the archived messages, each with StanzaID set to its
	// archive id and Delay to when the archive received it.
	Messages []Message
	// Last is the archive id of the last message of the page: pass it as
	// after to read the next page. Empty when the page is empty.
	Last string
	// Complete reports that the page reaches the end of the archive.
	Complete bool
}

// archiveQuery collects the results of one query as they arrive.
type archiveQuery struct {
	from     string // the archive's bare JID, or "" for the account's own
	messages []Message
}

// Archive reads the server's archive (XEP-0313) of this account (archive
// "") or of a room (its bare JID): at most max messages (1 to
// MaxArchivePage) after the archive id after ("" from the oldest). This is
// how a workstation whose local history is missing recovers it. It only
// reads: messages found here are not handed to onMessage.
func (s *Session) Archive(ctx context.Context, archive, after string, max int) (ArchivePage, error) {
	if max < 1 || max > MaxArchivePage {
		max = MaxArchivePage
	}
	to := s.xs.LocalAddr().Bare()
	if archive != "" {
		addr, err := jid.Parse(archive)
		if err != nil {
			return ArchivePage{}, fmt.Errorf("%w: archive %q", ErrBadAddress, archive)
		}
		to = addr.Bare()
	}
	id := rand.Text()
	q := &archiveQuery{from: to.String()}
	s.queriesMu.Lock()
	s.queries[id] = q
	s.queriesMu.Unlock()
	defer func() {
		s.queriesMu.Lock()
		delete(s.queries, id)
		s.queriesMu.Unlock()
	}()

	el := func(name, value string) xml.TokenReader {
		return xmlstream.Wrap(xmlstream.Token(xml.CharData(value)), xml.StartElement{Name: xml.Name{Local: name}})
	}
	set := []xml.TokenReader{el("max", strconv.Itoa(max))}
	if after != "" {
		set = append(set, el("after", after))
	}
	query := xmlstream.Wrap(
		xmlstream.Wrap(xmlstream.MultiReader(set...), xml.StartElement{Name: xml.Name{Space: nsRSM, Local: "set"}}),
		xml.StartElement{Name: xml.Name{Space: nsMAM, Local: "query"}, Attr: []xml.Attr{{Name: xml.Name{Local: "queryid"}, Value: id}}},
	)
	iq := stanza.IQ{Type: stanza.SetIQ}
	if archive != "" {
		iq.To = to
	}
	mctx, done := call(ctx)
	resp, err := s.xs.SendIQ(mctx, iq.Wrap(query))
	done()
	if err != nil {
		return ArchivePage{}, fmt.Errorf("xmpp: read the archive of %s: %w", to, err)
	}
	defer resp.Close()
	var answer struct {
		stanza.IQ
		Err stanza.Error `xml:"error"`
		Fin struct {
			Complete string `xml:"complete,attr"`
			Set      struct {
				Last string `xml:"last"`
			} `xml:"http://jabber.org/protocol/rsm set"`
		} `xml:"urn:xmpp:mam:2 fin"`
	}
	if err := xml.NewTokenDecoder(unqualified(resp)).Decode(&answer); err != nil {
		return ArchivePage{}, fmt.Errorf("xmpp: read the archive of %s: %w", to, err)
	}
	if answer.Type == stanza.ErrorIQ {
		return ArchivePage{}, fmt.Errorf("xmpp: the server refused to read the archive of %s: %w", to, answer.Err)
	}
	s.queriesMu.Lock()
	page := ArchivePage{Messages: q.messages, Last: answer.Fin.Set.Last, Complete: answer.Fin.Complete == "true"}
	s.queriesMu.Unlock()
	if page.Last == "" && len(page.Messages) > 0 {
		page.Last = page.Messages[len(page.Messages)-1].StanzaID
	}
	return page, nil
}

// archived keeps one result of a running archive query. A result for no
// query of ours, or forwarded by someone other than the archive asked, is
// dropped: anyone can send a message that looks like one.
func (s *Session) archived(m Message) {
	s.queriesMu.Lock()
	defer s.queriesMu.Unlock()
	q := s.queries[m.archiveQuery]
	if q == nil {
		return
	}
	from := m.archiveFrom
	if from == "" {
		from = s.xs.LocalAddr().Bare().String()
	}
	if addr, err := jid.Parse(from); err != nil || addr.String() != q.from {
		return
	}
	m.archiveQuery, m.archiveFrom = "", ""
	q.messages = append(q.messages, m)
}
