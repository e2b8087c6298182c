package replica

import (
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// What the checking workers compute of an arriving envelope for the
// applying goroutine (issue 17). A newcomer's 40 Applies that store its
// history sealed ran ~45 µs an envelope on the applying goroutine with
// the other core nearly idle (checking is one signature in 64), and a
// fifth of the Go work there was hashing: the envelope's hash three times
// (its row, try's check of the verified copy, the fork rule), and the
// kind rule's check of a bound record id (roles.Kind.CheckID: a SHA-256
// for each kind). Both are functions of the envelope's bytes alone, so
// the workers compute them while they parse and check (check), and
// arrive hands them to the rules here: the same values, computed once and
// elsewhere. An envelope the workers did not see (settle's pending ones)
// is computed as before.

// pre holds, during an Apply, what the workers computed.
type pre struct {
	hash  map[*crypto.Envelope]string // Envelope.Hash of envelopes parsed this Apply
	badID map[kindID]error            // checkIDOf, by kind and id
}

// kindID is a record id with the kind of the event that names it.
type kindID struct{ kind, id string }

// checkIDOf is the kind rule's judgement of h's record id, as policy
// makes it (roles.KindOf, then CheckID).
func checkIDOf(h crypto.Header) (kindID, error) {
	k, _ := roles.KindOf(h.Kind)
	return kindID{h.Kind, h.Entity}, k.CheckID(h.Entity)
}

// take keeps what the workers computed of c.
func (p pre) take(c arrival) {
	if p.hash == nil || c.env == nil {
		return
	}
	if c.hash != "" {
		p.hash[c.env] = c.hash
	}
	if c.idKind.kind != "" {
		p.badID[c.idKind] = c.idErr
	}
}

// hashOf returns env.Hash(), as the workers computed it when they did.
func (p pre) hashOf(env *crypto.Envelope) string {
	if h, ok := p.hash[env]; ok {
		return h
	}
	return env.Hash()
}

// checkID returns k.CheckID(id) for an event of kind (k is its
// roles.KindOf), as the workers computed it when they did.
func (p pre) checkID(k roles.Kind, kind, id string) error {
	if err, ok := p.badID[kindID{kind, id}]; ok {
		return err
	}
	return k.CheckID(id)
}
