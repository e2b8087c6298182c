package chat

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// BenchmarkChatRoundTrip measures a message and its echo between two
// workstations through the app (encrypt to recipient and sender, sign,
// queue in the local history, send; on the other side verify, decrypt,
// keep, answer) beside a raw mellium echo of a body of the same size on
// the same Prosody. Each iteration does one raw round trip and one through
// the app, so that both see the same machine load; it reports the p50 and
// p99 of each and their ratio (target: app within 1.5x of raw).
//
//	go test ./app/chat -run X -bench ChatRoundTrip -benchtime 500x -count 6
func BenchmarkChatRoundTrip(b *testing.B) {
	ctx := context.Background()
	c := newNetClinic(b)
	recep, phys := c.Recep, c.Phys
	waitOnline(b, recep, phys)
	text := strings.Repeat("a", 200)

	// Raw: two bare mellium sessions, the second echoing what it gets.
	in := make(chan xmpp.Message, 16)
	dial := func(user string, on func(xmpp.Message)) *xmpp.Session {
		addr := c.XMPP.Register(b, user, user+"-password")
		s, err := xmpp.Dial(ctx, xmpp.Config{JID: addr, Password: user + "-password", Addr: c.XMPP.Addr, TLS: c.XMPP.TLSConfig()}, on)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	alice := dial("raw-alice", func(m xmpp.Message) { in <- m })
	var bob atomic.Pointer[xmpp.Session]
	bob.Store(dial("raw-bob", func(m xmpp.Message) {
		if err := bob.Load().Send(ctx, m.From, m.Body); err != nil {
			b.Error(err)
		}
	}))
	// The app's body is about this long on the wire.
	body := strings.Repeat("b", 1200)
	raw := func() time.Duration {
		start := time.Now()
		if err := alice.Send(ctx, "raw-bob@"+c.XMPP.Domain, body); err != nil {
			b.Fatal(err)
		}
		select {
		case <-in:
		case <-time.After(10 * time.Second):
			b.Fatal("no raw echo")
		}
		return time.Since(start)
	}

	// App: the physician answers every message from reception.
	back := make(chan struct{}, 16)
	stopEcho := phys.OnChange(func(cs []app.Changed) {
		for _, ch := range cs {
			if ch.Kind == Kind && ch.Scope == Received && ch.ID == recep.Fingerprint() {
				go func() {
					if _, err := New(phys.Core()).Send(ctx, recep.Fingerprint(), "re: "+text, ""); err != nil {
						b.Error(err)
					}
				}()
			}
		}
	})
	defer stopEcho()
	stopBack := recep.OnChange(func(cs []app.Changed) {
		for _, ch := range cs {
			if ch.Kind == Kind && ch.Scope == Received && ch.ID == phys.Fingerprint() {
				back <- struct{}{}
			}
		}
	})
	defer stopBack()
	viaApp := func() time.Duration {
		start := time.Now()
		if _, err := New(recep.Core()).Send(ctx, phys.Fingerprint(), text, ""); err != nil {
			b.Fatal(err)
		}
		select {
		case <-back:
		case <-time.After(10 * time.Second):
			b.Fatal("no echo through the app")
		}
		return time.Since(start)
	}

	for range 20 { // warm up both paths
		raw()
		viaApp()
	}
	var raws, apps []time.Duration
	for b.Loop() {
		raws = append(raws, raw())
		time.Sleep(time.Millisecond) // let the last echo's bookkeeping finish
		apps = append(apps, viaApp())
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	rawP50, rawP99 := percentiles(raws)
	appP50, appP99 := percentiles(apps)
	b.ReportMetric(float64(rawP50.Microseconds()), "raw-p50-µs")
	b.ReportMetric(float64(rawP99.Microseconds()), "raw-p99-µs")
	b.ReportMetric(float64(appP50.Microseconds()), "app-p50-µs")
	b.ReportMetric(float64(appP99.Microseconds()), "app-p99-µs")
	b.ReportMetric(float64(appP50)/float64(rawP50), "p50-ratio")
	b.ReportMetric(0, "ns/op") // a round trip's latency, not the loop's pace, is what counts
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(d)
	return d[len(d)/2], d[len(d)*99/100]
}
