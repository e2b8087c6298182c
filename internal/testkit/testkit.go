package testkit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/synctest"
)

// Clock is a settable clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock on Monday 2 November 2026, 09:00 UTC.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Keystores keeps every profile's keys in memory, one keystore per
// profile id, as the OS keyring would.
func Keystores() func(profile string) crypto.Keystore {
	var mu sync.Mutex
	stores := map[string]crypto.Keystore{}
	return func(profile string) crypto.Keystore {
		mu.Lock()
		defer mu.Unlock()
		if stores[profile] == nil {
			stores[profile] = crypto.NewMemoryKeystore()
		}
		return stores[profile]
	}
}

// SyncConfig is how a workstation reaches the loopback Kubo and Prosody,
// retrying fast.
func SyncConfig(k *synctest.Kubo, p *synctest.Prosody) netsync.Config {
	return netsync.Config{IPFS: k.API, XMPPAddr: p.Addr, Domain: p.Domain, PinnedCert: p.CertPEM, Register: true,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second}
}

// AddDevice has the administrator whose replica is r add device to
// member's directory entry, as a member's new workstation is added (the
// attack tests' devices of a member's own making), and returns its
// envelope.
func AddDevice(t testing.TB, r *replica.Replica, member, device string) *crypto.Envelope {
	t.Helper()
	m, ok := r.Member(member)
	if !ok {
		t.Fatalf("%s is not in the directory", member)
	}
	devices, err := replica.F(map[string]any{"devices": append(m.Devices, device)})
	if err != nil {
		t.Fatal(err)
	}
	env, err := r.Append(context.Background(), replica.Change{Entity: member, Kind: replica.KindMember, Scope: roles.Directory, Fields: devices})
	if err != nil {
		t.Fatal(err)
	}
	return env
}
