package netsync

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/synctest"
)

// openNetStation opens a workstation for the real servers and publishes
// its key.
func openNetStation(t *testing.T, p replica.Params) station {
	t.Helper()
	s := openStation(t, p)
	if _, err := s.r.PublishKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// realServers starts a real Kubo and Prosody on loopback for the test and
// returns how a workstation reaches them, retrying fast.
func realServers(t *testing.T) Config {
	return serversConfig(synctest.StartKubo(t), synctest.StartProsody(t))
}

// serversConfig is how a workstation reaches kubo and xs, retrying fast.
func serversConfig(kubo *synctest.Kubo, xs *synctest.Prosody) Config {
	return Config{IPFS: kubo.API, XMPPAddr: xs.Addr, Domain: xs.Domain, PinnedCert: xs.CertPEM, Register: true,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second}
}

// founding makes s's member the clinic's founder: the directory and admin
// keys, and its own directory entry.
// fourStations opens four workstations of one clinic, the first of them
// its founder's; params opens more.
func fourStations(t *testing.T) (params replica.Params, founder, second, third, here station) {
	t.Helper()
	_, params, ss := newClinic(t, 4)
	return params, ss[0], ss[1], ss[2], ss[3]
}

// newClinic opens n workstations of one new clinic of Ada Admin's, each
// with its key published, the first of them founded (founding); params
// opens more.
func newClinic(t *testing.T, n int) (id *crypto.Identity, params replica.Params, ss []station) {
	t.Helper()
	id, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	params = replica.Params{Identity: id, Clinic: id.Fingerprint()[:32], Anchors: []string{id.Fingerprint()}}
	for range n {
		ss = append(ss, openNetStation(t, params))
	}
	founding(t, ss[0], id)
	return id, params, ss
}

// grantedClinic is newClinic with the admin key granted to Ada, so that
// her other workstations read what the first writes.
func grantedClinic(t *testing.T, n int) (*crypto.Identity, []station) {
	t.Helper()
	id, _, ss := newClinic(t, n)
	k, _ := ss[0].r.Key(roles.Admin)
	if _, err := ss[0].r.Grant(context.Background(), k, id.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	return id, ss
}

// admitPhysician writes on s an active physician's entry for a new member
// named name whose entry names devices.
func admitPhysician(t *testing.T, s station, name string, devices ...string) *crypto.Identity {
	t.Helper()
	who, err := crypto.GenerateIdentity(name)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := replica.F(map[string]any{"name": name, "role": roles.Physician, "status": replica.StatusActive, "devices": devices})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.r.Append(context.Background(), replica.Change{Entity: who.Fingerprint(), Kind: replica.KindMember, Scope: roles.Directory, Fields: entry}); err != nil {
		t.Fatal(err)
	}
	return who
}

func founding(t *testing.T, s station, id *crypto.Identity) {
	t.Helper()
	ctx := context.Background()
	for _, scope := range []roles.Scope{roles.Directory, roles.Admin} {
		if _, err := s.r.NewEpoch(ctx, scope); err != nil {
			t.Fatal(err)
		}
	}
	entry, err := replica.F(map[string]any{"name": "Ada Admin", "role": roles.Administrator, "status": replica.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.r.Append(ctx, replica.Change{Entity: id.Fingerprint(), Kind: replica.KindMember, Scope: roles.Directory, Fields: entry}); err != nil {
		t.Fatal(err)
	}
}

// storedOf counts the envelopes of device s stores, in any state.
func storedOf(t *testing.T, s station, device string) uint64 {
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
	cfg := realServers(t)
	founderID, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	newcomerID, err := crypto.GenerateIdentity("Nia Newcomer")
	if err != nil {
		t.Fatal(err)
	}
	founder := openNetStation(t, replica.Params{Identity: founderID, Clinic: founderID.Fingerprint()[:32]})
	founding(t, founder, founderID)
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
			f, err := replica.F(map[string]any{"status": fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			b.Append(replica.Change{Entity: crypto.NewEventID()[:16], Kind: "token", Scope: roles.Admin, Fields: f})
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
	newcomer := openNetStation(t, replica.Params{Identity: newcomerID, Clinic: "another-clinic"})
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

// waitUntil polls cond until it holds or the test fails at timeout.
var waitUntil = synctest.WaitFor
