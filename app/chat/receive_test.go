package chat

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestReadChatRoomSenderNotBelieved: in a room whose archive kept only
// what the speaker wrote (a room configured to hide real addresses by a
// hostile member who created it), a message can name any account as its
// sender. Such a message that does not verify as that member's is never
// shown as the reader's own, nor under a member's name.
func TestReadChatRoomSenderNotBelieved(t *testing.T) {
	c := apptest.NewClinic(t)
	phys, err := c.Phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	recep, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	const domain, room = "clinic.test", "clinic@rooms.clinic.test"
	devs := staffDevices{member: map[string]string{phys.Device(): phys.Fingerprint(), recep.Device(): recep.Fingerprint()}}
	// Signed by the receptionist, for the room, claiming to be the physician's.
	p, _ := json.Marshal(chatPayload{V: 1, ID: "forged1", From: phys.Fingerprint(), To: Room, Text: "Stop the warfarin.", At: 1})
	ct, err := crypto.EncryptToMany(p, recep.Identity(), phys.Identity().Public(), recep.Identity().Public())
	if err != nil {
		t.Fatal(err)
	}
	// Signed by the receptionist as herself: the real thing, for contrast.
	own, _ := json.Marshal(chatPayload{V: 1, ID: "real1", From: recep.Fingerprint(), To: Room, Text: "Room 2 is free.", At: 2})
	ownCT, err := crypto.EncryptToMany(own, recep.Identity(), phys.Identity().Public(), recep.Identity().Public())
	if err != nil {
		t.Fatal(err)
	}
	physAddr := phys.Device() + "@" + domain
	enc := func(b []byte) string { return wire + base64.StdEncoding.EncodeToString(b) }
	for _, tc := range []struct {
		name, sender, body string
		kept, verified     bool
	}{
		{"signed by another member", physAddr, enc(ct), true, false},
		{"not encrypted", physAddr, "Stop the warfarin.", true, false},
		{"the real sender", recep.Device() + "@" + domain, enc(ownCT), true, true},
		// Unreadable room messages are taken for ones written before this
		// member joined, and not kept.
		{"damaged", physAddr, enc([]byte("not an OpenPGP message")), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := xmpp.Message{Room: true, From: room + "/" + phys.Device(), Sender: tc.sender, Body: tc.body, ID: tc.name, StanzaID: tc.name}
			got := readChat(phys, devs, room, domain, m, time.Unix(100, 0))
			if kept := got.Key != ""; kept != tc.kept {
				t.Fatalf("kept %v, want %v: %+v", kept, tc.kept, got)
			}
			if got.Verified != tc.verified {
				t.Fatalf("verified %v, want %v: %+v", got.Verified, tc.verified, got)
			}
			if !tc.kept || tc.verified {
				return
			}
			if got.Mine || got.FromName == c.Phys.StaffName() || got.Problem == "" {
				t.Errorf("shown as the physician's own, or unmarked: %+v", got)
			}
		})
	}
}
