package chat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/xmpp"
)

const (
	testDomain = "clinic.test"
	testRoom   = "clinic@rooms.clinic.test"
)

// floodClinic is a physician's chat, off the network, and what it needs
// to read messages: the receptionist's device known as hers.
type floodClinic struct {
	*apptest.Clinic
	s          *Service
	phys, recp *replica.Replica
	devs       staffDevices
}

func newFloodClinic(t testing.TB) *floodClinic {
	t.Helper()
	c := apptest.NewClinic(t)
	phys, err := c.Phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	recp, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	return &floodClinic{Clinic: c, s: New(c.Phys.Core()), phys: phys, recp: recp,
		devs: staffDevices{member: map[string]string{recp.Device(): recp.Fingerprint()}}}
}

// plain is the i-th plain message from addr: one-to-one, or in the room.
func plain(addr string, i int, room bool) xmpp.Message {
	m := xmpp.Message{From: addr + "/x", Sender: addr, To: "phys@" + testDomain, Body: fmt.Sprint("plain ", i, " ", strings.Repeat("x", 900)),
		ID: fmt.Sprint(i), StanzaID: fmt.Sprint("sid-", addr, "-", i), Type: "chat"}
	if room {
		m.From, m.Type, m.Room = testRoom+"/nick", "groupchat", true
	}
	return m
}

// verified is the i-th message the receptionist signs for the physician.
func (f *floodClinic) verified(t testing.TB, i int) xmpp.Message {
	t.Helper()
	p, _ := json.Marshal(chatPayload{V: 1, ID: fmt.Sprint("v", i), From: f.recp.Fingerprint(), To: f.phys.Fingerprint(),
		Text: fmt.Sprint("colleague ", i), At: time.Now().UnixMilli()})
	ct, err := crypto.EncryptToMany(p, f.recp.Identity(), f.phys.Identity().Public(), f.recp.Identity().Public())
	if err != nil {
		t.Fatal(err)
	}
	return xmpp.Message{From: f.recp.Device() + "@" + testDomain + "/x", Sender: f.recp.Device() + "@" + testDomain,
		Body: wire + base64.StdEncoding.EncodeToString(ct), ID: fmt.Sprint("v", i), StanzaID: fmt.Sprint("vsid", i), Type: "chat"}
}

