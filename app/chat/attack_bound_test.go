package chat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// signedBy is a message the receptionist signs for the physician (or the
// room), dated at by her own clock, that reached the physician's server
// at delay (zero: live).
func (f *floodClinic) signedBy(t testing.TB, id string, at time.Time, text string, room bool, delay time.Time) xmpp.Message {
	t.Helper()
	to := f.phys.Fingerprint()
	if room {
		to = Room
	}
	p, _ := json.Marshal(chatPayload{V: 1, ID: id, From: f.recp.Fingerprint(), To: to, Text: text, At: at.UnixMilli()})
	ct, err := crypto.EncryptToMany(p, f.recp.Identity(), f.phys.Identity().Public(), f.recp.Identity().Public())
	if err != nil {
		t.Fatal(err)
	}
	m := xmpp.Message{From: f.recp.Device() + "@" + testDomain + "/x", Sender: f.recp.Device() + "@" + testDomain,
		Body: wire + base64.StdEncoding.EncodeToString(ct), ID: id, StanzaID: "sid-" + id, Type: "chat", Delay: delay}
	if room {
		m.Room, m.From, m.Type = true, testRoom+"/"+f.recp.Device(), "groupchat"
	}
	return m
}

// TestAttackChatTimeIsBounded (sec-s10 finding 3, the reviewer's
// TestSec10ChatTimeIsBounded): a member signs messages dated ten years
// ahead and a year back. A message's time is when the server took it (or
// this workstation received it), never the sender's word: the one dated
// ahead neither stays the newest of the conversation nor, once read,
// makes every later message count as read; the one dated back does not
// slip into the history a year ago. The signed time is kept as a detail,
// never more than maxWrittenAhead after arrival.
func TestAttackChatTimeIsBounded(t *testing.T) {
	f := newFloodClinic(t)
	ctx := context.Background()
	now := time.Now()
	f.receive(t, []xmpp.Message{f.signedBy(t, "future", now.AddDate(10, 0, 0), "Pinned: patient MH0000001 is cleared for discharge.", false, time.Now())})
	f.Clock.Set(time.Now()) // the workstation's clock
	if err := f.s.MarkRead(ctx, f.recp.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	marks, err := f.s.chatReadMarks(ctx, f.phys)
	if err != nil {
		t.Fatal(err)
	}
	if mark := marks[f.recp.Fingerprint()]; mark > time.Now().UnixMilli() {
		t.Errorf("the read mark is %s, past now", time.UnixMilli(mark))
	}
	time.Sleep(2 * time.Millisecond) // read marks are in ms
	f.receive(t, []xmpp.Message{
		f.signedBy(t, "past", now.AddDate(-1, 0, 0), "As agreed last year, no allergy check for MH0000001.", false, time.Now()),
		f.signedBy(t, "later", now.Add(time.Second), "Urgent: call me back.", false, time.Time{}),
	})
	msgs, _ := f.conversation(t, f.recp.Fingerprint())
	for _, m := range msgs {
		if m.At.After(now.Add(time.Hour)) || m.At.Before(now.Add(-time.Hour)) {
			t.Errorf("message %q is shown as written at %s, though the server took it at %s", m.Text, m.At.Format(time.DateOnly), now.Format(time.DateOnly))
		}
		if m.Written.After(m.At.Add(maxWrittenAhead)) {
			t.Errorf("message %q: its signed time %s is kept, far after it arrived (%s)", m.Text, m.Written, m.At)
		}
		if pinned := m.Text == "Pinned: patient MH0000001 is cleared for discharge."; pinned == m.Unread {
			t.Errorf("message %q is shown unread %v: the read mark does not follow when messages arrived", m.Text, m.Unread)
		}
	}
	if len(msgs) != 3 || msgs[len(msgs)-1].Text != "Urgent: call me back." {
		t.Fatalf("the conversation holds %d messages, the newest %q; want 3, the newest the one just received", len(msgs), msgs[len(msgs)-1].Text)
	}
	if past := msgs[1]; !past.Written.Equal(time.UnixMilli(now.AddDate(-1, 0, 0).UnixMilli())) {
		t.Errorf("the message dated back shows %s as its signed time, want the sender's word as a detail", past.Written)
	}
}

// TestChatTimeSources: which time a message is ordered by, for each way
// it arrives: the archive's stamp (never after it reached this
// workstation), else its arrival here (h-sec26: a live delay may be the
// sender's); and what its signed time shows.
func TestChatTimeSources(t *testing.T) {
	f := newFloodClinic(t)
	arrived := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name           string
		written        time.Time
		delay          time.Time
		room, archived bool
		at, writtenAt  time.Time
	}{
		{"live", arrived.Add(-time.Second), time.Time{}, false, false, arrived, arrived.Add(-time.Second)},
		{"live, dated ahead", arrived.AddDate(1, 0, 0), time.Time{}, false, false, arrived, arrived},
		{"live, a little ahead (clocks differ)", arrived.Add(time.Minute), time.Time{}, false, false, arrived, arrived.Add(time.Minute)},
		// A live delay in the server's name may be the sender's (h-sec26).
		{"stored while offline", arrived.Add(-time.Hour), arrived.Add(-time.Hour + time.Second), false, false, arrived, arrived.Add(-time.Hour)},
		{"archived", arrived.Add(-time.Hour), arrived.Add(-time.Hour + time.Second), false, true, arrived.Add(-time.Hour + time.Second), arrived.Add(-time.Hour)},
		{"room archive, dated back", arrived.AddDate(-1, 0, 0), arrived.Add(-time.Minute), true, true, arrived.Add(-time.Minute), arrived.AddDate(-1, 0, 0)},
		{"an archive stamp ahead of this workstation", arrived, arrived.Add(time.Hour), false, true, arrived, arrived},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent := f.signedBy(t, "t", tc.written, "x", tc.room, tc.delay)
			sent.Archived = tc.archived
			m := readChat(f.phys, f.devs, testRoom, testDomain, sent, arrived)
			if !m.Verified || !m.At.Equal(tc.at) || !m.Written.Equal(tc.writtenAt) {
				t.Errorf("verified %v, at %s, written %s; want at %s, written %s", m.Verified, m.At, m.Written, tc.at, tc.writtenAt)
			}
		})
	}
}

