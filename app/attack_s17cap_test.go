package app

// Session 17 (h-cap17): what a device no directory entry names may store
// on the clinic's workstations, over a real Kubo and Prosody.

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS17OutsiderPacksFetchedOnce: an outsider with an XMPP account
// named like a device (any account on the clinic's server) puts a pack of
// 5,000 events of its own device on Kubo and announces it, then announces
// it again. Every workstation fetched, verified and stored all of them
// (pending) before; now each stores at most the bound of a device no
// entry names, and fetches none of its announcements again.
func TestAttackS17OutsiderPacksFetchedOnce(t *testing.T) {
	const n = 5000
	ctx := context.Background()
	c := newNetClinic(t)
	ch := newOutsiderChain(t, time.Now)
	raws := [][]byte{ch.publishKey(t)}
	for range n {
		payload := make([]byte, 200)
		rand.Read(payload)
		raws = append(raws, ch.sign(t, "patient", string(roles.FrontDesk), newID(16), payload))
	}
	b, err := replica.Pack{Device: ch.device, From: 1, To: uint64(len(raws)), Envelopes: raws}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	cid, err := ipfs.New(c.kubo.API).Put(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	otto := newOutsider(t, c, ch.device, "otto")
	head := replica.Announcement{Device: ch.device, Seq: uint64(len(raws)), Hash: ch.prev, CID: cid}.String()
	otto.say(t, head)
	rows := func(s *Session) (n, bytes int) {
		r, err := s.Replica()
		if err != nil {
			t.Fatal(err)
		}
		err = r.DB().View(ctx, func(tx *store.Tx) error {
			rows, err := tx.EnvelopesAfter(ctx, ch.device, 0, -1)
			for _, e := range rows {
				n, bytes = n+1, bytes+len(e.Raw)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, bytes
	}
	sessions := []*Session{c.admin, c.recep, c.phys}
	waitFor(t, "every workstation took the outsider's pack", 60*time.Second, func() bool {
		for _, s := range sessions {
			if n, _ := rows(s); n == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second) // the rest of the pack, were it stored
	fetches := map[*Session]int64{}
	for _, s := range sessions {
		fetches[s] = c.syncer[s].Counts().Fetches
	}
	for range 2 {
		time.Sleep(1500 * time.Millisecond)
		otto.say(t, head) // said again, as every workstation does every 15 s
	}
	time.Sleep(3 * time.Second)
	for _, s := range sessions {
		n, bytes := rows(s)
		again := c.syncer[s].Counts().Fetches - fetches[s]
		t.Logf("%s: stored %d of the outsider's %d events (%d bytes of %d); %d packs fetched on his head said again",
			deviceOf(t, s), n, len(raws), bytes, len(b), again)
		if n > 16 || again > 0 {
			t.Errorf("%s stored %d of an outsider's %d events and fetched his head said again %d times: "+
				"want at most 16 stored and none fetched again", deviceOf(t, s), n, len(raws), again)
		}
	}
}
