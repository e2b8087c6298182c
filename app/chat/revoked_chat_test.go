package chat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestRevokedMembersRoomMessagesAreNotVerified (sec-s15b G1): a revoked
// physician keeps her XMPP account until an administrator's workstation
// is online (always, on an open-registration server) and writes, after
// her revocation, into the clinic room. Her message must not be shown as
// a colleague's verified word under her name, unmarked: she is no longer
// staff. (A one-to-one message of hers lands in a conversation titled
// "NAME (left the clinic)": visible, so only the room is asserted.)
func TestRevokedMembersRoomMessagesAreNotVerified(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	if err := c.Admin.RevokeMember(ctx, c.Phys2.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.Admin, c.Recep, c.Phys); err != nil {
		t.Fatal(err)
	}
	phys, err := c.Phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	gone, err := c.Phys2.Replica()
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := phys.Member(gone.Fingerprint()); !ok || m.Active() {
		t.Fatalf("the physician's workstation does not see the revocation: %+v", m)
	}
	const domain, room = "clinic.test", "clinic@rooms.clinic.test"
	devs := staffDevices{member: map[string]string{phys.Device(): phys.Fingerprint(), gone.Device(): gone.Fingerprint()}}
	goneAddr := gone.Device() + "@" + domain
	for _, tc := range []struct {
		name string
		room bool
		to   string
	}{
		{"into the room", true, Room},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := json.Marshal(chatPayload{V: 1, ID: "late-" + tc.name, From: gone.Fingerprint(), To: tc.to,
				Text: "Stop the warfarin for MH0000001 today.", MRN: "MH0000001", At: 99000})
			ct, err := crypto.EncryptToMany(p, gone.Identity(), phys.Identity().Public(), gone.Identity().Public())
			if err != nil {
				t.Fatal(err)
			}
			m := xmpp.Message{Room: tc.room, Sender: goneAddr, From: goneAddr + "/ws", To: phys.Device() + "@" + domain,
				Body: wire + base64.StdEncoding.EncodeToString(ct), ID: tc.name, StanzaID: tc.name}
			if tc.room {
				m.From = room + "/" + gone.Device()
			}
			got := readChat(phys, devs, room, domain, m, time.Unix(100, 0))
			if got.Key == "" {
				return // not kept at all: fine
			}
			if got.Verified || got.Problem == "" {
				t.Errorf("a revoked member's message written after her revocation is shown verified under %q (problem %q): %+v",
					got.FromName, got.Problem, got.Message)
			}
		})
	}
}

// TestQueuedChatIsNotSentToAColleagueRevokedMeanwhile (sec-s15b, LOW): a
// message waits queued while its workstation is offline. A colleague
// revoked before it goes out must not be able to read it: a room message
// is sealed again for the colleagues active then, a one-to-one message to
// her is not sent at all and says so, and a message whose readers are all
// still active goes as it was written.
func TestQueuedChatIsNotSentToAColleagueRevokedMeanwhile(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	if err := app.SyncLocal(ctx, c.Admin, c.Recep, c.Phys, c.Phys2); err != nil {
		t.Fatal(err)
	}
	svc := New(c.Phys.Core())
	texts := map[string]string{
		Room:                  "Room: the Quillfeather results for MH0000001 are in",
		c.Phys2.Fingerprint(): "For Petra only: call the Quillfeather family",
		c.Recep.Fingerprint(): "Please book MH0000001 for Friday",
	}
	for conv, text := range texts {
		m, err := svc.Send(ctx, conv, text, "")
		if err != nil {
			t.Fatal(err)
		}
		if !m.Queued {
			t.Fatalf("sent while offline: %+v", m)
		}
	}
	r, err := c.Phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	before, err := svc.chatQueue(ctx, r)
	if err != nil || len(before) != 3 {
		t.Fatalf("queued %d, %v; want 3", len(before), err)
	}

	if err := c.Admin.RevokeMember(ctx, c.Phys2.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.Admin, c.Phys); err != nil {
		t.Fatal(err)
	}
	gone, err := c.Phys2.Replica()
	if err != nil {
		t.Fatal(err)
	}
	recep, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	opens := func(who *replica.Replica, body string) bool {
		ct, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(body, wire))
		if err != nil {
			t.Fatal(err)
		}
		_, err = who.Identity().OpenSigned(ct, r.Identity().Public())
		return err == nil
	}
	for _, e := range before {
		got, send, err := svc.sealedForNow(ctx, r, e)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case e.Room:
			if !send || opens(gone, got.Body) || !opens(recep, got.Body) || slices.Contains(got.To, gone.Fingerprint()) {
				t.Errorf("room message: send %v, the revoked colleague opens it %v, the receptionist %v, readers %v",
					send, opens(gone, got.Body), opens(recep, got.Body), got.To)
			}
			if !opens(gone, e.Body) {
				t.Errorf("the set-up: the message queued before the revocation was not sealed to her")
			}
			again, _, err := svc.sealedForNow(ctx, r, got)
			if err != nil || again.Body != got.Body {
				t.Errorf("sealed a second time though nobody changed: %v", err)
			}
		case send && got.Body != e.Body:
			t.Errorf("a one-to-one message to an active colleague was sealed again")
		}
	}
	q, err := svc.chatQueue(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, e := range q {
		left[e.Key] = true
	}
	for conv, text := range texts {
		var m Message
		for _, h := range history(t, c.Phys, conv) {
			if h.Text == text {
				m = h
			}
		}
		revoked := conv == c.Phys2.Fingerprint()
		switch {
		case m.Text == "":
			t.Errorf("%q is no longer in the history", text)
		case revoked && (m.Queued || m.NotSent == "" || left[chatKey(r.Fingerprint(), m.ID)]):
			t.Errorf("the message to the revoked colleague: queued %v, not sent %q", m.Queued, m.NotSent)
		case !revoked && (!m.Queued || m.NotSent != ""):
			t.Errorf("%q: queued %v, not sent %q; want still queued", text, m.Queued, m.NotSent)
		}
	}
	if n, err := svc.Waiting(ctx); err != nil || n != 2 {
		t.Errorf("%d waiting, %v; want 2", n, err)
	}
}