// TestChatTimesMendOldProfile: a profile that kept a message under a date
// ten years ahead, and a read mark there (before sec-s10 finding 3), shows
// it as arrived when the history is opened, and a message received after
// it is newer and unread.
func TestChatTimesMendOldProfile(t *testing.T) {
	f := newFloodClinic(t)
	ahead := time.Now().AddDate(10, 0, 0)
	cm := readChat(f.phys, f.devs, testRoom, testDomain, f.signedBy(t, "future", ahead, "Pinned", false, time.Time{}), time.Now())
	cm.At, cm.Written, cm.Bounded = ahead, time.Time{}, false // as the version before kept it
	f.writeAsBefore(t, map[string]any{
		hashName(secretMessage, cm.Key):                cm,
		hashName(secretChatRead, f.recp.Fingerprint()): chatReadMark{Conversation: f.recp.Fingerprint(), At: ahead.UnixMilli()},
	})
	f.Clock.Set(time.Now()) // the workstation's clock
	if msgs, _ := f.conversation(t, f.recp.Fingerprint()); len(msgs) != 1 || msgs[0].At.After(time.Now()) || msgs[0].Unread {
		t.Errorf("on opening the history: %+v", msgs)
	}
	time.Sleep(2 * time.Millisecond)
	f.receive(t, []xmpp.Message{f.signedBy(t, "new", time.Now(), "Urgent", false, time.Time{})})
	msgs, _ := f.conversation(t, f.recp.Fingerprint())
	if len(msgs) != 2 || msgs[1].Text != "Urgent" || !msgs[1].Unread || msgs[0].At.After(time.Now()) {
		t.Errorf("after opening the history: %+v", msgs)
	}
	f.s.forgetChat() // the mended time is on disk
	if msgs, _ := f.conversation(t, f.recp.Fingerprint()); len(msgs) != 2 || msgs[0].At.After(msgs[1].At) {
		t.Errorf("read back: %+v", msgs)
	}
}

