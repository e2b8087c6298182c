package app

// Session 17 hostile review h-sec17b (a non-administrator member or an
// outsider, whole system).

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
)

// TestAttackS17bDescendingWantsPinFreshPacks: a recent repack is announced
// again only when it holds the seq asked (netsync/resend.go recentRepack:
// p.from <= seq <= p.to). An outsider whose XMPP account looks like a
// device id (any account on the clinic's server: a newcomer's before her
// admission, a revoked member's until an administrator's workstation ends
// it) asks each workstation for its events from one seq lower each time:
// no recent repack holds it, so every want answered is a fresh pack from
// that seq to the head (up to packChunk envelopes, 4 MiB), pinned on the
// clinic's Kubo node for good, its bytes shifted by one envelope so that
// no block is shared with the last. One account is answered every 20 s
// by every workstation; four every 5 s. Here four look-alike accounts
// ask the receptionist's workstation six times, 5.5 s apart.
func TestAttackS17bDescendingWantsPinFreshPacks(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	registerN(t, c.recep, "Wanted", 8)
	y := c.syncer[c.recep]
	rr, _ := c.recep.Replica()
	heads, _ := rr.Heads(ctx)
	var seq uint64
	for _, h := range heads {
		if h.Device == rr.Device() {
			seq = h.Seq
		}
	}
	waitFor(t, "pushed and announced", 10*time.Second, func() bool { return y.Status().Announced >= seq })
	before := len(y.Pushed())
	var askers []*outsider
	for i := range 4 {
		askers = append(askers, newOutsider(t, c, newID(16), "asker"+string(rune('a'+i))))
	}
	const wants = 6
	for i := range wants {
		askers[i%len(askers)].say(t, replica.Want{Device: rr.Device(), Seq: seq - uint64(i)}.String())
		time.Sleep(5500 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	made := len(y.Pushed()) - before
	t.Logf("chain of %d events; %d wants at seqs %d down to %d made %d fresh pinned packs (%d envelopes in all)",
		seq, wants, seq, seq-wants+1, made, wants*(wants+1)/2)
	if made > maxFreshRepacksAllowed {
		t.Errorf("%d wants from look-alike accounts made %d fresh pinned packs; want at most %d per 10 minutes (a fresh-repack budget)",
			wants, made, maxFreshRepacksAllowed)
	}
}

// maxFreshRepacksAllowed is the bound the fix sets (netsync maxFresh).
const maxFreshRepacksAllowed = 4
