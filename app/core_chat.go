package app

import (
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
)

// What the staff chat (app/chat) needs of the core beyond reading and
// writing records: state of its own that lives as long as the session,
// the device key it seals its local history with, and the change feed.

// Part is what a domain package keeps for one session beyond the clinic
// log (the chat's link to the running sync and its opened history).
type Part interface {
	// Forget drops what the part holds in memory of the clinic's data:
	// the session locks or closes. It must not wait on disk or network.
	Forget()
}

// Part returns the session's part named name, made with make on first
// use, so that every caller of a session gets the same one.
func (c Core) Part(name string, make func() Part) Part {
	c.partsMu.Lock()
	defer c.partsMu.Unlock()
	if p, ok := c.parts[name]; ok {
		return p
	}
	if c.parts == nil {
		c.parts = map[string]Part{}
	}
	p := make()
	c.parts[name] = p
	return p
}

// forgetParts tells every part that the session locks or closes.
func (s *Session) forgetParts() {
	s.partsMu.Lock()
	ps := make([]Part, 0, len(s.parts))
	for _, p := range s.parts {
		ps = append(ps, p)
	}
	s.partsMu.Unlock()
	for _, p := range ps {
		p.Forget()
	}
}

// DeviceKey is the workstation's device key while the session is
// unlocked (a zero key otherwise), for what a domain package keeps sealed
// on this workstation only.
func (c Core) DeviceKey() crypto.DeviceKey { return c.deviceKey() }

// Changed tells the change feed's listeners (the open screens) of c.
func (c Core) Changed(ch ...replica.Changed) { c.changed(ch) }

// NewID is n random bytes in hex, for ids that must not collide.
func NewID(n int) string { return newID(n) }