// TestAttackColleagueRoomFloodIsBounded (sec-s10 finding 4, the reviewer's
// TestSec10ColleagueRoomFloodIsBounded): a member's modified software
// writes signed messages in a loop. Of one colleague in one conversation
// only the newest maxColleaguePerConversation messages, and at most
// maxColleagueBytes of them, are kept, in memory and on disk, with the
// line saying how many more were not kept. The first messages of each
// flood go through readChat as received; the rest are copies of a
// verified one under new ids (signing 20,000 messages is too slow for a
// test, and the bound sees only what readChat made of them).
func TestAttackColleagueRoomFloodIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name         string
		room         bool
		n, textLen   int
		kept         int
		conversation func(f *floodClinic) string
	}{
		{"clinic room, many short messages", true, maxColleaguePerConversation + 300, 20, maxColleaguePerConversation,
			func(*floodClinic) string { return Room }},
		{"one-to-one, long messages", false, 13500, MaxText, 0, func(f *floodClinic) string { return f.recp.Fingerprint() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFloodClinic(t)
			ctx := context.Background()
			text := strings.Repeat("x", tc.textLen)
			base := time.Now().Add(-time.Hour)
			var first storedChat
			for i := range 20 {
				m := readChat(f.phys, f.devs, testRoom, testDomain, f.signedBy(t, fmt.Sprint("flood", i), base, text, tc.room, time.Time{}),
					base.Add(time.Duration(i)*time.Millisecond))
				if !m.Verified {
					t.Fatalf("the colleague's message is not verified: %+v", m.Message)
				}
				if _, _, err := f.s.keepChatNew(ctx, f.phys, m); err != nil {
					t.Fatal(err)
				}
				first = m
			}
			for i := 20; i < tc.n; i++ {
				m := first
				m.ID = fmt.Sprint("flood", i)
				m.Key, m.At = chatKey(m.From, m.ID), base.Add(time.Duration(i)*time.Millisecond)
				if _, _, err := f.s.keepChatNew(ctx, f.phys, m); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.s.writeChat(ctx, f.phys, nil); err != nil {
				t.Fatal(err)
			}
			kept := tc.kept
			if kept == 0 { // bound by size: the newest that fit
				for i, size := tc.n-1, 0; i >= 0; i-- {
					m := first
					m.ID = fmt.Sprint("flood", i)
					m.Key = chatKey(m.From, m.ID)
					if size += colleagueSize(m); size > maxColleagueBytes {
						break
					}
					kept++
				}
			}
			msgs, lines := f.conversation(t, tc.conversation(f))
			want := fmt.Sprintf("%d more messages from this colleague were not kept.", tc.n-kept)
			if len(msgs) != kept || msgs[len(msgs)-1].ID != fmt.Sprint("flood", tc.n-1) || len(lines) != 1 || lines[0].Text != want ||
				lines[0].FromName != f.Recep.StaffName() {
				t.Errorf("one colleague's flood of %d: %d kept (want the newest %d), lines %+v (want %q)", tc.n, len(msgs), kept, lines, want)
			}
			var bytes int
			err := f.phys.DB().View(ctx, func(tx *store.Tx) error {
				rows, err := tx.SecretsWithPrefix(ctx, secretMessage)
				for _, v := range rows {
					bytes += len(v)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := f.storedMessages(t); n != kept {
				t.Errorf("%d messages on disk (%d KiB sealed), want %d", n, bytes>>10, kept)
			}
		})
	}
}

// TestColleagueBoundOrderFree: a colleague's messages of different sizes,
// in any order and read again, leave the same messages kept and the same
// count not kept: an old message arriving late does not fit again where
// it would not have in order.
func TestColleagueBoundOrderFree(t *testing.T) {
	f := newFloodClinic(t)
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	tmpl := readChat(f.phys, f.devs, testRoom, testDomain, f.signedBy(t, "m", base, "x", true, time.Time{}), base)
	var ms []storedChat
	for i := range 8000 {
		m := tmpl
		m.ID = fmt.Sprint("m", i)
		m.Key, m.At = chatKey(m.From, m.ID), base.Add(time.Duration(i)*time.Second)
		m.Text = strings.Repeat("x", 1+(i*7919)%(MaxText*4)) // 1 B to 16 kB: about 64 MiB in all
		ms = append(ms, m)
	}
	dk := f.Phys.Core().DeviceKey()
	outcome := func(order []storedChat, again bool) string {
		c := &chatCache{rep: f.phys, dk: dk, msgs: map[string]storedChat{}, queue: map[string]chatQueued{}, reads: map[string]int64{},
			idx: newUnverifiedIndex(), unwritten: map[string][]byte{}}
		for pass := range 2 {
			for _, m := range order {
				if _, _, err := c.admit(m, base); err != nil {
					t.Fatal(err)
				}
			}
			if !again || pass == 1 {
				break
			}
		}
		var ids []string
		for _, m := range c.msgs {
			ids = append(ids, m.ID)
		}
		slices.Sort(ids)
		return fmt.Sprint(len(ids), " kept; ", c.notKeptLines(Room)[0].Text, "; ", strings.Join(ids, " "))
	}
	sameInAnyOrder(t, ms, outcome, "were not kept")
}

// TestColleagueBoundMendsOldProfile: a profile that kept more of a
// colleague's messages than the bound (before it, from a flood) keeps the
// newest when the history is opened, takes the rest off the disk, and
// says how many were not kept.
func TestColleagueBoundMendsOldProfile(t *testing.T) {
	f := newFloodClinic(t)
	base := time.Now().Add(-time.Hour)
	tmpl := readChat(f.phys, f.devs, testRoom, testDomain, f.signedBy(t, "m", base, "ok", true, time.Time{}), base)
	old := map[string]any{}
	for i := range maxColleaguePerConversation + 100 {
		m := tmpl
		m.ID = fmt.Sprint("m", i)
		m.Key, m.At = chatKey(m.From, m.ID), base.Add(time.Duration(i)*time.Millisecond)
		old[hashName(secretMessage, m.Key)] = m
	}
	f.writeAsBefore(t, old)
	f.Clock.Set(time.Now()) // the workstation's clock
	msgs, lines := f.conversation(t, Room)
	if len(msgs) != maxColleaguePerConversation || msgs[0].ID != "m100" || len(lines) != 1 ||
		lines[0].Text != "100 more messages from this colleague were not kept." {
		t.Errorf("after opening the history: %d messages, the oldest %q; lines %+v", len(msgs), msgs[0].ID, lines)
	}
	if got := f.storedMessages(t); got != maxColleaguePerConversation {
		t.Errorf("%d messages left on disk, want %d", got, maxColleaguePerConversation)
	}
}
