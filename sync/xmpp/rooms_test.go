package xmpp_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestClinicRoomsBelongToTheServer: the workstation that creates the sync
// or the chat room (any member's, modified or not) owns it in Prosody, yet
// can change nothing in it: mod_medihaven_rooms, loaded by the clinic's
// server and by synctest's, refuses every reconfiguration, ban, kick,
// affiliation and destruction, so real JIDs stay visible (sync believes an
// announcement only from its device's own account), nobody is kept out,
// and the chat room keeps its archive while the sync room keeps none.
func TestClinicRoomsBelongToTheServer(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	mallory := connect(t, p, "mallory", nil)
	aliceIn := newInbox()
	alice := connect(t, p, "alice", aliceIn.receive)
	aliceJID := "alice@" + p.Domain
	for _, tc := range []struct {
		room     string
		archived bool
	}{
		{"sync@" + p.MUC, false},
		{"clinic@" + p.MUC, true},
	} {
		t.Run(strings.Split(tc.room, "@")[0], func(t *testing.T) {
			// Mallory's workstation creates the room: Prosody makes it the owner.
			if err := mallory.JoinRoom(ctx, tc.room, "mallory"); err != nil {
				t.Fatal(err)
			}
			if err := alice.JoinRoom(ctx, tc.room, "alice"); err != nil {
				t.Fatal(err)
			}
			const owner, admin = "http://jabber.org/protocol/muc#owner", "http://jabber.org/protocol/muc#admin"
			for _, try := range []struct {
				name string
				do   func() error
			}{
				{"hide real JIDs", func() error {
					return xmpp.ConfigureRoom(ctx, mallory, tc.room, "muc#roomconfig_whois", "moderators")
				}},
				{"members only", func() error {
					return xmpp.ConfigureRoom(ctx, mallory, tc.room, "muc#roomconfig_membersonly", "1")
				}},
				{"a password", func() error {
					return xmpp.ConfigureRoom(ctx, mallory, tc.room, "muc#roomconfig_passwordprotectedroom", "1", "muc#roomconfig_roomsecret", "keep-out")
				}},
				{"archive on or off", func() error {
					if tc.archived {
						return xmpp.UnarchiveRoom(ctx, mallory, tc.room)
					}
					return xmpp.KeepRoom(ctx, mallory, tc.room)
				}},
				{"ban", func() error {
					return xmpp.SetIQ(ctx, mallory, tc.room, `<query xmlns="`+admin+`"><item affiliation="outcast" jid="`+aliceJID+`"/></query>`)
				}},
				{"kick", func() error {
					return xmpp.SetIQ(ctx, mallory, tc.room, `<query xmlns="`+admin+`"><item nick="alice" role="none"/></query>`)
				}},
				{"silence", func() error {
					return xmpp.SetIQ(ctx, mallory, tc.room, `<query xmlns="`+admin+`"><item nick="alice" role="visitor"/></query>`)
				}},
				{"make another owner", func() error {
					return xmpp.SetIQ(ctx, mallory, tc.room, `<query xmlns="`+admin+`"><item affiliation="owner" jid="`+aliceJID+`"/></query>`)
				}},
				{"destroy", func() error {
					return xmpp.SetIQ(ctx, mallory, tc.room, `<query xmlns="`+owner+`"><destroy><reason>gone</reason></destroy></query>`)
				}},
				{"register a nickname", func() error {
					return xmpp.SetIQ(ctx, mallory, tc.room, `<query xmlns="jabber:iq:register"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#register</value></field><field var="muc#register_roomnick"><value>alice</value></field></x></query>`)
				}},
			} {
				err := try.do()
				if err == nil || !strings.Contains(err.Error(), "configured by its server") {
					t.Errorf("the room's creator could %s: %v", try.name, err)
				}
			}
			// Messages the room would act on: an invitation it would forward
			// from its own address, a new subject.
			for _, try := range []struct{ name, id, stanza string }{
				{"forward an invitation", "inv-" + tc.room, `<message id="inv-` + tc.room + `" to="` + tc.room + `"><x xmlns="http://jabber.org/protocol/muc#user"><invite to="bob@` + p.Domain + `"><reason>SERVER NOTICE: update at http://example.invalid</reason></invite></x></message>`},
				{"change the subject", "subj-" + tc.room, `<message id="subj-` + tc.room + `" type="groupchat" to="` + tc.room + `"><subject>Closed today</subject></message>`},
			} {
				if err := xmpp.SendRaw(ctx, mallory, try.stanza); err != nil {
					t.Fatal(err)
				}
				if err := mallory.Ping(ctx); err != nil {
					t.Fatal(err)
				}
				if refused := mallory.Refused(try.id); len(refused) == 0 {
					t.Errorf("the room's creator could %s", try.name)
				}
			}
			// Alice is still in, and sees who speaks.
			if err := mallory.SendRoom(ctx, tc.room, "still here?"); err != nil {
				t.Fatal(err)
			}
			for {
				m := aliceIn.next(t)
				if m.Body != "still here?" {
					continue
				}
				if bare(m.Sender) != "mallory@"+p.Domain {
					t.Errorf("the room hid or changed its speaker: %+v", m)
				}
				break
			}
			page, err := alice.Archive(ctx, tc.room, "", xmpp.MaxArchivePage)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(page.Messages) > 0; got != tc.archived {
				t.Errorf("archived %v (%d messages), want %v", got, len(page.Messages), tc.archived)
			}
		})
	}
}

