package xmpp

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestInboxBound: beyond its bound the inbox drops the oldest messages
// that Keep does not claim, down to three quarters of the bound, keeps the
// order of the rest, and counts what it dropped.
func TestInboxBound(t *testing.T) {
	keepRoom := func(m Message) bool { return m.Room }
	for _, tc := range []struct {
		name        string
		max, bytes  int
		keep        func(Message) bool
		push        []Message
		want        []string // bodies held, oldest first
		wantDropped int64
	}{
		{name: "under the bound", max: 4, bytes: 100, push: msgs("a", "b", "c", "d"), want: []string{"a", "b", "c", "d"}},
		{name: "count: the oldest go", max: 4, bytes: 100, push: msgs("a", "b", "c", "d", "e"), want: []string{"c", "d", "e"}, wantDropped: 2},
		{name: "bytes: the oldest go", max: 100, bytes: 8, push: msgs("aaaa", "bbbb", "cc", "d"), want: []string{"bbbb", "cc", "d"}, wantDropped: 1},
		{
			name: "kept messages stay, in order", max: 4, bytes: 100, keep: keepRoom,
			push: []Message{{Body: "a", Room: true}, {Body: "b"}, {Body: "c", Room: true}, {Body: "d"}, {Body: "e"}},
			want: []string{"a", "c", "e"}, wantDropped: 2,
		},
		{
			name: "only kept messages: nothing dropped", max: 2, bytes: 100, keep: keepRoom,
			push: []Message{{Body: "a", Room: true}, {Body: "b", Room: true}, {Body: "c", Room: true}},
			want: []string{"a", "b", "c"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := boundedInbox(tc.max, tc.bytes, tc.keep)
			for _, m := range tc.push {
				b.push(m)
			}
			var got []string
			size := 0
			for _, m := range b.queue {
				got = append(got, m.Body)
				size += len(m.Body)
			}
			if !slices.Equal(got, tc.want) || b.dropped.Load() != tc.wantDropped || b.bytes != size {
				t.Errorf("holds %q (%d bytes, counted %d), dropped %d; want %q, dropped %d",
					got, size, b.bytes, b.dropped.Load(), tc.want, tc.wantDropped)
			}
		})
	}
}

func msgs(bodies ...string) []Message {
	out := make([]Message, len(bodies))
	for i, body := range bodies {
		out[i] = Message{Body: body, ID: fmt.Sprint(i)}
	}
	return out
}

// BenchmarkInboxFlood: a push costs amortised constant time while the
// inbox is full (one trim for a quarter of the bound's pushes).
func BenchmarkInboxFlood(b *testing.B) {
	in := boundedInbox(MaxInbox, MaxInboxBytes, nil) // nobody takes: it stays full
	m := Message{Body: strings.Repeat("x", 900), Type: "chat"}
	b.ReportAllocs()
	for b.Loop() {
		in.push(m)
	}
}

// boundedInbox is a message inbox whose delivery never runs.
func boundedInbox(max, bytes int, keep func(Message) bool) *inbox[Message] {
	b := &inbox[Message]{wake: make(chan struct{}, 1), deliver: func(Message) {}}
	b.max, b.maxBytes, b.keep = max, bytes, keep
	b.size = func(m Message) int { return len(m.Body) }
	return b
}

// TestPresenceInbox: presence waiting to be delivered is the latest of
// each address, in the place its first one took; a flood of addresses is
// bounded like messages.
func TestPresenceInbox(t *testing.T) {
	b := newPresenceInbox(nil)
	b.deliver = func(Presence) {} // delivery never runs: everything waits
	for i := range 100_000 {
		b.push(Presence{From: fmt.Sprintf("room@muc.clinic/flood%d", i%3), Show: fmt.Sprint(i)})
	}
	b.push(Presence{From: "dr@clinic/desk", Show: "Away"})
	b.push(Presence{From: "room@muc.clinic/flood0", Show: "Online"})
	var got []string
	size := 0
	for _, p := range b.queue {
		got = append(got, p.From+"="+p.Show)
		size += b.size(p)
	}
	want := []string{"room@muc.clinic/flood0=Online", "room@muc.clinic/flood1=99997", "room@muc.clinic/flood2=99998", "dr@clinic/desk=Away"}
	if !slices.Equal(got, want) || b.bytes != size {
		t.Fatalf("holds %q (%d bytes, counted %d), want %q", got, size, b.bytes, want)
	}
	for i := range 3 * MaxInbox {
		b.push(Presence{From: fmt.Sprintf("room@muc.clinic/nick%d", i), Show: "Online"})
	}
	if n := len(b.queue); n > MaxInbox || n < MaxInbox/2 || len(b.at) != n {
		t.Fatalf("holds %d presences (%d addresses indexed) after a flood of new addresses, want at most %d", n, len(b.at), MaxInbox)
	}
	b.push(Presence{From: "dr@clinic/desk", Show: "Online"}) // dropped meanwhile: it comes back, once
	b.push(Presence{From: "dr@clinic/desk", Show: "Away"})
	last := b.queue[len(b.queue)-1]
	if last.From != "dr@clinic/desk" || last.Show != "Away" || b.queue[len(b.queue)-2].From == "dr@clinic/desk" {
		t.Errorf("the latest presence of an address is not the one waiting: %+v", b.queue[len(b.queue)-2:])
	}
}
