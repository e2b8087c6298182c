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
// p99 of each and their ratio (target: app within 1.3x of raw), and the
// p50 of the time until reception's message shows as sent (the server's
// answer to the confirming ping, outbox.go). Each round trip starts 8 ms
// after the last one's work ended, both workstations' confirmations
// included, so that these run beside neither round trip and both kinds
// of round trip follow the same pause.
//
//	go test ./app/chat -run X -bench ChatRoundTrip -benchtime 300x -count 5
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
	// sent waits until both workstations' messages are confirmed (out of
	// their queues), so that confirmations never run beside the next raw
	// round trip, and returns when reception's was.
	waiting := func(s *app.Session) int {
		n, err := New(s.Core()).Waiting(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	sent := func(start time.Time) (took time.Duration) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			r, p := waiting(recep), waiting(phys)
			if r == 0 && took == 0 {
				took = time.Since(start)
			}
			if r == 0 && p == 0 {
				return took
			}
			if time.Now().After(deadline) {
				b.Fatal("messages not confirmed")
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	viaApp := func() (time.Duration, time.Duration) {
		start := time.Now()
		if _, err := New(recep.Core()).Send(ctx, phys.Fingerprint(), text, ""); err != nil {
			b.Fatal(err)
		}
		select {
		case <-back:
		case <-time.After(10 * time.Second):
			b.Fatal("no echo through the app")
		}
		echo := time.Since(start)
		return echo, sent(start)
	}

	for range 20 { // warm up both paths
		raw()
		viaApp()
	}
	var raws, apps, sents []time.Duration
	// Each round trip starts the same quiet time after the last one's
	// work ended (the raw echo's, or both workstations' confirmations): a
	// round trip after a longer pause is slower, so both get the same.
	// After 1 ms the raw echo still depended on what ran before it (slower
	// after the app's confirmations than after the old code's round trip);
	// after 8 ms it did not.
	const pause = 8 * time.Millisecond
	for b.Loop() {
		raws = append(raws, raw())
		time.Sleep(pause)
		echo, sent := viaApp()
		apps, sents = append(apps, echo), append(sents, sent)
		time.Sleep(pause)
	}
	b.StopTimer()
	rawP50, rawP99 := percentiles(raws)
	appP50, appP99 := percentiles(apps)
	sentP50, _ := percentiles(sents)
	b.ReportMetric(float64(sentP50.Microseconds()), "sent-p50-µs")
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
