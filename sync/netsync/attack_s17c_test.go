package netsync

// Session 17 hostile review h-sec17c (this session's fixes).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS17cLowWantSwallowsAWaitingOne: wants that wait for the
// fresh-repack budget (resend.go, 2925cdd: at most maxFresh per
// repackReuse) are merged into one, resendFrom, the lowest seq asked; the
// one pack made when the budget frees holds at most packChunk envelopes
// (packBytes) from there. An outsider who keeps the budget spent (four
// wants per ten minutes, each one seq below the last) and asks for a low
// seq while an honest workstation waits for a high one (a block altered
// near the head) has his want answered and hers dropped: the pack made
// does not hold her seq, nothing is left waiting, and when she asks again
// (askAgainGap later) she waits for the next freed slot, where his lower
// want swallows hers again. Before 2925cdd the two had to land in the same
// 5 s window; now they share one of up to ten minutes.
//
// No servers: the Syncer's IPFS node is a loopback stand-in that takes
// every pack; the four spent slots are made to free in two seconds.
func TestAttackS17cLowWantSwallowsAWaitingOne(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	s := newStation(t, id)
	founding(t, s, id)
	const extra = 30 // of 200 kB each: more than packBytes
	for i := range extra {
		f, _ := replica.F(map[string]any{"name": "Ada Admin " + strconv.Itoa(i) + strings.Repeat("x", 200<<10)})
		if _, err := s.r.Append(ctx, replica.Change{Entity: id.Fingerprint(), Kind: replica.KindMember, Scope: roles.Directory, Fields: f}); err != nil {
			t.Fatal(err)
		}
	}
	var head uint64
	heads, _ := s.r.Heads(ctx)
	for _, h := range heads {
		if h.Device == s.r.Device() {
			head = h.Seq
		}
	}
	if err := s.r.DB().Update(ctx, func(tx *store.Tx) error {
		return tx.SetMeta(ctx, MetaPackSeq, []byte(strconv.FormatUint(head, 10)))
	}); err != nil {
		t.Fatal(err)
	}
	n := 0
	kubo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		cid := "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"  // any valid CID
		json.NewEncoder(w).Encode(map[string]string{"Key": cid, "Hash": cid}) //nolint:errcheck
	}))
	defer kubo.Close()
	y := applySyncer(s)
	y.ctx, y.ipf, y.resend = ctx, ipfs.New(kubo.URL), make(chan struct{}, 1)
	spent := time.Now().Add(-repackReuse + 2*time.Second) // the outsider's four fresh packs, freeing in 2 s
	for i := range maxFresh {
		y.repacks = append(y.repacks, repack{device: s.r.Device(), from: uint64(10 + i), to: uint64(10 + i), cid: "old", at: spent})
	}
	y.wg.Add(1)
	go y.resendLoop()
	defer func() { cancel(); y.wg.Wait() }()
	honest := head - 5 // a block altered near the head
	y.wanted(replica.Want{Device: s.r.Device(), Seq: honest}, "nina@clinic")
	y.wanted(replica.Want{Device: s.r.Device(), Seq: 2}, "mallory@elsewhere")
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := y.recentRepack(s.r.Device(), honest); ok {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	y.mu.Lock()
	var made []repack
	for _, p := range y.repacks {
		if p.cid != "old" {
			made = append(made, p)
		}
	}
	y.mu.Unlock()
	var got []string
	for _, p := range made {
		got = append(got, fmt.Sprintf("%d-%d", p.from, p.to))
	}
	t.Logf("chain of %d; wants for %d (honest) and 2 (outsider); packs made in the 13 s after the budget freed: %v (last error %q)",
		head, honest, got, y.Status().LastError)
	if _, ok := y.recentRepack(s.r.Device(), honest); !ok {
		t.Errorf("the honest want for seq %d was never answered though the budget had freed: packs made %v", honest, got)
	}
}

// TestHeldWantAnsweredWhileAnotherWaits: with the fresh-repack budget
// spent, a want a recent pack already holds is answered (that pack is
// announced again) while a want that needs a fresh pack waits for the
// budget: an outsider's low want first in the queue delays nobody whose
// want costs no fresh pack.
func TestHeldWantAnsweredWhileAnotherWaits(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	s := newStation(t, id)
	founding(t, s, id)
	y := applySyncer(s)
	y.ctx, y.resend = ctx, make(chan struct{}, 1)
	now := time.Now()
	for i := range maxFresh { // the budget, spent for the next ten minutes
		y.repacks = append(y.repacks, repack{device: s.r.Device(), from: uint64(10 + i), to: uint64(20 + i), cid: "recent", at: now})
	}
	y.wg.Add(1)
	go y.resendLoop()
	defer func() { cancel(); y.wg.Wait() }()
	y.wanted(replica.Want{Device: s.r.Device(), Seq: 2}, "mallory@elsewhere") // needs a fresh pack: waits
	y.wanted(replica.Want{Device: s.r.Device(), Seq: 15}, "nina@clinic")      // held by a recent pack
	waiting := func() []string {
		y.mu.Lock()
		defer y.mu.Unlock()
		var who []string
		for _, p := range y.wants {
			who = append(who, p.who)
		}
		return who
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && len(waiting()) > 1 {
		time.Sleep(50 * time.Millisecond)
	}
	if got := waiting(); len(got) != 1 || got[0] != "mallory@elsewhere" {
		t.Errorf("wants still waiting: %v, want only the one that needs a fresh pack", got)
	}
}
