package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocid "github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// The network side of the threat model (issue 13): anyone with an account
// on the clinic's XMPP server may post in the sync room, and a member's
// modified software may say whatever it likes from its own account. These
// tests act so, against real Kubo and Prosody, and check every honest
// workstation.

// outsider is a plain XMPP client with an account of its own on the
// clinic's server, in the sync room.
type outsider struct {
	xs   *xmpp.Session
	room string
	jid  string
}

func newOutsider(t testing.TB, c *netClinic, user, nick string) *outsider {
	t.Helper()
	return inSyncRoom(t, c, c.xmpp.Register(t, user, user+"-password"), user+"-password", nick)
}

// modified is a member's modified software: a second session of the
// XMPP account of the member's workstation, in the sync room, saying
// whatever it likes (no account check can refuse it).
func modified(t testing.TB, c *netClinic, member *Session) *outsider {
	t.Helper()
	pass, err := workstation{member}.XMPPPassword(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	device := deviceOf(t, member)
	return inSyncRoom(t, c, device+"@"+c.xmpp.Domain, pass, device+"-modified")
}

// inSyncRoom logs in to the clinic's XMPP server as addr and joins the
// sync room as nick.
func inSyncRoom(t testing.TB, c *netClinic, addr, pass, nick string) *outsider {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	xs, err := xmpp.Dial(ctx, xmpp.Config{JID: addr, Password: pass, Addr: c.xmpp.Addr, TLS: c.xmpp.TLSConfig()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { xs.Close() })
	o := &outsider{xs: xs, room: netsync.RoomUser + "@" + c.xmpp.MUC, jid: addr}
	if err := xs.JoinRoom(ctx, o.room, nick); err != nil {
		t.Fatal(err)
	}
	return o
}

func (o *outsider) say(t testing.TB, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := o.xs.SendRoom(ctx, o.room, body); err != nil {
		t.Error(err)
	}
}

// unknownCID is a valid CID of bytes nobody ever stored.
func unknownCID(t testing.TB) string {
	b := make([]byte, 32)
	rand.Read(b)
	mh, err := multihash.Sum(b, multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return gocid.NewCidV1(gocid.Raw, mh).String()
}

func randomHash() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func deviceOf(t testing.TB, s *Session) string {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	return r.Device()
}

func forgedHead(t testing.TB, device string, seq uint64) string {
	return replica.Announcement{Device: device, Seq: seq, Hash: randomHash(), CID: unknownCID(t)}.String()
}

// forgeries posts n forged heads with unknown CIDs: half by an outsider,
// for the clinic's devices and made-up ones, half by a member's modified
// software (modified) from its own account, for its own device (which no
// account check can refuse).
func forgeries(t testing.TB, c *netClinic, out, member *outsider, n int) {
	devices := []string{deviceOf(t, c.recep), deviceOf(t, c.phys), deviceOf(t, c.admin), newID(16)}
	own, _, _ := strings.Cut(member.jid, "@")
	for i := range n {
		if i%2 == 0 {
			out.say(t, forgedHead(t, devices[i/2%len(devices)], uint64(1000+i)))
		} else {
			member.say(t, forgedHead(t, own, uint64(1000+i)))
		}
	}
}

// book books one appointment at the front desk and returns when the
// physician's workstation has applied it, or fails after timeout.
func bookAndWait(t testing.TB, c *netClinic, patient string, at time.Time, arrived <-chan string, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	a, err := book(context.Background(), c.recep, Appointment{Patient: patient, Physician: c.phys.Fingerprint(), Start: at, Minutes: 15})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(timeout)
	for {
		select {
		case id := <-arrived:
			if id == a.ID {
				return time.Since(start)
			}
		case <-deadline:
			t.Fatalf("the booking at %s did not reach the physician within %s; physician's sync: %+v", at.Format(time.Kitchen), timeout, c.syncer[c.phys].Status())
		}
	}
}

// bookingsArrive registers a patient and reports the physician's applied
// bookings on the returned channel.
func bookingsArrive(t testing.TB, c *netClinic) (patient string, arrived <-chan string) {
	t.Helper()
	ctx := context.Background()
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Forgery", Given: "Fran", Birth: "1980-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 1024)
	c.phys.OnChange(func(cs []replica.Changed) {
		for _, x := range cs {
			if x.Kind == records.KindAppointment {
				select {
				case ch <- x.ID:
				default:
				}
			}
		}
	})
	waitFor(t, "the patient at the physician", 20*time.Second, func() bool { _, err := c.phys.Patient(ctx, p.ID); return err == nil })
	return p.ID, ch
}

// TestAttackForgedHeads is finding 6 (High): forged heads stall sync.
//
// Attack: an outsider with a plain XMPP account, sitting in the sync room
// under the physician's device id as nickname, and a member's modified
// software (the administrator's, from its own account, about its own
// device), post 100 `mh1 head` lines naming CIDs nobody stored while the
// front desk books. The booking reaches the physician within seconds;
// every honest workstation refuses the outsider's lines (they are not
// said by the account of the device they name) and gives up on the
// member's after a few tries, without an error storm.
func TestAttackForgedHeads(t *testing.T) {
	c := newNetClinic(t)
	patient, arrived := bookingsArrive(t, c)
	squatter := newOutsider(t, c, "mallory", deviceOf(t, c.phys)+"-x")
	// An outsider whose account name looks like a device id: it may speak
	// for that made-up device only.
	lookalike := newOutsider(t, c, newID(16), "lookalike")
	admin := modified(t, c, c.admin)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); forgeries(t, c, squatter, admin, 100) }()
	lookalike.say(t, forgedHead(t, deviceOf(t, c.recep), 99))
	d := bookAndWait(t, c, patient, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), arrived, 10*time.Second)
	wg.Wait()
	// And once all 100 are in.
	d2 := bookAndWait(t, c, patient, time.Date(2026, 12, 1, 9, 15, 0, 0, time.UTC), arrived, 10*time.Second)
	t.Logf("bookings arrived in %v (while forging) and %v (after 100 forged heads)", d, d2)
	for _, s := range []*Session{c.admin, c.recep, c.phys} {
		// The outsider's 50 are refused, but for those naming the
		// workstation's own device (a sign of a fork, fetched in vain).
		waitFor(t, s.StaffName()+" refusing the outsider's heads", 10*time.Second, func() bool { return c.syncer[s].Status().Refused >= 37 })
		st := c.syncer[s].Status()
		t.Logf("%s: %+v", s.StaffName(), st)
		if st.Forked != "" {
			t.Errorf("%s reports a fork: %s", s.StaffName(), st.Forked)
		}
	}
}

