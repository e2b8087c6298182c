package netsync

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/synctest"
)

// TestHeadsTogether: heads of several devices taken by one fetch worker
// are fetched and applied together, in one Apply, over a real Kubo; a
// head whose pack does not follow what the workstation stores walks on
// from the pack read (no pack is read twice); a head it holds is stale;
// every envelope ends up applied.
func TestHeadsTogether(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Kubo")
	}
	ctx := context.Background()
	kubo := synctest.StartKubo(t)
	_, founder, second, third, here := fourStations(t)
	syncer := func(s station) *Syncer {
		return &Syncer{ws: s, ipf: ipfs.New(kubo.API), ctx: ctx, cfg: Config{MinBackoff: 1, MaxBackoff: 1},
			asked: map[string]time.Time{}, answered: map[asker]time.Time{}, behind: map[string]int{}}
	}
	// push puts what waits in s's outbox on IPFS and returns the head it
	// would announce.
	push := func(s station) headTry {
		t.Helper()
		y := syncer(s)
		if n, err := y.push(); err != nil || n == 0 {
			t.Fatalf("push: %d envelopes, %v", n, err)
		}
		var a replica.Announcement
		err := s.r.DB().View(ctx, func(tx *store.Tx) error {
			cid, err := tx.Meta(ctx, MetaPackHead)
			if err != nil {
				return err
			}
			seqb, err := tx.Meta(ctx, MetaPackSeq)
			if err != nil {
				return err
			}
			seq, _ := strconv.ParseUint(string(seqb), 10, 64)
			e, err := tx.EnvelopeAt(ctx, s.r.Device(), seq)
			a = replica.Announcement{Device: s.r.Device(), Seq: seq, Hash: e.Hash, CID: string(cid)}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return headTry{heardHead: heardHead{Announcement: a, own: true}}
	}
	founded := push(founder)
	f, _ := replica.F(map[string]any{"status": "later"})
	if _, err := founder.r.Append(ctx, replica.Change{Entity: crypto.NewEventID()[:16], Kind: "token", Scope: roles.Admin, Fields: f}); err != nil {
		t.Fatal(err)
	}
	later := push(founder) // its pack's prev is the founding pack
	heads := []headTry{push(second), later, push(third)}
	y := syncer(here)
	for i, res := range y.fetchTogether(heads) {
		if res.err != nil {
			t.Fatalf("head %d: %v", i, res.err)
		}
		if !res.changed {
			t.Errorf("head %d: nothing changed", i)
		}
	}
	c := y.Counts()
	// The second's and third's packs together in one Apply; the founder's
	// two packs (the later read once, then the founding one) in another.
	if c.Fetches != 4 || c.Applies != 2 {
		t.Errorf("%d packs fetched and %d Applies, want 4 and 2", c.Fetches, c.Applies)
	}
	appliedAll(t, here, founder, second, third)
	// Heads held already are stale: nothing fetched, nothing applied.
	for _, res := range y.fetchTogether([]headTry{founded, later}) {
		if res.err != nil || res.changed {
			t.Errorf("a held head: changed %v, %v", res.changed, res.err)
		}
	}
	if c2 := y.Counts(); c2.Fetches != c.Fetches || c2.Applies != c.Applies || c2.Stale != c.Stale+2 {
		t.Errorf("held heads: counts %+v after %+v: want 2 more stale and nothing else", c2, c)
	}
}
