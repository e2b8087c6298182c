package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// netClinic is the test clinic on the real clock, its workstations
// syncing, each with its chat, over a real Kubo and a real Prosody.
type netClinic struct {
	*apptest.Clinic
	*apptest.Net
}

// clinicOnNet is the clinic and its servers, no sync started yet: every
// workstation knows the others, none has connected.
func clinicOnNet(t testing.TB) *netClinic {
	t.Helper()
	c := &netClinic{apptest.NewLiveClinic(t), apptest.NewNet(t)}
	c.Chat = func(s *app.Session) netsync.Chat { return New(s.Core()).SyncHooks() }
	return c
}

// newNetClinic starts the syncs of the administrator, the receptionist
// and the first physician; the second physician's workstation has not
// connected yet.
func newNetClinic(t testing.TB) *netClinic {
	t.Helper()
	c := clinicOnNet(t)
	for _, s := range []*app.Session{c.Admin, c.Recep, c.Phys} {
		c.Start(t, s)
	}
	return c
}

var waitFor = apptest.WaitFor

// outsider logs in to the clinic's chat server with a plain XMPP client,
// as an account user outside the staff directory made there; it returns
// the session and the account's address.
func outsider(ctx context.Context, t testing.TB, c *netClinic, user string) (*xmpp.Session, string) {
	t.Helper()
	addr := c.XMPP.Register(t, user, user+"-password")
	xs, err := xmpp.Dial(ctx, xmpp.Config{JID: addr, Password: user + "-password", Addr: c.XMPP.Addr, TLS: c.XMPP.TLSConfig()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { xs.Close() })
	return xs, addr
}

// history returns s's messages in conversation, failing the test on error.
func history(t testing.TB, s *app.Session, conversation string) []Message {
	t.Helper()
	h, err := New(s.Core()).History(context.Background(), conversation)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// waitChat waits until s holds a message with text in conversation and
// returns it; it fails if the text is there more than once.
func waitChat(t testing.TB, s *app.Session, conversation, text string) Message {
	t.Helper()
	var found []Message
	waitFor(t, s.StaffName()+" receiving "+text, 20*time.Second, func() bool {
		found = found[:0]
		for _, m := range history(t, s, conversation) {
			if m.Text == text {
				found = append(found, m)
			}
		}
		return len(found) > 0
	})
	if len(found) != 1 {
		t.Fatalf("%s holds %q %d times", s.StaffName(), text, len(found))
	}
	return found[0]
}

func sendChat(t testing.TB, s *app.Session, conversation, text, mrn string) Message {
	t.Helper()
	m, err := New(s.Core()).Send(context.Background(), conversation, text, mrn)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// waitOnline waits until s's chat is connected and in the clinic room.
func waitOnline(t testing.TB, ss ...*app.Session) {
	t.Helper()
	for _, s := range ss {
		waitFor(t, s.StaffName()+" online in the chat", 20*time.Second, func() bool {
			c := New(s.Core())
			cs, err := c.Conversations(context.Background())
			return err == nil && c.Online() && cs[0].Presence == PresenceOnline
		})
	}
}

func TestChatNetwork(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	top := t // syncers restarted in subtests live until the whole test ends
	recep, phys, admin := c.Recep, c.Phys, c.Admin
	waitOnline(t, recep, phys, admin)
	var secrets []string // texts that must never reach the server in clear

	t.Run("one to one, both ways", func(t *testing.T) {
		text := "Mrs Gallimaufry is here for MH0012345, room 2"
		secrets = append(secrets, text)
		sent := sendChat(t, recep, phys.Fingerprint(), text, "MH0012345")
		if !sent.Mine || !sent.Verified {
			t.Errorf("sent = %+v", sent)
		}
		got := waitChat(t, phys, recep.Fingerprint(), text)
		if !got.Verified || got.Problem != "" || got.From != recep.Fingerprint() || got.FromName != recep.StaffName() || got.MRN != "MH0012345" || !got.Unread {
			t.Errorf("physician received %+v", got)
		}
		reply := "Thanks, calling her in — Quixotic"
		secrets = append(secrets, reply)
		sendChat(t, phys, recep.Fingerprint(), reply, "")
		back := waitChat(t, recep, phys.Fingerprint(), reply)
		if !back.Verified || back.Mine {
			t.Errorf("receptionist received %+v", back)
		}
		// Unread counts and marking read.
		cs, err := New(phys.Core()).Conversations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, cv := range cs {
			if cv.ID == recep.Fingerprint() && (cv.Unread != 1 || cv.Presence != PresenceOnline || cv.Last == nil || cv.Last.Text != reply) {
				t.Errorf("physician's conversation with reception: %+v", cv)
			}
		}
		if err := New(phys.Core()).MarkRead(ctx, recep.Fingerprint()); err != nil {
			t.Fatal(err)
		}
		cs, _ = New(phys.Core()).Conversations(ctx)
		for _, cv := range cs {
			if cv.Unread != 0 {
				t.Errorf("after reading: %s has %d unread", cv.Title, cv.Unread)
			}
		}
	})

	t.Run("clinic room", func(t *testing.T) {
		text := "Staff meeting at noon about the Zyzzyva audit"
		secrets = append(secrets, text)
		sendChat(t, admin, Room, text, "")
		for _, s := range []*app.Session{recep, phys, admin} {
			m := waitChat(t, s, Room, text)
			if !m.Verified || m.From != admin.Fingerprint() || m.Mine != (s == admin) {
				t.Errorf("%s: room message %+v", s.StaffName(), m)
			}
		}
		answer := "Noted, the Zyzzyva folder is ready"
		secrets = append(secrets, answer)
		sendChat(t, phys, Room, answer, "")
		waitChat(t, admin, Room, answer)
		waitChat(t, recep, Room, answer)
	})

	t.Run("presence", func(t *testing.T) {
		if err := New(phys.Core()).SetAway(ctx, true); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "physician shown away", 10*time.Second, func() bool { return presenceOf(t, recep, phys.Fingerprint()) == PresenceAway })
		if err := New(phys.Core()).SetAway(ctx, false); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "physician shown online", 10*time.Second, func() bool { return presenceOf(t, recep, phys.Fingerprint()) == PresenceOnline })
	})

	t.Run("offline delivery and queue", func(t *testing.T) {
		c.Syncers[phys].Stop()
		waitFor(t, "physician shown offline", 10*time.Second, func() bool { return presenceOf(t, recep, phys.Fingerprint()) == PresenceOffline })
		toAbsent := "While you were out: Pemberton called"
		fromAbsent := "Written offline: renew the Pemberton order"
		secrets = append(secrets, toAbsent, fromAbsent)
		sendChat(t, recep, phys.Fingerprint(), toAbsent, "")
		queued := sendChat(t, phys, recep.Fingerprint(), fromAbsent, "")
		if !queued.Queued {
			t.Errorf("a message written offline is not queued: %+v", queued)
		}
		if n, _ := New(phys.Core()).Waiting(ctx); n != 1 {
			t.Errorf("%d messages waiting, want 1", n)
		}
		c.Start(top, phys)
		waitChat(t, phys, recep.Fingerprint(), toAbsent)
		waitChat(t, recep, phys.Fingerprint(), fromAbsent)
		waitFor(t, "the queue empty", 10*time.Second, func() bool { n, _ := New(phys.Core()).Waiting(ctx); return n == 0 })
		for _, m := range history(t, phys, recep.Fingerprint()) {
			if m.Queued {
				t.Errorf("still marked queued after sending: %+v", m)
			}
		}
	})

	t.Run("server restart", func(t *testing.T) {
		c.XMPP.Stop(t)
		waitFor(t, "chat offline", 10*time.Second, func() bool { return !New(recep.Core()).Online() })
		during := "Sent while the server was down: Ozymandias file"
		secrets = append(secrets, during)
		m := sendChat(t, recep, Room, during, "")
		if !m.Queued {
			t.Errorf("not queued while the server is down: %+v", m)
		}
		c.XMPP.Start(t)
		waitOnline(t, recep, phys)
		for _, s := range []*app.Session{phys, admin, recep} {
			waitChat(t, s, Room, during)
		}
		after := "After the restart: all well"
		sendChat(t, phys, recep.Fingerprint(), after, "")
		waitChat(t, recep, phys.Fingerprint(), after)
		// Nothing lost or duplicated anywhere.
		for _, s := range []*app.Session{phys, recep} {
			seen := map[string]bool{}
			for _, conv := range []string{Room, recep.Fingerprint(), phys.Fingerprint()} {
				for _, m := range history(t, s, conv) {
					if seen[m.Conversation+m.Text] {
						t.Errorf("%s holds %q twice", s.StaffName(), m.Text)
					}
					seen[m.Conversation+m.Text] = true
				}
			}
		}
	})

	t.Run("plain message from an ordinary client", func(t *testing.T) {
		addr := c.XMPP.Register(t, "outsider", "outsider-password")
		out, err := xmpp.Dial(ctx, xmpp.Config{JID: addr, Password: "outsider-password", Addr: c.XMPP.Addr, TLS: c.XMPP.TLSConfig()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		rp, _ := phys.Replica()
		to := rp.Device() + "@" + c.XMPP.Domain
		if err := out.Send(ctx, to, "hello, this is the lab"); err != nil {
			t.Fatal(err)
		}
		// A message in Medihaven's wire form that no staff key signed.
		if err := out.Send(ctx, to, wire+"bm90IGEgcGdwIG1lc3NhZ2U="); err != nil {
			t.Fatal(err)
		}
		conv := plainPrefix + "outsider@" + c.XMPP.Domain
		m := waitChat(t, phys, conv, "hello, this is the lab")
		if m.Verified || m.Problem != problemPlain || m.From != "" || m.FromName != "outsider@"+c.XMPP.Domain {
			t.Errorf("plain message shown as %+v", m)
		}
		waitFor(t, "the forged message kept", 10*time.Second, func() bool { return len(history(t, phys, conv)) == 2 })
		for _, m := range history(t, phys, conv) {
			if m.Verified {
				t.Errorf("verified: %+v", m)
			}
		}
		cs, _ := New(phys.Core()).Conversations(ctx)
		if last := cs[len(cs)-1]; last.ID != conv || last.Unread != 2 {
			t.Errorf("outsider's conversation: %+v", last)
		}
	})

	t.Run("history recovered from the archive", func(t *testing.T) {
		before := map[string]int{}
		for _, conv := range []string{Room, recep.Fingerprint()} {
			before[conv] = len(history(t, phys, conv))
		}
		c.Syncers[phys].Stop()
		// A new workstation of the same account: no local history at all.
		r, _ := phys.Replica()
		err := r.DB().Update(ctx, func(tx *store.Tx) error {
			rows, err := tx.SecretsWithPrefix(ctx, "chat/")
			for name := range rows {
				if err := tx.DeleteSecret(ctx, name); err != nil {
					return err
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if h := history(t, phys, Room); len(h) != 0 {
			t.Fatalf("history not wiped: %d", len(h))
		}
		c.Start(top, phys)
		for conv, n := range before {
			waitFor(t, "history recovered", 20*time.Second, func() bool { return len(history(t, phys, conv)) == n })
			for _, m := range history(t, phys, conv) {
				if !m.Verified {
					t.Errorf("recovered %q unverified: %s", m.Text, m.Problem)
				}
			}
		}
		mine := waitChat(t, phys, recep.Fingerprint(), "Thanks, calling her in — Quixotic")
		if !mine.Mine || mine.Queued {
			t.Errorf("own message recovered as %+v", mine)
		}
	})

	t.Run("no plaintext on the server", func(t *testing.T) {
		err := filepath.WalkDir(c.XMPP.DataDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, s := range secrets {
				for _, word := range []string{s, "Gallimaufry", "Quixotic", "Zyzzyva", "Pemberton", "Ozymandias", "MH0012345"} {
					if bytes.Contains(b, []byte(word)) {
						t.Errorf("%s holds %q in clear", path, word)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The archive does hold the messages, as ciphertext.
		found := false
		filepath.WalkDir(c.XMPP.DataDir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.Contains(path, "archive") {
				b, _ := os.ReadFile(path)
				found = found || bytes.Contains(b, []byte("mh1chat "))
			}
			return nil
		})
		if !found {
			t.Error("no encrypted chat message found in the server's archive files")
		}
	})

	for s, y := range c.Syncers {
		if ps := y.Problems(); len(ps) > 0 {
			t.Errorf("%s: sync problems: %v", s.StaffName(), ps)
		}
	}
}

// TestChatToWorkstationNeverConnected: a message to a colleague whose
// workstation has never connected (so its chat account does not exist and
// the server refuses the message) stays queued on the sender's workstation
// as waiting for them, and reaches them exactly once when they connect.
func TestChatToWorkstationNeverConnected(t *testing.T) {
	ctx := context.Background()
	c := clinicOnNet(t)
	recep, phys, absent := c.Recep, c.Phys, c.Phys2
	c.Start(t, recep)
	c.Start(t, phys)
	waitOnline(t, recep, phys)

	text := "Lab results for MH0054321 are in; Flibbertigibbet on line 2"
	if m := sendChat(t, recep, absent.Fingerprint(), text, "MH0054321"); !m.Queued {
		t.Errorf("a message just sent is shown sent before the server answered: %+v", m)
	}
	waitFor(t, "the refusal noted", 10*time.Second, func() bool {
		h := history(t, recep, absent.Fingerprint())
		return len(h) == 1 && h[0].WaitingFor != ""
	})
	if h := history(t, recep, absent.Fingerprint()); !h[0].Queued || h[0].WaitingFor != absent.StaffName() {
		t.Errorf("a message the server refused: Queued %v, WaitingFor %q; want queued, waiting for %s", h[0].Queued, h[0].WaitingFor, absent.StaffName())
	}
	if n, _ := New(recep.Core()).Waiting(ctx); n != 1 {
		t.Errorf("%d messages waiting, want 1", n)
	}
	// Others are not held up by it.
	sendChat(t, recep, phys.Fingerprint(), "Room 3 is free", "")
	waitChat(t, phys, recep.Fingerprint(), "Room 3 is free")
	waitFor(t, "the message to a connected colleague shown sent", 10*time.Second, func() bool {
		return !queuedIn(t, recep, phys.Fingerprint(), "Room 3 is free")
	})
	if h := history(t, recep, absent.Fingerprint()); len(h) != 1 || !h[0].Queued || h[0].WaitingFor != absent.StaffName() {
		t.Errorf("reception's history with the absent colleague: %+v", h)
	}

	c.Start(t, absent) // its first connection: the account is created
	got := waitChat(t, absent, recep.Fingerprint(), text)
	if !got.Verified || got.MRN != "MH0054321" {
		t.Errorf("received %+v", got)
	}
	waitFor(t, "reception's queue empty", 10*time.Second, func() bool { n, _ := New(recep.Core()).Waiting(ctx); return n == 0 })
	if h := history(t, recep, absent.Fingerprint()); len(h) != 1 || h[0].Queued || h[0].WaitingFor != "" {
		t.Errorf("after delivery, reception's history: %+v", h)
	}
	// Exactly once, also after a reconnection reads the archive again.
	c.Syncers[absent].Stop()
	c.Start(t, absent)
	waitOnline(t, absent)
	sendChat(t, absent, recep.Fingerprint(), "Thanks, got it", "")
	waitChat(t, recep, absent.Fingerprint(), "Thanks, got it")
	waitChat(t, absent, recep.Fingerprint(), text)
}

func presenceOf(t testing.TB, s *app.Session, fp string) string {
	t.Helper()
	cs, err := New(s.Core()).Conversations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.ID == fp {
			return c.Presence
		}
	}
	return ""
}

// TestChatHistoryAcrossLock: the opened history leaves memory when the
// session locks and is read back from the store after unlocking, with
// messages still queued shown so.
func TestChatHistoryAcrossLock(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t) // no chat server: messages wait
	text := "Call the Fotheringay family back"
	m := sendChat(t, c.Recep, c.Phys.Fingerprint(), text, "")
	if !m.Queued || m.WaitingFor != "" {
		t.Errorf("written offline: %+v", m)
	}
	if h := history(t, c.Recep, c.Phys.Fingerprint()); len(h) != 1 || !h[0].Queued {
		t.Fatalf("history before locking: %+v", h)
	}
	c.Recep.Lock()
	if l := New(c.Recep.Core()).link(); l.hist != nil {
		t.Error("the opened chat history is still in memory after locking")
	}
	if _, err := New(c.Recep.Core()).History(ctx, c.Phys.Fingerprint()); !errors.Is(err, app.ErrLocked) {
		t.Errorf("History while locked: %v, want ErrLocked", err)
	}
	if err := c.Recep.Unlock(ctx, []byte(apptest.Passphrase)); err != nil {
		t.Fatal(err)
	}
	if h := history(t, c.Recep, c.Phys.Fingerprint()); len(h) != 1 || h[0].Text != text || !h[0].Queued {
		t.Errorf("history after unlocking: %+v", h)
	}
	if n, _ := New(c.Recep.Core()).Waiting(ctx); n != 1 {
		t.Errorf("%d waiting after unlocking, want 1", n)
	}
}

// TestChatRoomCrossingOverTheNetwork: the receptionist and the physician
// write in the clinic room at the same time, over real Prosody, so that
// messages cross (written before the other's arrived; not every run
// crosses: TestChatRoomCrossingOrder forces it off the network). Both read
// the room in one order, each message once.
func TestChatRoomCrossingOverTheNetwork(t *testing.T) {
	c := newNetClinic(t)
	waitOnline(t, c.Recep, c.Phys)
	const n = 8
	errs := make(chan error, 2*n)
	for _, s := range []*app.Session{c.Recep, c.Phys} {
		go func() {
			chat := New(s.Core())
			for i := range n {
				_, err := chat.Send(context.Background(), Room, fmt.Sprintf("%s, message %d", s.StaffName(), i), "")
				errs <- err
			}
		}()
	}
	for range 2 * n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	order := func(s *app.Session) []string {
		var out []string
		for _, m := range history(t, s, Room) {
			out = append(out, m.Text)
		}
		return out
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, p := order(c.Recep), order(c.Phys)
		if len(r) == 2*n && fmt.Sprint(r) == fmt.Sprint(p) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receptionist reads the room as\n%q\nthe physician as\n%q", r, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
