package chat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/crypto"
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
