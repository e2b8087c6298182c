package netsync

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestAttackS18dAccountFloodsLanes: Nina's entry names her workstation's
// random (legacy) device id X, so her XMPP account X speaks for every id
// bound to her key (replica.SpeaksFor: the moved chain keeps its
// account). Her modified software announces, from X, heads of more ids
// bound to her key than the fetcher keeps lanes for (each id's salt is
// hers to pick; nothing stands behind the heads), as the chains' own
// account: every lane fills with heads nobody can fetch, each tried
// maxHeadTries times, and the head of a colleague's workstation heard
// meanwhile is dropped. Before the move one account filled one lane.
func TestAttackS18dAccountFloodsLanes(t *testing.T) {
	ctx := context.Background()
	_, _, ss := newClinic(t, 1)
	founder := ss[0]
	x := crypto.NewEventID() // her workstation's random id, and its account
	nina := admitPhysician(t, founder, "Nina Newcomer", x)
	y := &Syncer{ws: founder, cfg: Config{Domain: "clinic.test"}, ctx: ctx, heard: make(chan heardHead, 4*maxLanes), again: make(chan struct{}, 1)}
	say := func(account, device string, seq uint64) {
		a := replica.Announcement{Device: device, Seq: seq, Hash: strings.Repeat("ab", 32), CID: fmt.Sprintf("bafkreifake%08d", seq)}
		y.onMessage(xmpp.Message{Room: true, Type: "groupchat", From: y.room() + "/" + account, Sender: account + "@" + y.cfg.Domain, Body: a.String()})
	}
	for i := range 2 * maxLanes {
		say(x, crypto.NewDeviceID(nina.Fingerprint()), uint64(i+1))
	}
	colleague := crypto.NewEventID()
	say(colleague, colleague, 7)
	lanes := map[string]*lane{}
	for len(y.heard) > 0 {
		y.enqueue(lanes, <-y.heard)
	}
	if lanes[colleague] == nil {
		t.Errorf("a colleague's head is dropped: %d lanes hold heads account %s announced for ids bound to Nina's key", len(lanes)-1, x[:8])
	}
}