// TestAttackLongChainOfLargePacks is finding 7 (Medium): unbounded pack
// walk.
//
// Attack: the receptionist's modified software writes 40 events of about
// 200 KB and puts each in a pack of its own, chained, then announces the
// head from its own account. The physician's workstation (its fetch
// workers allowed 512 KiB of packs each, walks remembering 5 packs at a
// time) and the administrator's (defaults) take the whole chain, and the
// physician's never holds more than its bound of pack bytes, a fraction
// of the chain.
func TestAttackLongChainOfLargePacks(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	c.syncer[c.phys].Stop()
	cfg := c.config()
	cfg.FetchShare, cfg.WalkSegment = 512<<10, 5
	py, err := c.phys.StartSync(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.syncer[c.phys] = py
	t.Cleanup(py.Stop)

	c.syncer[c.recep].Stop()
	rr, _ := c.recep.Replica()
	address := strings.Repeat("lorem ipsum dolor sit amet ", 200<<10/27) // large, in a field a patient has
	for i := range 40 {
		f, err := replica.F(map[string]any{"family": "Large" + strconv.Itoa(i), "address": address})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rr.Append(ctx, replica.Change{Entity: newID(16), Kind: records.KindPatient, Scope: roles.FrontDesk, Fields: f}); err != nil {
			t.Fatal(err)
		}
	}
	dev := rr.Device()
	var envs []store.Envelope
	var prev string
	err = rr.DB().View(ctx, func(tx *store.Tx) error {
		var from uint64 = 1
		if b, err := tx.Meta(ctx, netsync.MetaPackHead); err == nil {
			prev = string(b)
			s, _ := tx.Meta(ctx, netsync.MetaPackSeq)
			n, err := strconv.ParseUint(string(s), 10, 64)
			if err != nil {
				return err
			}
			from = n + 1
		}
		for seq := from; ; seq++ {
			e, err := tx.EnvelopeAt(ctx, dev, seq)
			if err != nil {
				return nil
			}
			envs = append(envs, e)
		}
	})
	if err != nil || len(envs) < 40 {
		t.Fatalf("%d envelopes to pack: %v", len(envs), err)
	}
	kubo := ipfs.New(c.kubo.API)
	total := 0
	for _, e := range envs {
		b, err := replica.Pack{Device: dev, From: e.Seq, To: e.Seq, Prev: prev, Envelopes: [][]byte{e.Raw}}.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if prev, err = kubo.Put(ctx, b); err != nil {
			t.Fatal(err)
		}
		total += len(b)
	}
	head := envs[len(envs)-1].Seq
	err = rr.DB().Update(ctx, func(tx *store.Tx) error {
		if err := tx.SetMeta(ctx, netsync.MetaPackHead, []byte(prev)); err != nil {
			return err
		}
		return tx.SetMeta(ctx, netsync.MetaPackSeq, []byte(strconv.FormatUint(head, 10)))
	})
	if err != nil {
		t.Fatal(err)
	}
	c.start(t, c.recep) // announces the head of the chain

	for _, s := range []*Session{c.phys, c.admin} {
		waitFor(t, s.StaffName()+" holds the whole chain", 90*time.Second, func() bool {
			for _, e := range envs {
				if !holds(ctx, s, dev, e.Seq) {
					return false
				}
			}
			return true
		})
	}
	// The walk lets its packs go once Apply returns, a moment after the
	// envelopes show as held. (Read once: a later announcement may start a
	// fetch that holds a pack again.)
	waitFor(t, "the physician's walk to let its packs go", 5*time.Second, func() bool { now, _ := py.PackBytes(); return now == 0 })
	_, peak := py.PackBytes()
	bound := netsync.FetchWorkers * cfg.FetchShare
	t.Logf("chain of %d packs, %d bytes; the physician held at most %d bytes of packs (bound %d)", len(envs), total, peak, bound)
	if peak > bound || peak > int64(total)/4 {
		t.Errorf("the physician held %d bytes of packs at once; bound %d, chain %d", peak, bound, total)
	}
}

// TestAttackWantFlood is finding 8 (Medium): want flood.
//
// Attack: two outsiders (one with a plain account, one whose account name
// looks like a device id) post 420 `mh1 want` lines for the receptionist's
// device, every seq from 1 up, as fast as they can. The receptionist's
// workstation makes at most a handful of new packs; the plain account is
// not answered at all.
func TestAttackWantFlood(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	registerN(t, c.recep, "Wanted", 5)
	y := c.syncer[c.recep]
	rr, _ := c.recep.Replica()
	heads, _ := rr.Heads(ctx)
	var seq uint64
	for _, h := range heads {
		if h.Device == rr.Device() {
			seq = h.Seq
		}
	}
	waitFor(t, "pushed and announced", 10*time.Second, func() bool { return y.Status().Announced >= seq })
	before := len(y.Pushed())
	plain := newOutsider(t, c, "mallory", "mallory")
	lookalike := newOutsider(t, c, newID(16), "lookalike")
	refusedBefore := y.Status().Refused
	start := time.Now()
	for i := range 420 {
		o := plain
		if i%2 == 1 {
			o = lookalike
		}
		o.say(t, replica.Want{Device: rr.Device(), Seq: uint64(i)%seq + 1}.String())
	}
	t.Logf("420 wants posted in %v", time.Since(start))
	// Every want is handled when all but the look-alike's first are
	// refused and that one's pack is made (one pack per accepted want at
	// most, resendLoop); a want the server dropped leaves it waiting the
	// whole 30 s, and the checks below still hold.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if y.Status().Refused-refusedBefore >= 419 && len(y.Pushed())-before >= 1 {
			break
		}
	}
	t.Logf("handled in %v", time.Since(start))
	// A pack made later (resendLoop answers what waited, one pack per
	// resendGap, 5 s) counts too: look again after more than one gap.
	time.Sleep(6 * time.Second)
	made := len(y.Pushed()) - before
	t.Logf("new packs made: %d; status %+v", made, y.Status())
	if made < 1 || made > 3 {
		t.Errorf("the want flood made %d new packs; want 1 (the look-alike device account is answered once) to 3", made)
	}
	if y.Status().Refused < 400 {
		t.Errorf("refused %d wants, want at least 400", y.Status().Refused)
	}
}

