package xmpp_test

import (
	"strings"
	"testing"

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
