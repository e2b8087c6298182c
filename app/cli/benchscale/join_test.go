package main

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/synctest"
)

// station runs a workstation's network sync.
type station struct{ w *ws }

func (s station) Replica() (*replica.Replica, error) { return s.w.r, nil }
func (s station) Upkeep(context.Context) error       { return nil }
func (s station) XMPPPassword(context.Context) (string, error) {
	return "pw-" + s.w.r.Device(), nil
}

// TestJoinOverTheNetwork times issue 17's join: a clinic of
// MEDIHAVEN_BENCH_JOIN patients (each with MEDIHAVEN_BENCH_VISITS
// appointments, default 1) has pushed everything to a real Kubo and
// announced it in a real Prosody's sync room; a new receptionist, admitted
// and granted before it starts (as the clinic side does in about a
// second; MEDIHAVEN_BENCH_GRANTS=upkeep: by the physician's workstation
// too, as upkeep does, not only at the end of the receptionist's chain),
// joins: how long until search works, and until everything is
// applied. `make bench-scale` runs it; without the variable it is skipped.
func TestJoinOverTheNetwork(t *testing.T) {
	patients, _ := strconv.Atoi(os.Getenv("MEDIHAVEN_BENCH_JOIN"))
	if patients <= 0 {
		t.Skip("set MEDIHAVEN_BENCH_JOIN to a number of patients (make bench-scale)")
	}
	visits := 1
	if v, err := strconv.Atoi(os.Getenv("MEDIHAVEN_BENCH_VISITS")); err == nil {
		visits = v
	}
	ctx := context.Background()
	kubo, xs := synctest.StartKubo(t), synctest.StartProsody(t)
	cfg := netsync.Config{IPFS: kubo.API, XMPPAddr: xs.Addr, Domain: xs.Domain, PinnedCert: xs.CertPEM, Register: true,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second}
	dir := t.TempDir()
	c, err := newClinic(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	events, err := seed(ctx, c, patients, visits, rand.New(rand.NewPCG(1, 42)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d events in %s", events, time.Since(start).Round(time.Second))
	newcomer, err := open(ctx, dir, "newcomer", c.newID, c.id, c.admin.r.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	upkeepGrants = os.Getenv("MEDIHAVEN_BENCH_GRANTS") == "upkeep"
	if err := admit(ctx, c, newcomer); err != nil {
		t.Fatal(err)
	}
	grants := "the receptionist's workstation granted the front desk (the last event of its chain)"
	if upkeepGrants {
		grants = "the physician's and the receptionist's workstations granted the front desk, as upkeep does"
	}
	t.Log(grants)
	start = time.Now()
	var clinic []*netsync.Syncer
	for _, w := range []*ws{c.admin, c.doc, c.desk} {
		y, err := netsync.Start(ctx, cfg, station{w}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer y.Stop()
		clinic = append(clinic, y)
	}
	for _, y := range clinic {
		waitUntil(t, "the clinic's envelopes pushed", 30*time.Minute, func() bool {
			st := y.Status()
			return st.Waiting == 0 && st.Announced > 0
		})
	}
	t.Logf("the clinic pushed its envelopes to Kubo in %s", time.Since(start).Round(time.Second))
	_, rss0 := rssKB()
	start = time.Now()
	y, err := netsync.Start(ctx, cfg, station{newcomer}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Stop()
	probe := records.QueryTerms(family[0] + " " + given[0])
	var usable time.Duration
	top := func(w *ws) uint64 {
		var n uint64
		_ = w.db.View(ctx, func(tx *store.Tx) error {
			e, err := tx.Heads(ctx)
			for _, h := range e {
				if h.Device == c.desk.r.Device() {
					n = h.Seq
				}
			}
			return err
		})
		return n
	}
	want := top(c.desk)
	// Done: the desk's chain stored, its records applied (not only kept
	// sealed until the grant at its end), nothing pending.
	applied := func() bool {
		var ok bool
		_ = newcomer.db.View(ctx, func(tx *store.Tx) error {
			e, err := tx.EnvelopeAt(ctx, c.desk.r.Device(), 10)
			n, err2 := tx.CountPending(ctx)
			ok = err == nil && err2 == nil && e.State == store.Applied && n == 0
			return nil
		})
		return ok
	}
	// What the status bar said was left, once a second, to hold against
	// how long it took.
	type said struct {
		at, left time.Duration
		behind   int
	}
	var saids []said
	waitUntil(t, "the newcomer applies the clinic", 60*time.Minute, func() bool {
		if at := time.Since(start); len(saids) == 0 || at-saids[len(saids)-1].at >= time.Second {
			st := y.Status()
			saids = append(saids, said{at, st.Left, st.Behind})
		}
		if usable == 0 && newcomer.r.Holds(roles.FrontDesk) {
			if found, _, err := newcomer.r.Find(ctx, roles.FrontDesk, "", 12, probe...); err == nil && len(found) > 0 {
				usable = time.Since(start)
			}
		}
		return usable > 0 && top(newcomer) == want && applied()
	})
	done := time.Since(start)
	for i := 0; i < 100 && y.Status().CatchingUp; i++ {
		time.Sleep(100 * time.Millisecond) // its last Apply returns
	}
	_, rss1 := rssKB()
	cn := y.Counts()
	t.Logf("join of %d patients, %d events: search works after %s, everything applied after %s (%.0f envelopes/s); counts %+v; process peak RSS %d -> %d MB",
		patients, events, usable.Round(100*time.Millisecond), done.Round(100*time.Millisecond), float64(cn.New)/done.Seconds(), cn, rss0>>10, rss1>>10)
	for _, f := range []float64{0.25, 0.5, 0.75} {
		// At a quarter, half and three quarters of the way: the end the
		// status bar foresaw then.
		for _, sd := range saids {
			if sd.at >= time.Duration(float64(done)*f) && sd.left > 0 {
				t.Logf("after %s: %d behind, %s left said, %s left in fact", sd.at.Round(time.Second), sd.behind, sd.left, (done - sd.at).Round(time.Second))
				break
			}
		}
	}
	if ps := y.Problems(); len(ps) > 0 {
		t.Logf("%d problems, first %s", len(ps), ps[0])
	}
	if cn.Handed != cn.New || cn.Skipped > 0 {
		t.Errorf("envelopes handed to the replica again: %+v", cn)
	}
}

// waitUntil polls cond until it holds or the test fails at timeout.
var waitUntil = synctest.WaitFor
