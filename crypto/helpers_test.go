package crypto

import (
	"sync"
	"testing"
	"time"
)

// Test identities are generated once per process and never locked (locking
// costs a deliberate fraction of a second). Tests that Clear an identity make
// their own.
var (
	identitiesMu sync.Mutex
	identities   = map[string]*Identity{}
)

func testIdentity(tb testing.TB, name string) *Identity {
	tb.Helper()
	identitiesMu.Lock()
	defer identitiesMu.Unlock()
	if id, ok := identities[name]; ok {
		return id
	}
	id, err := generateIdentity(name, time.Now())
	if err != nil {
		tb.Fatalf("generateIdentity(%q): %v", name, err)
	}
	identities[name] = id
	return id
}

func testScopeKey(tb testing.TB, scope string, epoch uint32) ScopeKey {
	tb.Helper()
	k, err := NewScopeKey(scope, epoch)
	if err != nil {
		tb.Fatalf("NewScopeKey(%q, %d): %v", scope, epoch, err)
	}
	return k
}

// testHeader returns a valid first-of-its-device header for k by author.
func testHeader(author *Identity, k ScopeKey) Header {
	return Header{
		ID:      NewEventID(),
		Entity:  NewEventID(),
		Kind:    "note",
		Scope:   k.Scope,
		Epoch:   k.Epoch,
		Author:  author.Fingerprint(),
		Device:  "0123456789abcdef0123456789abcdef",
		Seq:     1,
		Lamport: 1,
		Time:    1767225600000,
	}
}