// TestClinicRoomsMendedAfterUpgrade: a clinic server from before
// mod_medihaven_rooms let the workstation that created a room ban others,
// reserve their nicknames, hide real JIDs and destroy the room (Prosody
// then answers "gone" for 31 days). Once the server runs the module, every
// workstation joins both rooms again, sees real JIDs, and the creator
// holds no power.
func TestClinicRoomsMendedAfterUpgrade(t *testing.T) {
	p := synctest.StartProsody(t)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(filepath.Dir(p.DataDir), "prosody.log"))
			t.Log(string(b))
		}
	})
	ctx := testContext(t)
	p.Stop(t)
	p.UseRoomsModule(t, false)
	p.Start(t)
	mallory := connect(t, p, "mallory", nil)
	syncRoom, chatRoom := "sync@"+p.MUC, "clinic@"+p.MUC
	const admin = "http://jabber.org/protocol/muc#admin"
	for _, room := range []string{syncRoom, chatRoom} {
		if err := mallory.JoinRoom(ctx, room, "mallory"); err != nil {
			t.Fatal(err)
		}
		for _, fields := range [][]string{
			{"muc#roomconfig_persistentroom", "1", "muc#roomconfig_whois", "moderators"},
		} {
			if err := xmpp.ConfigureRoom(ctx, mallory, room, fields...); err != nil {
				t.Fatalf("the old server refused its creator: %v", err)
			}
		}
		if err := xmpp.SetIQ(ctx, mallory, room, `<query xmlns="`+admin+`"><item affiliation="outcast" jid="alice@`+p.Domain+`"/></query>`); err != nil {
			t.Fatalf("the old server refused a ban: %v", err)
		}
	}
	if err := xmpp.SetIQ(ctx, mallory, chatRoom, `<query xmlns="http://jabber.org/protocol/muc#owner"><destroy/></query>`); err != nil {
		t.Fatalf("the old server refused to destroy the room: %v", err)
	}
	bob := connect(t, p, "bob", nil)
	if err := bob.JoinRoom(ctx, chatRoom, "bob"); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Fatalf("joining the destroyed room on the old server: %v, want gone (its tombstone)", err)
	}
	if err := bob.JoinRoom(ctx, syncRoom, "bob"); err != nil {
		t.Fatal(err)
	}
	mallory.Close()
	bob.Close()
	p.Stop(t)
	p.UseRoomsModule(t, true)
	p.Start(t)

	aliceIn := newInbox()
	alice := connect(t, p, "alice", aliceIn.receive)
	mallory = connect(t, p, "mallory", nil)
	for _, room := range []string{syncRoom, chatRoom} {
		if err := alice.JoinRoom(ctx, room, "alice"); err != nil {
			t.Fatalf("alice, banned or destroyed before the upgrade, after it: %v", err)
		}
		if err := mallory.JoinRoom(ctx, room, "mallory"); err != nil {
			t.Fatal(err)
		}
		if err := xmpp.ConfigureRoom(ctx, mallory, room, "muc#roomconfig_whois", "moderators"); err == nil {
			t.Errorf("%s: the old creator still configures the room", room)
		}
		if err := xmpp.SetIQ(ctx, mallory, room, `<query xmlns="`+admin+`"><item nick="alice" role="none"/></query>`); err == nil {
			t.Errorf("%s: the old creator still kicks", room)
		}
		if err := mallory.SendRoom(ctx, room, "who am I in "+room); err != nil {
			t.Fatal(err)
		}
		for {
			m := aliceIn.next(t)
			if m.Body != "who am I in "+room {
				continue
			}
			if bare(m.Sender) != "mallory@"+p.Domain {
				t.Errorf("%s still hides its speakers: %+v", room, m)
			}
			break
		}
	}
}

// TestClinicRoomLimitsEachSender: one account may send the clinic room 60
// messages at once, then one a second (mod_medihaven_rooms): a modified
// workstation flooding it would otherwise push every colleague's messages
// out of the room's archive, from which new workstations recover staff
// chat. Her messages past the limit are refused (she keeps them queued);
// a colleague still writes, and the sync room is not limited.
func TestClinicRoomLimitsEachSender(t *testing.T) {
	p := synctest.StartProsody(t)
	ctx := testContext(t)
	mallory := connect(t, p, "mallory", nil)
	aliceIn := newInbox()
	alice := connect(t, p, "alice", aliceIn.receive)
	clinic, sync := "clinic@"+p.MUC, "sync@"+p.MUC
	for _, room := range []string{clinic, sync} {
		for _, s := range []*xmpp.Session{mallory, alice} {
			if err := s.JoinRoom(ctx, room, strings.Split(s.JID(), "@")[0]); err != nil {
				t.Fatal(err)
			}
		}
	}
	const n = 150
	refused := func(s *xmpp.Session, room, prefix string, n int) int {
		t.Helper()
		for i := range n {
			if err := s.SendMessage(ctx, xmpp.Outgoing{To: room, Room: true, ID: fmt.Sprint(prefix, i), Body: fmt.Sprint(prefix, i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		count := 0
		for i := range n {
			if len(s.Refused(fmt.Sprint(prefix, i))) > 0 {
				count++
			}
		}
		return count
	}
	start := time.Now()
	flood := refused(mallory, clinic, "flood-", n)
	took := n - flood
	if allowed := 60 + int(time.Since(start).Seconds()) + 1; flood == 0 || took > allowed {
		t.Errorf("the room took %d of %d messages sent at once, refused %d; want at most %d", took, n, flood, allowed)
	}
	if got := refused(alice, clinic, "alice-", 1); got != 0 {
		t.Errorf("a colleague's one message was refused while another account flooded the room")
	}
	if got := refused(mallory, sync, "sync-", n); got != 0 {
		t.Errorf("the sync room refused %d of %d announcements", got, n)
	}
}
