package app

import (
	"fmt"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Who makes the first key of a scope (session 12). A workstation that
// holds no key of the front desk's or the clinical scope makes one only
// when no key of it exists in the clinic yet, judged from what every
// workstation reads the same way: the directory names this member as the
// one to make it (replica.FirstKeyMaker: the first admitted of the active
// members whose role creates it), and its log holds no grant or record of
// the scope. While its network sync runs, it also waits for the sync's
// first catch-up, so a member whose turn came (the one before her
// revoked) learns the key the clinic already has before she makes one.
// Everyone else waits for a colleague's grant, and a write that needs the
// key is refused, with what to do (noKeyError): nothing is kept unsent
// under a key she was not entitled to make, which her colleagues could
// not read until she was confirmed and would compete with the clinic's.

// mayMakeFirstKey reports whether this workstation may make the first key
// of scope, as far as the directory and its sync tell (createScope also
// looks for any trace of the scope in its log).
func (s *Session) mayMakeFirstKey(r *replica.Replica, scope roles.Scope) bool {
	if s.syncing.Load() && !s.caughtUp.Load() {
		return false // the upkeep runs again at the first catch-up
	}
	fp, ok := r.FirstKeyMaker(scope)
	return ok && fp == r.Fingerprint()
}

// scopeWords names a scope's key for people.
var scopeWords = map[roles.Scope]string{roles.FrontDesk: "front-desk", roles.Clinical: "clinical"}

// noKeyError is why a write that needs scope's key cannot be made here,
// and what to do: wait for the first catch-up (this member makes the
// clinic's first key), or have a colleague who holds it confirm her (her
// colleague's next sync brings it). It wraps replica.ErrNoKey.
func (s *Session) noKeyError(r *replica.Replica, scope roles.Scope) error {
	word, ok := scopeWords[scope]
	if !ok {
		return fmt.Errorf("%w %s yet: a colleague who holds it grants it when their workstation next syncs", replica.ErrNoKey, scope)
	}
	if fp, ok := r.FirstKeyMaker(scope); ok && fp == r.Fingerprint() && s.syncing.Load() && !s.caughtUp.Load() {
		return &noKey{fmt.Sprintf("This workstation makes the clinic's first %s key once it has caught up with the clinic's other workstations: try again in a moment", word)}
	}
	holder := "a colleague who holds it"
	if scope == roles.Clinical {
		holder = "a physician who holds it"
	}
	cs, _ := s.Colleagues() // without them the general words
	for _, c := range cs {
		if c.YouConfirmed && c.ConfirmedYou && (c.For == scope || c.For == roles.Clinical) {
			return &noKey{fmt.Sprintf("This workstation has no %s key yet: you and %s confirmed each other, and it arrives when %s's workstation next syncs with this one", word, c.Name, c.Name)}
		}
	}
	return &noKey{fmt.Sprintf("This workstation has no %s key yet: %s must confirm you in person in Colleagues (each of you types the code the other's screen shows); it arrives with their workstation's next sync", word, holder)}
}

// noKey is a refusal for want of a key, in words for people; it is
// replica.ErrNoKey to errors.Is.
type noKey struct{ words string }

func (e *noKey) Error() string { return e.words }
func (e *noKey) Unwrap() error { return replica.ErrNoKey }
