package netsync

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/synctest"
)

// netStation is a workstation on the real servers: its own store and
// replica, its XMPP account made on first connect.
type netStation struct{ r *replica.Replica }

func (s netStation) Replica() (*replica.Replica, error) { return s.r, nil }
func (s netStation) Upkeep(context.Context) error       { return nil }
func (s netStation) XMPPPassword(context.Context) (string, error) {
	return "pw-" + s.r.Device(), nil
}

func openNetStation(t *testing.T, id *crypto.Identity, clinic string) netStation {
	t.Helper()
	return openNetStationWith(t, replica.Params{Identity: id, Clinic: clinic})
}

// openNetStationWith opens a workstation with p (its store, device and
// device key made here) and publishes its key.
func openNetStationWith(t *testing.T, p replica.Params) netStation {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "medihaven.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dk, err := crypto.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	p.DB, p.Device, p.DeviceKey = db, crypto.NewEventID(), dk
	r, err := replica.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.PublishKey(ctx); err != nil {
		t.Fatal(err)
	}
	return netStation{r}
}

// storedOf counts the envelopes of device s stores, in any state.
func storedOf(t *testing.T, s netStation, device string) uint64 {
	t.Helper()
	ctx := context.Background()
	var n uint64
	err := s.r.DB().View(ctx, func(tx *store.Tx) error {
		rows, err := tx.StoredHashes(ctx, device, 1, 1<<40)
		n = uint64(len(rows))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestJoinStoresEachEnvelopeOnce joins a new workstation to a clinic whose
// founder wrote in several pushes, each announced in the sync room, over
// a real Kubo and Prosody. The newcomer is not admitted (it takes another
// clinic's founder for genesis), so everything it stores stays pending,
// as on a newcomer before its admission (issue 17: it walked the whole
// chain again for every head the room replayed, 658 s for 100,000
// patients). The walk must stop at what it stores, pending or not: no
// envelope is handed to the replica twice, no pack fetched more than
// twice (walked, then applied), and heads it holds are stale.
func TestJoinStoresEachEnvelopeOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Kubo and Prosody")
	}
	ctx := context.Background()
	kubo, xs := synctest.StartKubo(t), synctest.StartProsody(t)
	cfg := Config{IPFS: kubo.API, XMPPAddr: xs.Addr, Domain: xs.Domain, PinnedCert: xs.CertPEM, Register: true,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second}
	founderID, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	newcomerID, err := crypto.GenerateIdentity("Nia Newcomer")
	if err != nil {
		t.Fatal(err)
	}
	founder := openNetStation(t, founderID, founderID.Fingerprint()[:32])
	for _, scope := range []roles.Scope{roles.Directory, roles.Admin} {
		if _, err := founder.r.NewEpoch(ctx, scope); err != nil {
			t.Fatal(err)
		}
	}
	entry, err := replica.F(map[string]any{"name": "Ada Admin", "role": roles.Administrator, "status": replica.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := founder.r.Append(ctx, replica.Change{Entity: founderID.Fingerprint(), Kind: replica.KindMember, Scope: roles.Directory, Fields: entry}); err != nil {
		t.Fatal(err)
	}
	yf, err := Start(ctx, cfg, founder, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer yf.Stop()
	// write appends n records and waits until their pack is announced.
	write := func(n int) {
		t.Helper()
		b := founder.r.Batch()
		for i := range n {
			f, err := replica.F(map[string]any{"note": fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			b.Append(replica.Change{Entity: crypto.NewEventID(), Kind: "token", Scope: roles.Admin, Fields: f})
		}
		envs, err := b.Commit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		top := envs[len(envs)-1].Header.Seq
		yf.Kick()
		waitUntil(t, "the founder's head announced", 30*time.Second, func() bool {
			st := yf.Status()
			return st.Waiting == 0 && st.Announced >= top
		})
	}
	for range 6 {
		write(300)
	}
	newcomer := openNetStation(t, newcomerID, "another-clinic")
	yn, err := Start(ctx, cfg, newcomer, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer yn.Stop()
	top := func() uint64 { return storedOf(t, founder, founder.r.Device()) }
	waitUntil(t, "the newcomer stores the founder's chain", 60*time.Second, func() bool {
		return storedOf(t, newcomer, founder.r.Device()) == top()
	})
	for range 2 {
		write(300)
		waitUntil(t, "the newcomer stores the founder's new events", 60*time.Second, func() bool {
			return storedOf(t, newcomer, founder.r.Device()) == top()
		})
	}
	yf.announce() // an old head said again: nothing new
	time.Sleep(500 * time.Millisecond)

	c := yn.Counts()
	packs := int64(len(yf.Pushed()))
	t.Logf("newcomer: %+v; founder pushed %d packs, %d envelopes", c, packs, top())
	if c.Handed != c.New || c.New != int64(top()) {
		t.Errorf("the newcomer's replica was handed %d envelopes, %d of them new, of the founder's %d: none may be handed twice", c.Handed, c.New, top())
	}
	if c.Skipped > 0 {
		t.Errorf("walks reached %d envelopes the newcomer stored already: a walk stops at what it stores", c.Skipped)
	}
	if c.Fetches > 2*packs {
		t.Errorf("%d packs fetched for the founder's %d: a pack is walked and applied, at most", c.Fetches, packs)
	}
	if c.Stale == 0 {
		t.Error("no head was found stale: the old head said again was fetched")
	}
	var pending int
	err = newcomer.r.DB().View(ctx, func(tx *store.Tx) error {
		pending, err = tx.CountPending(ctx)
		return err
	})
	if err != nil || uint64(pending) != top()-1 {
		t.Errorf("%d envelopes pending on the newcomer (%v), want all but the founder's key (%d)", pending, err, top()-1)
	}
}

func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