// TestAttackOwnChainSquat is finding 4 on the network side (High).
//
// Attack: the administrator's modified software signs, with its own key,
// an event in the physician's device chain at a place the physician
// already filled, puts it on IPFS and announces it from its own account.
// The other workstations refuse the announcement (not the device's
// account); the physician's workstation fetches it, keeps its own event
// and reports prominently that someone writes in its chain.
func TestAttackOwnChainSquat(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	rp, _ := c.phys.Replica()
	ra, _ := c.admin.Replica()
	heads, _ := rp.Heads(ctx)
	var victim store.Envelope
	rp.DB().View(ctx, func(tx *store.Tx) error {
		for _, h := range heads {
			if h.Device == rp.Device() {
				victim, _ = tx.EnvelopeAt(ctx, h.Device, h.Seq)
			}
		}
		return nil
	})
	if victim.Seq < 2 {
		t.Fatalf("the physician's head: %+v", victim)
	}
	var prevHash string
	rp.DB().View(ctx, func(tx *store.Tx) error {
		e, err := tx.EnvelopeAt(ctx, rp.Device(), victim.Seq-1)
		prevHash = e.Hash
		return err
	})
	payload, _ := json.Marshal(map[string]string{"family": "Squatted"})
	h := crypto.Header{ID: crypto.NewEventID(), Entity: newID(16), Kind: records.KindPatient, Scope: string(roles.Directory), Epoch: 0,
		Author: ra.Fingerprint(), Device: rp.Device(), Seq: victim.Seq, Lamport: victim.Lamport, Prev: prevHash, Time: time.Now().UnixMilli()}
	env, err := crypto.SealRaw(h, payload, ra.Identity())
	if err != nil {
		t.Fatal(err)
	}
	b, err := replica.Pack{Device: rp.Device(), From: victim.Seq, To: victim.Seq, Envelopes: [][]byte{env.Raw}}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	cid, err := ipfs.New(c.kubo.API).Put(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	refusedBefore := map[*Session]int{}
	for _, s := range []*Session{c.recep, c.admin} {
		refusedBefore[s] = c.syncer[s].Status().Refused
	}
	modified(t, c, c.admin).say(t, replica.Announcement{Device: rp.Device(), Seq: victim.Seq, Hash: env.Hash(), CID: cid}.String())

	py := c.syncer[c.phys]
	waitFor(t, "the physician's workstation reports the fork", 20*time.Second, func() bool { return py.Status().Forked != "" })
	t.Logf("physician's status: %s", py.Status().Forked)
	rp.DB().View(ctx, func(tx *store.Tx) error {
		e, err := tx.EnvelopeAt(ctx, rp.Device(), victim.Seq)
		if err != nil || e.ID != victim.ID {
			t.Errorf("the physician's own event was replaced: %+v %v", e, err)
		}
		return nil
	})
	found := false
	for _, p := range py.Problems() {
		found = found || p.Device == rp.Device() && p.Seq == victim.Seq
	}
	if !found {
		t.Errorf("no problem names the squatted place: %v", py.Problems())
	}
	for _, s := range []*Session{c.recep, c.admin} {
		waitFor(t, s.StaffName()+" refuses the announcement", 10*time.Second, func() bool { return c.syncer[s].Status().Refused > refusedBefore[s] })
		if st := c.syncer[s].Status(); st.Forked != "" {
			t.Errorf("%s reports a fork of its own chain: %s", s.StaffName(), st.Forked)
		}
	}
}

// BenchmarkPropagationUnderForgedHeads measures how long a booking takes
// to reach the physician's workstation, first as is, then while 100
// forged `mh1 head` lines with unknown CIDs are posted for each booking
// (half by an outsider, half by the administrator's workstation about its
// own device), in the same run: p50 and p99 of both. Run with -benchtime
// 50x.
func BenchmarkPropagationUnderForgedHeads(b *testing.B) {
	c := newNetClinic(b)
	patient, arrived := bookingsArrive(b, c)
	out := newOutsider(b, c, "mallory", "mallory")
	admin := modified(b, c, c.admin)
	day := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	measure := func(offset int, forge bool) []time.Duration {
		lat := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			var wg sync.WaitGroup
			if forge {
				wg.Add(1)
				go func() { defer wg.Done(); forgeries(b, c, out, admin, 100) }()
			}
			lat = append(lat, bookAndWait(b, c, patient, day.Add(time.Duration(offset+i)*15*time.Minute), arrived, 30*time.Second))
			wg.Wait()
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return lat
	}
	b.ResetTimer()
	clean := measure(0, false)
	forged := measure(b.N, true)
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(clean[len(clean)/2]), "p50-ms")
	b.ReportMetric(ms(clean[(len(clean)*99)/100]), "p99-ms")
	b.ReportMetric(ms(forged[len(forged)/2]), "forged-p50-ms")
	b.ReportMetric(ms(forged[(len(forged)*99)/100]), "forged-p99-ms")
}
