package app_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// TestGapInPushedChainIsAskedFor: a workstation of an older version,
// whose outbox lost one event (sec-s15c H6), pushed the next one in a pack
// that skips it; its last pushed seq says everything went out. Over real
// Kubo and Prosody the physician's workstation, holding the later event
// pending, asks for what lies between ("mh1 want"), and the receptionist's
// workstation sends it again: both patients reach the physician. Whether
// the skipping pack names an earlier one (the walk finds that it does not
// fit) or none (a first push: the walk ends above what it stores).
func TestGapInPushedChainIsAskedFor(t *testing.T) {
	for _, tc := range []struct {
		name    string
		earlier bool // an earlier pack, ending before the lost event, was pushed
	}{
		{"first pack skips an event", false},
		{"a later pack skips an event", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := apptest.NewLiveClinic(t)
			n := apptest.NewNet(t)
			for _, s := range []*app.Session{c.Admin, c.Phys} {
				n.Start(t, s)
			}
			var ids []string
			for _, family := range []string{"Lost", "Later"} {
				p, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: family, Given: "Gail", Birth: "1975-01-02"})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, p.ID)
			}
			r, err := c.Recep.Replica()
			if err != nil {
				t.Fatal(err)
			}
			var chain []store.Envelope
			err = r.DB().View(ctx, func(tx *store.Tx) error {
				chain, err = tx.EnvelopesAfter(ctx, r.Device(), 0, -1)
				return err
			})
			if err != nil || len(chain) < 3 {
				t.Fatalf("the receptionist's chain: %d envelopes, %v", len(chain), err)
			}
			// What the older version pushed: [1..lost-1] (or nothing), then
			// the last event alone; the lost one never.
			kubo := ipfs.New(n.Kubo.API)
			put := func(p replica.Pack) string {
				b, err := p.Encode()
				if err != nil {
					t.Fatal(err)
				}
				cid, err := kubo.Put(ctx, b)
				if err != nil {
					t.Fatal(err)
				}
				return cid
			}
			last, lost := chain[len(chain)-1], chain[len(chain)-2]
			prev := ""
			if tc.earlier {
				p := replica.Pack{Device: r.Device(), From: 1, To: lost.Seq - 1}
				for _, e := range chain[:len(chain)-2] {
					p.Envelopes = append(p.Envelopes, e.Raw)
				}
				prev = put(p)
			}
			head := put(replica.Pack{Device: r.Device(), From: last.Seq, To: last.Seq, Prev: prev, Envelopes: [][]byte{last.Raw}})
			err = r.DB().Update(ctx, func(tx *store.Tx) error {
				if err := tx.SetMeta(ctx, netsync.MetaPackHead, []byte(head)); err != nil {
					return err
				}
				return tx.SetMeta(ctx, netsync.MetaPackSeq, []byte(strconv.FormatUint(last.Seq, 10)))
			})
			if err != nil {
				t.Fatal(err)
			}
			n.Start(t, c.Recep) // announces the pack that skips
			start := time.Now()
			apptest.WaitFor(t, "both patients at the physician's", 60*time.Second, func() bool {
				for _, id := range ids {
					if _, err := c.Phys.Patient(ctx, id); err != nil {
						return false
					}
				}
				return true
			})
			t.Logf("the physician held event %d (the lost one) %s after the receptionist's sync started",
				lost.Seq, time.Since(start).Round(100*time.Millisecond))
		})
	}
}
