package netsync

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestGapAskedAtAHugeSeqReturnsAtOnce (h-sec15e F2): an
// outsider with an account on the clinic's XMPP server (its localpart a
// device id of its choosing) puts on IPFS a pack of that device naming no
// previous pack, holding one envelope it signed at seq 2^40, and announces
// it. Every workstation fetches it, keeps the envelope pending (its author
// is unknown) and, since session 15, asks for the gap below it: missing
// walks down from 2^40 one read at a time, in one read transaction, so the
// fetch worker never comes back (and the WAL cannot be checkpointed past
// that reader). A garbage block announced at a huge seq reaches the same
// loop. The worker should be back at once.
func TestGapAskedAtAHugeSeqReturnsAtOnce(t *testing.T) {
	founder, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	here := newStation(t, founder)
	outsider, err := crypto.GenerateIdentity("Olga Outsider")
	if err != nil {
		t.Fatal(err)
	}
	dev := crypto.NewEventID()
	const top = 1 << 40
	h := crypto.Header{ID: crypto.NewEventID(), Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk",
		Author: outsider.Fingerprint(), Device: dev, Seq: top, Lamport: 1, Time: time.Now().UnixMilli(),
		Prev: "0000000000000000000000000000000000000000000000000000000000000000"}
	k, _ := crypto.NewScopeKey("frontdesk", 1)
	h.Epoch = k.Epoch
	env, err := crypto.Seal(h, []byte(`{}`), k, outsider)
	if err != nil {
		t.Fatal(err)
	}
	p := replica.Pack{Device: dev, From: top, To: top, Envelopes: [][]byte{env.Raw}}
	a := replica.Announcement{Device: dev, Seq: top, Hash: env.Hash(), CID: "bafkreioutsider"}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	y := &Syncer{ws: here, ctx: ctx, behind: map[string]int{}, asked: map[string]time.Time{}}
	first := &fetchedPack{step: walkStep{cid: a.CID, from: top, to: top, pack: &p}, size: int64(len(env.Raw))}
	done := make(chan uint64, 1)
	start := time.Now()
	go func() {
		want, _, err := y.catchUp(headTry{heardHead: heardHead{Announcement: a, own: true}}, first)
		if err != nil {
			t.Logf("catchUp: %v", err)
		}
		done <- want
	}()
	select {
	case want := <-done:
		t.Logf("asked for %d after %v", want, time.Since(start))
	case <-time.After(3 * time.Second):
		t.Errorf("one announcement of a pack at seq %d held the fetch worker over 3 s (still walking down to seq 1, one read a seq)", uint64(top))
		<-done // the context ends it
		t.Logf("the worker came back after %v, when its context ended", time.Since(start))
	}
}
