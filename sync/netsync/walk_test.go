package netsync

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/synctest"
)

// station is one workstation: a replica on a store of its own; its XMPP
// account (for tests on the real servers) is made on first connect.
type station struct{ r *replica.Replica }

func (s station) Replica() (*replica.Replica, error)           { return s.r, nil }
func (s station) Upkeep(context.Context) error                 { return nil }
func (s station) XMPPPassword(context.Context) (string, error) { return "pw-" + s.r.Device(), nil }

// openStation opens a workstation with p: its store, device and device
// key are made here. It publishes no key yet.
func openStation(t *testing.T, p replica.Params) station {
	t.Helper()
	w := synctest.NewWorkstation(t)
	p.DB, p.Device, p.DeviceKey = w.DB, w.Device, w.DeviceKey
	r, err := replica.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return station{r}
}

func newStation(t *testing.T, founder *crypto.Identity) station {
	t.Helper()
	return openStation(t, replica.Params{Identity: founder, Clinic: founder.Fingerprint()[:32]})
}

// TestPackCarriesItsOwnDeviceOnly: a member's modified software puts an
// envelope of another device (here a genuine one, which would verify) in
// a pack of its own device. The workstation that applies the pack keeps
// the pack's own envelope, drops the other and reports it refused, as a
// problem of the pack's device: not as a fork of the device it names.
func TestPackCarriesItsOwnDeviceOnly(t *testing.T) {
	ctx := context.Background()
	founder, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	packer, other, here := newStation(t, founder), newStation(t, founder), newStation(t, founder)
	first := func(s station) []byte {
		if _, err := s.r.PublishKey(ctx); err != nil {
			t.Fatal(err)
		}
		raws, err := s.r.Everything(ctx)
		if err != nil || len(raws) != 1 {
			t.Fatalf("%d envelopes: %v", len(raws), err)
		}
		return raws[0]
	}
	own, foreign := first(packer), first(other)
	dev := packer.r.Device()
	p := replica.Pack{Device: dev, From: 1, To: 2, Envelopes: [][]byte{own, foreign}}

	y := &Syncer{ws: here, ctx: ctx, behind: map[string]int{}}
	m := &packMem{y: y, limit: replica.MaxPackBytes}
	s := &walkStep{cid: "bafkreiforeign", from: p.From, to: p.To}
	m.hold(s, &p, int64(len(own)+len(foreign)))
	var changed bool
	altered, err := y.applySteps(here.r, replica.Announcement{Device: dev, Seq: 2, CID: s.cid}, []*walkStep{s}, 0, m, &changed)
	if err != nil || altered {
		t.Fatalf("applySteps: altered %v, %v", altered, err)
	}
	err = here.r.DB().View(ctx, func(tx *store.Tx) error {
		if _, err := tx.EnvelopeAt(ctx, dev, 1); err != nil {
			t.Errorf("the pack's own envelope was not kept: %v", err)
		}
		if e, err := tx.EnvelopeAt(ctx, other.r.Device(), 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the other device's envelope was kept from the pack (%s): %v", e.State, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ps := y.Problems()
	if len(ps) != 1 {
		t.Fatalf("problems %v, want the foreign envelope", ps)
	}
	if got := ps[0]; got.Device != dev || got.Seq != 2 || got.Altered || got.OwnDevice || !strings.Contains(got.Reason, other.r.Device()) {
		t.Errorf("problem %+v", got)
	}
	st := y.Status()
	if st.Problems != 1 || st.Forked != "" || st.Behind != 0 {
		t.Errorf("status %+v", st)
	}
	if now, _ := y.PackBytes(); now != 0 {
		t.Errorf("%d bytes of packs still held", now)
	}
}
