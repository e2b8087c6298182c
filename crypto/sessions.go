// sessions.go lets a conversation's messages share one session key, so
// that a chat message costs a signature and a symmetric encryption instead
// of a public-key operation per recipient on each side.
//
// Every message is still a whole OpenPGP message (the session key wrapped
// to each recipient, then the signed, encrypted data) that GnuPG opens on
// its own. The sender wraps a session key once per set of recipients and
// repeats those key packets in each message for a while (at most
// sessionUses messages or sessionAge); a receiver remembers the session
// key it unwrapped for those exact key packets. This is no weaker than one
// key per message: every recipient of a message learns its session key
// anyway, and each message is signed by its sender, which the receiver
// checks against the sender it expects. A change of recipients (a member
// joins or is revoked) is a new set, so a new key. Clear wipes them all.

package crypto

import (
	"crypto/sha256"
	"slices"
	"strings"
	"sync"
	"time"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

const (
	// sessionUses and sessionAge bound how many messages, and for how
	// long, one session key serves a set of recipients.
	sessionUses = 1000
	sessionAge  = time.Hour
	// maxSessionsIn bounds the session keys a workstation remembers from
	// others' messages; when full it forgets them all (they are unwrapped
	// again at the next message).
	maxSessionsIn = 512
)

// sessions are an Identity's session keys of recent messages.
type sessions struct {
	mu  sync.Mutex
	out map[string]*outSession       // by recipient set
	in  map[[32]byte]*pgp.SessionKey // by SHA-256 of the key packets
}

type outSession struct {
	key     *pgp.SessionKey
	packets []byte // key packets: the session key wrapped to each recipient
	made    time.Time
	uses    int
}

// recipientSet names a set of recipients independent of order.
func recipientSet(to []*PublicKey) string {
	fps := make([]string, 0, len(to))
	for _, p := range to {
		fps = append(fps, p.fingerprint)
	}
	slices.Sort(fps)
	return strings.Join(slices.Compact(fps), ",")
}

// outgoing returns the session key and key packets for a message to the
// recipients named by set, wrapping a new key to the keys of ring() when
// there is none yet, or the one there is has served long enough.
func (s *sessions) outgoing(set string, ring func() (*pgp.KeyRing, error), now time.Time) (*pgp.SessionKey, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.out[set]; o != nil && o.uses < sessionUses && now.Sub(o.made) < sessionAge && now.After(o.made.Add(-time.Minute)) {
		o.uses++
		return o.key, o.packets, nil
	}
	key, err := pgp.GenerateSessionKey()
	if err != nil {
		return nil, nil, err
	}
	keys, err := ring()
	if err != nil {
		return nil, nil, err
	}
	packets, err := keys.EncryptSessionKey(key)
	if err != nil {
		key.Clear()
		return nil, nil, err
	}
	if s.out == nil {
		s.out = map[string]*outSession{}
	}
	s.out[set] = &outSession{key: key, packets: packets, made: now, uses: 1}
	s.rememberLocked(packets, key)
	return key, packets, nil
}

// incoming returns the session key remembered for these key packets, or
// unwraps it with unwrap and remembers it.
func (s *sessions) incoming(packets []byte, unwrap func() (*pgp.SessionKey, error)) (*pgp.SessionKey, error) {
	h := sha256.Sum256(packets)
	s.mu.Lock()
	key := s.in[h]
	s.mu.Unlock()
	if key != nil {
		return key, nil
	}
	key, err := unwrap()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.in[h]; k != nil { // unwrapped meanwhile by another goroutine
		return k, nil
	}
	s.rememberLocked(packets, key)
	return key, nil
}

func (s *sessions) rememberLocked(packets []byte, key *pgp.SessionKey) {
	if len(s.in) >= maxSessionsIn {
		clear(s.in) // not wiped: a message may be using one; clear wipes them
	}
	if s.in == nil {
		s.in = map[[32]byte]*pgp.SessionKey{}
	}
	s.in[sha256.Sum256(packets)] = key
}

// clear wipes every session key still referenced. The Identity calls it
// holding its write lock, so no message is being sealed or opened with
// one of them. (Keys dropped earlier, by rotation or a full map, are not
// wiped, as a message may have been using them; they go with the heap.)
func (s *sessions) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, k := range s.in {
		k.Clear()
		delete(s.in, h)
	}
	for set, o := range s.out {
		o.key.Clear()
		delete(s.out, set)
	}
}