// receive reads and keeps ms as the live path does, then writes what
// waits.
func (f *floodClinic) receive(t testing.TB, ms []xmpp.Message) {
	t.Helper()
	ctx := context.Background()
	for _, m := range ms {
		cm := readChat(f.phys, f.devs, testRoom, testDomain, m, time.Now())
		if _, _, err := f.s.keepChatNew(ctx, f.phys, cm); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.s.writeChat(ctx, f.phys, nil); err != nil {
		t.Fatal(err)
	}
}

// conversation returns the messages and the lines of what was not kept.
func (f *floodClinic) conversation(t testing.TB, id string) (msgs []Message, notKept []Message) {
	t.Helper()
	h, err := f.s.History(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range h {
		if m.NotKept > 0 {
			notKept = append(notKept, m)
		} else {
			msgs = append(msgs, m)
		}
	}
	return msgs, notKept
}

// storedMessages counts the messages on disk.
func (f *floodClinic) storedMessages(t testing.TB) int {
	t.Helper()
	var n int
	err := f.phys.DB().View(context.Background(), func(tx *store.Tx) error {
		rows, err := tx.SecretsWithPrefix(context.Background(), secretMessage)
		n = len(rows)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUnverifiedFloodIsBounded (sec-s9 finding 4, the reviewer's
// TestSecPlainFloodIsKeptWhole): any account on the clinic's server sends
// a colleague thousands of messages that cannot be verified. Of one
// address only the newest maxUnverifiedPerSender are kept, in memory and
// on disk, and one line says how many more were not kept: a plain client
// outside the directory, a member's account writing plain text, plain
// text in the clinic room.
func TestUnverifiedFloodIsBounded(t *testing.T) {
	f := newFloodClinic(t)
	recpAddr := f.recp.Device() + "@" + testDomain
	dbFile := filepath.Join(f.Phys.Profile().Dir, "medihaven.db")
	for _, tc := range []struct {
		name, addr, conversation string
		room                     bool
		n                        int
		line                     string
	}{
		{"plain client", "mallory@" + testDomain, plainPrefix + "mallory@" + testDomain, false, 2000,
			"Over 1000 more messages from this address were not kept."},
		{"a member's account, plain", recpAddr, f.recp.Fingerprint(), false, 450,
			"250 more messages from this address were not kept."},
		{"clinic room, plain", "trudy@" + testDomain, Room, true, 201,
			"1 more message from this address was not kept."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ms []xmpp.Message
			for i := range tc.n {
				ms = append(ms, plain(tc.addr, i, tc.room))
			}
			before := fileSize(dbFile)
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			start := time.Now()
			f.receive(t, ms)
			took := time.Since(start)
			runtime.GC()
			runtime.ReadMemStats(&m1)
			t.Logf("%d plain messages in %v (%.0f/s; load %s); store grew %d kB; live heap grew %d kB",
				tc.n, took, float64(tc.n)/took.Seconds(), loadavg(), (fileSize(dbFile)-before)/1024, (int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/1024)

			msgs, lines := f.conversation(t, tc.conversation)
			if len(msgs) != maxUnverifiedPerSender {
				t.Errorf("the conversation holds %d messages from %s, want the newest %d", len(msgs), tc.addr, maxUnverifiedPerSender)
			}
			if len(msgs) > 0 && !strings.HasPrefix(msgs[len(msgs)-1].Text, fmt.Sprint("plain ", tc.n-1, " ")) {
				t.Errorf("the newest kept is %.12q…, want the last sent", msgs[len(msgs)-1].Text)
			}
			if len(lines) != 1 || lines[0].Text != tc.line || !lines[0].At.Before(msgs[0].At) {
				t.Errorf("lines of what was not kept: %+v; want one, before the oldest kept, saying %q", lines, tc.line)
			}
		})
	}
	if n := f.storedMessages(t); n != 3*maxUnverifiedPerSender {
		t.Errorf("%d messages on disk, want %d", n, 3*maxUnverifiedPerSender)
	}
}

// TestVerifiedKeptInFlood: a colleague's verified messages that arrive in
// the middle of a flood, from strangers and from her own account, are
// all kept; only the unverified are bounded, in all too.
func TestVerifiedKeptInFlood(t *testing.T) {
	f := newFloodClinic(t)
	const colleague = 300
	var ms []xmpp.Message
	for i := range maxUnverified + 500 {
		ms = append(ms, plain(fmt.Sprint("stranger", i%15, "@", testDomain), i, false))
		if i%8 == 0 && i/8 < colleague {
			ms = append(ms, f.verified(t, i/8))
			ms = append(ms, plain(f.recp.Device()+"@"+testDomain, i, false))
		}
	}
	f.receive(t, ms)
	msgs, lines := f.conversation(t, f.recp.Fingerprint())
	var verified, unverified int
	for _, m := range msgs {
		if m.Verified {
			verified++
		} else {
			unverified++
		}
	}
	if verified != colleague || len(lines) != 1 || lines[0].NotKept != colleague-maxUnverifiedPerSender {
		t.Errorf("the colleague's conversation holds %d verified messages (want %d) and %d unverified; lines %+v", verified, colleague, unverified, lines)
	}
	hist, err := f.s.chatHistory(context.Background(), f.phys)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, m := range hist {
		if !m.Verified {
			total++
		}
	}
	if total != maxUnverified {
		t.Errorf("%d unverified messages kept in all, want %d", total, maxUnverified)
	}
	if n := f.storedMessages(t); n != maxUnverified+colleague {
		t.Errorf("%d messages on disk, want %d", n, maxUnverified+colleague)
	}
}

// TestBoundOrderFree: the same messages in any order, and read again (as
// the server's archive gives them back at the next connection), leave the
// same messages kept and the same counts.
func TestBoundOrderFree(t *testing.T) {
	var ms []xmpp.Message
	for i := range 700 {
		ms = append(ms, plain(fmt.Sprint("s", i%3, "@", testDomain), i, false))
	}
	// Each its own time: the order they arrive in is not the order they
	// were sent in.
	at := map[string]time.Time{}
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i, m := range ms {
		at[m.StanzaID] = base.Add(time.Duration(i) * time.Second)
	}
	outcome := func(order []xmpp.Message, again bool) string {
		f := newFloodClinic(t)
		ctx := context.Background()
		for pass := range 2 {
			for _, m := range order {
				cm := readChat(f.phys, f.devs, testRoom, testDomain, m, at[m.StanzaID])
				if _, _, err := f.s.keepChatNew(ctx, f.phys, cm); err != nil {
					t.Fatal(err)
				}
			}
			if !again || pass == 1 {
				break
			}
		}
		if err := f.s.writeChat(ctx, f.phys, nil); err != nil {
			t.Fatal(err)
		}
		f.s.forgetChat() // what is on disk, read back
		var out []string
		for i := range 3 {
			msgs, lines := f.conversation(t, fmt.Sprint(plainPrefix, "s", i, "@", testDomain))
			for _, m := range msgs {
				out = append(out, m.ID)
			}
			for _, l := range lines {
				out = append(out, l.Text)
			}
		}
		return strings.Join(out, " ")
	}
	sameInAnyOrder(t, ms, outcome, "33 more messages")
}

// sameInAnyOrder checks that outcome (what is kept and the lines of what
// was not, after receiving ms in that order, twice if again) is the same
// in order, shuffled, reversed and read twice; in order it must contain
// want.
func sameInAnyOrder[T any](t *testing.T, ms []T, outcome func(order []T, again bool) string, want string) {
	t.Helper()
	inOrder := outcome(ms, false)
	if !strings.Contains(inOrder, want) {
		t.Fatalf("in order: %.200s…", inOrder)
	}
	shuffled := slices.Clone(ms)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	reversed := slices.Clone(ms)
	slices.Reverse(reversed)
	for name, got := range map[string]string{
		"shuffled":       outcome(shuffled, false),
		"reversed":       outcome(reversed, false),
		"read twice":     outcome(ms, true),
		"shuffled twice": outcome(shuffled, true),
	} {
		if got != inOrder {
			t.Errorf("%s: the outcome differs from in order: %.80s…; in order: %.80s…", name, got, inOrder)
		}
	}
}

// writeAsBefore writes each value sealed under its name, as a version
// before this one kept them.
func (f *floodClinic) writeAsBefore(t testing.TB, values map[string]any) {
	t.Helper()
	dk := f.Phys.Core().DeviceKey()
	w := map[string][]byte{}
	for name, v := range values {
		sealed, err := sealJSON(dk, name, v)
		if err != nil {
			t.Fatal(err)
		}
		w[name] = sealed
	}
	if err := commit(context.Background(), f.phys, w); err != nil {
		t.Fatal(err)
	}
}

// TestBoundMendsOldProfile: a profile written before the bound (or by a
// flood before it) holds more unverified messages than are kept now; the
// upgrade keeps the newest when it opens the history, takes the rest off
// the disk, and says how many were not kept.
func TestBoundMendsOldProfile(t *testing.T) {
	f := newFloodClinic(t)
	// As the version before wrote them: each message its own secret.
	old := map[string]any{}
	for i := range 500 {
		cm := readChat(f.phys, f.devs, testRoom, testDomain, plain("mallory@"+testDomain, i, false), time.Unix(int64(1e9+i), 0))
		old[hashName(secretMessage, cm.Key)] = cm
	}
	f.writeAsBefore(t, old)
	msgs, lines := f.conversation(t, plainPrefix+"mallory@"+testDomain)
	if len(msgs) != maxUnverifiedPerSender || len(lines) != 1 || lines[0].NotKept != 500-maxUnverifiedPerSender ||
		!strings.HasPrefix(msgs[0].Text, "plain 300 ") {
		t.Errorf("after the upgrade: %d messages, oldest %.10q…; lines %+v", len(msgs), msgs[0].Text, lines)
	}
	if n := f.storedMessages(t); n != maxUnverifiedPerSender {
		t.Errorf("%d messages left on disk, want %d", n, maxUnverifiedPerSender)
	}
}

func fileSize(db string) int64 {
	var n int64
	for _, suf := range []string{"", "-wal"} {
		if fi, err := os.Stat(db + suf); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

// TestWaitingWritesReachDisk: received messages wait in memory for their
// batch; whatever ends the wait writes them: the next batch, the
// archive's mark (in the same transaction, never before them), the
// session locking.
func TestWaitingWritesReachDisk(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(*floodClinic) error
	}{
		{"write", func(f *floodClinic) error { return f.s.writeChat(context.Background(), f.phys, nil) }},
		{"archive mark", func(f *floodClinic) error {
			return f.s.putArchiveMark(context.Background(), f.phys, "own", "last-id")
		}},
		{"lock", func(f *floodClinic) error { f.s.forgetChat(); return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFloodClinic(t)
			ctx := context.Background()
			const n = 50
			// Held as the batch in flight would hold them: no writer runs.
			err := f.s.withCache(ctx, f.phys, func(c *chatCache) error {
				c.writing = true
				for i := range n {
					cm := readChat(f.phys, f.devs, testRoom, testDomain, f.verified(t, i), time.Now())
					if _, _, err := c.admit(cm, time.Now()); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := f.storedMessages(t); got != 0 {
				t.Fatalf("%d on disk before the write", got)
			}
			if err := tc.write(f); err != nil {
				t.Fatal(err)
			}
			if got := f.storedMessages(t); got != n {
				t.Errorf("%d of %d on disk", got, n)
			}
		})
	}
}
