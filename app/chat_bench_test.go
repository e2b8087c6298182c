package app

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/xmpp"
)

// BenchmarkChatRoundTrip measures a message and its echo between two
// workstations through the app (encrypt to recipient and sender, sign,
// seal in the local history, send; on the other side verify, decrypt,
// seal, answer) beside a raw mellium echo of a body of the same size on
// the same Prosody. Run with -benchtime 200x for the figures in the issue.
func BenchmarkChatRoundTrip(b *testing.B) {
	ctx := context.Background()
	c := newNetClinic(b)
	recep, phys := c.recep, c.phys
	waitOnline(b, c, recep, phys)
	text := strings.Repeat("a", 200)

	b.Run("raw-mellium", func(b *testing.B) {
		in := make(chan xmpp.Message, 16)
		dial := func(user string, on func(xmpp.Message)) *xmpp.Session {
			addr := c.xmpp.Register(b, user, user+"-password")
			s, err := xmpp.Dial(ctx, xmpp.Config{JID: addr, Password: user + "-password", Addr: c.xmpp.Addr, TLS: c.xmpp.TLSConfig()}, on)
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
		body := strings.Repeat("b", 1400)
		var rtts []time.Duration
		for b.Loop() {
			start := time.Now()
			if err := alice.Send(ctx, "raw-bob@"+c.xmpp.Domain, body); err != nil {
				b.Fatal(err)
			}
			select {
			case <-in:
			case <-time.After(10 * time.Second):
				b.Fatal("no echo")
			}
			rtts = append(rtts, time.Since(start))
		}
		report(b, rtts)
	})

	b.Run("app", func(b *testing.B) {
		back := make(chan struct{}, 16)
		stopEcho := phys.OnChange(func(cs []Changed) {
			for _, ch := range cs {
				if ch.Kind == KindChat && ch.Scope == ChatReceived && ch.ID == recep.Fingerprint() {
					go func() {
						if _, err := phys.SendChat(ctx, recep.Fingerprint(), "re: "+text, ""); err != nil {
							b.Error(err)
						}
					}()
				}
			}
		})
		defer stopEcho()
		stopBack := recep.OnChange(func(cs []Changed) {
			for _, ch := range cs {
				if ch.Kind == KindChat && ch.Scope == ChatReceived && ch.ID == phys.Fingerprint() {
					back <- struct{}{}
				}
			}
		})
		defer stopBack()
		var rtts []time.Duration
		for b.Loop() {
			start := time.Now()
			if _, err := recep.SendChat(ctx, phys.Fingerprint(), text, ""); err != nil {
				b.Fatal(err)
			}
			select {
			case <-back:
			case <-time.After(10 * time.Second):
				b.Fatal("no echo")
			}
			rtts = append(rtts, time.Since(start))
		}
		report(b, rtts)
	})
}

func report(b *testing.B, rtts []time.Duration) {
	slices.Sort(rtts)
	b.ReportMetric(float64(rtts[len(rtts)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(rtts[len(rtts)*99/100].Microseconds()), "p99-µs")
}
