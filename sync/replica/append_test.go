package replica

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/medihaven/medihaven/crypto"
)

// TestSealChain: a batch's events are sealed in chain order, each on the
// hash of the one before; a seal that fails ends the chain with its
// error; a transaction that ends early stops the sealing.
func TestSealChain(t *testing.T) {
	var sealed atomic.Int32
	fail := errors.New("no key")
	drafts := func(n, failAt int) ([]draft, []crypto.Header) {
		ds := make([]draft, n)
		hs := make([]crypto.Header, n)
		for i := range ds {
			hs[i] = crypto.Header{Seq: uint64(i + 1)}
			ds[i] = draft{kind: "note", seal: func(h crypto.Header) (*crypto.Envelope, error) {
				sealed.Add(1)
				if i == failAt {
					return nil, fail
				}
				return &crypto.Envelope{Header: h, Raw: fmt.Appendf(nil, "%d after %s", h.Seq, h.Prev)}, nil
			}}
		}
		return ds, hs
	}

	ds, hs := drafts(500, -1)
	out, stop := sealChain(ds, hs, "genesis")
	prev := "genesis"
	for i := range ds {
		s := <-out
		if s.err != nil || s.env.Header.Seq != uint64(i+1) || s.env.Header.Prev != prev {
			t.Fatalf("event %d: %+v, %v; want seq %d after %s", i, s.env.Header, s.err, i+1, prev)
		}
		prev = s.env.Hash()
	}
	stop()

	ds, hs = drafts(10, 3)
	out, stop = sealChain(ds, hs, "genesis")
	var got []error
	for s := range out {
		got = append(got, s.err)
	}
	stop()
	if len(got) != 4 || !errors.Is(got[3], fail) {
		t.Errorf("a failing fourth seal: %v, want three events and its error", got)
	}

	sealed.Store(0)
	ds, hs = drafts(10000, -1)
	out, stop = sealChain(ds, hs, "genesis")
	<-out
	stop()
	if n := sealed.Load(); n > 200 {
		t.Errorf("%d of 10,000 sealed after the transaction ended at the first", n)
	}
}
