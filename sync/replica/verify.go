package replica

import (
	"context"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// ErrRebuilding: Verify ran beside the rebuild of a store found altered.
var ErrRebuilding = errors.New("replica: this workstation's records are being rebuilt from the clinic's signed records (its file was found altered): check the log again in a minute")

// Verify walks every device's chain and every stored envelope: the bytes
// must parse, hash to what the chain recorded, follow their predecessor
// without a gap, and carry a valid signature of a known key, or be vouched
// for by one of the next maxVouchDepth events of their author in the
// chain (chainsig.go). It
// returns one Problem per bad event; none means the log is intact.
// Beside the seal's rebuild of an altered store (its rows and the
// memory's keys change at its end, one after the other) it waits for the
// rebuild to end and walks again; ErrRebuilding if rebuilds kept
// overlapping it.
func (r *Replica) Verify(ctx context.Context) ([]Problem, error) {
	for range 3 {
		rebuilds := r.rebuilds.Load()
		if rebuilds%2 == 1 {
			r.mu.Lock() // the rebuild holds it to its end
			r.mu.Unlock()
			continue
		}
		problems, err := r.verify(ctx)
		if err != nil || r.rebuilds.Load() == rebuilds {
			return problems, err
		}
	}
	return nil, ErrRebuilding
}

// verify is one walk of Verify.
func (r *Replica) verify(ctx context.Context) (_ []Problem, err error) {
	var problems []Problem
	var (
		device   string
		wantSeq  uint64
		prevHash string
		// Events whose own signature does not verify, each linked to the
		// one before by its author: vouched for when the next event
		// links to the last and verifies, those within maxVouchDepth of
		// it; bad otherwise.
		unvouched []Problem
		lastBad   struct{ hash, author string }
	)
	settle := func(by uint64) { // the seq of the event that vouches, 0: none
		for _, p := range unvouched {
			if by == 0 || by-p.Seq > maxVouchDepth {
				problems = append(problems, p)
			}
		}
		unvouched = nil
	}
	err = r.p.DB.View(ctx, func(tx *store.Tx) error {
		return tx.EachEnvelope(ctx, func(row store.Envelope) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if row.Device != device {
				device, wantSeq, prevHash = row.Device, 1, ""
				settle(0)
			}
			bad := func(reason string) {
				problems = append(problems, Problem{Event: row.ID, Device: row.Device, Seq: row.Seq, Reason: reason})
			}
			links := len(unvouched) > 0 && row.Seq == unvouched[len(unvouched)-1].Seq+1 &&
				row.Prev == lastBad.hash && row.Author == lastBad.author
			signed, kept := false, false // its own signature verified; it waits to be vouched for
			defer func() {
				switch {
				case kept:
				case signed && links:
					settle(row.Seq)
				default:
					settle(0)
				}
			}()
			contiguous := row.Seq == wantSeq
			if !contiguous {
				bad(fmt.Sprintf("gap in the chain: expected event %d, found %d", wantSeq, row.Seq))
			}
			wantSeq = row.Seq + 1
			defer func() { prevHash = row.Hash }()
			env, err := crypto.ParseEnvelope(row.Raw)
			if err != nil {
				bad("stored bytes are not a valid envelope: " + err.Error())
				return nil
			}
			if env.Hash() != row.Hash {
				bad("stored bytes were altered: hash differs from the one recorded")
				return nil
			}
			h := env.Header
			// Under its id, or its alias when another event held the id
			// (a copy: store.PutEvent).
			if !store.RowOf(row.ID, h.ID, row.Hash) || h.Device != row.Device || h.Seq != row.Seq {
				bad("stored header differs from its index entry")
				return nil
			}
			if contiguous && h.Prev != prevHash {
				bad("chain broken: previous hash does not match the previous event")
			}
			r.state.RLock()
			pub, ok := r.pubkeys[h.Author]
			r.state.RUnlock()
			if h.Kind == KindKey {
				if p, _, err := pubFromPayload(env.Ciphertext); err == nil {
					pub, ok = p, true
				}
			}
			if h.Kind == KindMove {
				if m, err := parseMove(h, env.Ciphertext); err == nil {
					pub, ok = m.pub, true
				}
			}
			if !ok {
				if row.State != store.Pending {
					bad("author's key is unknown")
				}
				return nil
			}
			if err := env.Verify(pub); err != nil {
				if !links {
					settle(0)
				}
				unvouched = append(unvouched, Problem{Event: row.ID, Device: row.Device, Seq: row.Seq, Reason: "signature does not verify: " + err.Error()})
				lastBad.hash, lastBad.author, kept = row.Hash, h.Author, true
				return nil
			}
			signed = true
			return nil
		})
	})
	settle(0)
	return problems, err
}
