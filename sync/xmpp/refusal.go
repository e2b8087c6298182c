package xmpp

import (
	"encoding/xml"
	"sync"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/stanza"
)

// A server that does not take a message answers it with an error message
// of the same id (RFC 6121 §8.5.2: Prosody answers service-unavailable for
// an account that does not exist yet, or whose offline store is full). The
// stream is read in order and the server answers a message before it
// answers a later ping, so after Ping returns every refusal of a message
// sent before it has been read: send, Ping, then Refused tells whether the
// server took the message.

// maxRefusals bounds the refusals remembered but not yet asked for.
const maxRefusals = 1024

// refusals remembers which addresses refused which message ids.
type refusals struct {
	mu    sync.Mutex
	by    map[string][]string // message id → bare addresses that refused it
	order []string            // ids, oldest first, to forget the oldest
}

func (f *refusals) note(id, from string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.by == nil {
		f.by = map[string][]string{}
	}
	if _, ok := f.by[id]; !ok {
		if len(f.order) >= maxRefusals {
			delete(f.by, f.order[0])
			f.order = f.order[1:]
		}
		f.order = append(f.order, id)
	}
	f.by[id] = append(f.by[id], from)
}

func (f *refusals) take(id string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	from, ok := f.by[id]
	if !ok {
		return nil
	}
	delete(f.by, id)
	for i, v := range f.order {
		if v == id {
			f.order = append(f.order[:i], f.order[i+1:]...)
			break
		}
	}
	return from
}

// Refused returns the bare addresses (accounts or rooms) that refused the
// message sent with stanza id id, and forgets them; nil when none did (so
// far). Call it after Ping to know whether the server took a message.
func (s *Session) Refused(id string) []string {
	if id == "" {
		return nil
	}
	return s.refusals.take(id)
}

// decodeRefusal reads an error message whose start element was read: the
// id of the message it answers and who refused it (its bare address). It
// reports false for anything else.
func decodeRefusal(r xml.TokenReader, start xml.StartElement) (id, from string, ok bool) {
	d := xml.NewTokenDecoder(unqualified(xmlstream.MultiReader(xmlstream.Token(start), r)))
	var w stanza.Message
	if err := d.Decode(&w); err != nil || w.Type != stanza.ErrorMessage || w.ID == "" {
		return "", "", false
	}
	return w.ID, w.From.Bare().String(), true
}

// attr returns the value of start's attribute local (no namespace).
func attr(start xml.StartElement, local string) string {
	for _, a := range start.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
