package chat

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
)

// queuedIn reports whether s's message with text in conversation is still
// queued (shown "Sending…" or waiting), failing if it is not there.
func queuedIn(t testing.TB, s *app.Session, conversation, text string) bool {
	t.Helper()
	for _, m := range history(t, s, conversation) {
		if m.Text == text {
			return m.Queued
		}
	}
	t.Fatalf("%s does not hold %q", s.StaffName(), text)
	return false
}

// TestOutboxConfirms: a message goes out at once and shows as sent only
// when the server has answered for it. While the server reads nothing
// (paused), the message stays queued however long it waits; when the
// server goes on, it is taken, shown sent and received once. A message
// the server had not processed when it died (paused, then killed) stays
// queued, goes again when the server is back, and is received once.
func TestOutboxConfirms(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	recep, phys := c.Recep, c.Phys
	waitOnline(t, recep, phys)

	t.Run("sent after the server's answer", func(t *testing.T) {
		text := "Sent while the server is paused: Ragamuffin"
		c.XMPP.Pause(t)
		m := sendChat(t, recep, phys.Fingerprint(), text, "")
		if !m.Queued {
			t.Errorf("Send returned a message shown as sent before the server answered: %+v", m)
		}
		time.Sleep(20 * confirmAfter) // its confirmation went out long ago
		if !queuedIn(t, recep, phys.Fingerprint(), text) {
			t.Error("shown as sent while the server answers nothing")
		}
		if n, _ := New(recep.Core()).Waiting(ctx); n != 1 {
			t.Errorf("%d messages waiting, want 1", n)
		}
		c.XMPP.Resume(t)
		waitFor(t, "the message shown as sent", 10*time.Second, func() bool { return !queuedIn(t, recep, phys.Fingerprint(), text) })
		waitChat(t, phys, recep.Fingerprint(), text)
		if n, _ := New(recep.Core()).Waiting(ctx); n != 0 {
			t.Errorf("%d messages waiting after the answer, want 0", n)
		}
	})

	t.Run("server dies before taking it", func(t *testing.T) {
		text := "Sent as the server dies: Bumfuzzle"
		c.XMPP.Pause(t)
		m := sendChat(t, recep, phys.Fingerprint(), text, "")
		time.Sleep(4 * confirmAfter) // the confirming ping is out, unanswered
		c.XMPP.Crash(t)
		if !m.Queued || !queuedIn(t, recep, phys.Fingerprint(), text) {
			t.Errorf("a message the server never took is not queued: %+v", m)
		}
		c.XMPP.Start(t)
		waitOnline(t, recep, phys)
		waitChat(t, phys, recep.Fingerprint(), text) // exactly once
		waitFor(t, "reception's queue empty", 20*time.Second, func() bool { n, _ := New(recep.Core()).Waiting(ctx); return n == 0 })
		if queuedIn(t, recep, phys.Fingerprint(), text) {
			t.Error("still queued after the server took it")
		}
		// Messages right after go out at once, confirmed together.
		for _, text := range []string{"First of three: Cattywampus", "Second of three", "Third of three"} {
			sendChat(t, recep, phys.Fingerprint(), text, "")
		}
		for _, text := range []string{"First of three: Cattywampus", "Second of three", "Third of three"} {
			waitChat(t, phys, recep.Fingerprint(), text)
		}
		waitFor(t, "all three shown as sent", 10*time.Second, func() bool { n, _ := New(recep.Core()).Waiting(ctx); return n == 0 })
	})
}
