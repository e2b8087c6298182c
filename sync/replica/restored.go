package replica

// A workstation restored from a backup (issue 16) is the same device as
// the old computer: the same key, the same chain. What the old computer
// wrote after the backup is the rest of that chain, and the restored one
// takes it as its own until it writes an event itself; after that, as on
// any workstation, only its own bytes are its chain's.

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// MetaRestored is the store meta key of the restore mark: the seq of this
// workstation's chain tip when its backup was restored (decimal). It is
// removed by this workstation's first write.
const MetaRestored = "replica/restored"

// MetaRestoredMoved names the chain a restored workstation moved onto at
// its restore (app/move.go, KeepRestored): it moves no more for that
// restore. Removed with the restore mark.
const MetaRestoredMoved = "replica/restored-moved"

// ErrRestoredFetching refuses a write of a restored workstation that has
// not yet fetched what the old computer wrote after the backup: it would
// write an event the old one may have written already (HoldWrites).
var ErrRestoredFetching = errors.New("This workstation was restored from a backup and is still fetching what the old computer " +
	"wrote after it; connect to the clinic's servers and wait a moment")

// MarkRestored marks this workstation as restored from a backup at the
// current tip of its chain: until it writes, envelopes of its own device
// signed with its own key that extend its chain past that tip are the old
// computer's and are kept (ownDevice).
func (r *Replica) MarkRestored(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.p.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteMeta(ctx, MetaRestoredMoved); err != nil { // a new restore moves again
			return err
		}
		return tx.SetMeta(ctx, MetaRestored, []byte(strconv.FormatUint(r.mySeq, 10)))
	})
	if err != nil {
		return fmt.Errorf("replica: mark the workstation restored: %w", err)
	}
	r.mark.Lock()
	r.restored, r.restoredAt, r.restoredMoved = true, r.mySeq, false
	r.mark.Unlock()
	return nil
}

// KeepRestored marks this workstation, which a restore moved onto the
// chain this replica writes in (app/move.go), restored still: its writes
// wait for its first catch-up as before (an old backup may not know of a
// revocation, and would seal with keys a revoked colleague holds), and it
// does not move again for this restore (RestoredMoved).
func (r *Replica) KeepRestored(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.p.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.SetMeta(ctx, MetaRestoredMoved, []byte(r.p.Device)); err != nil {
			return err
		}
		return tx.SetMeta(ctx, MetaRestored, []byte(strconv.FormatUint(r.mySeq, 10)))
	})
	if err != nil {
		return fmt.Errorf("replica: mark the workstation restored: %w", err)
	}
	r.mark.Lock()
	r.restored, r.restoredAt, r.restoredMoved = true, r.mySeq, true
	r.mark.Unlock()
	return nil
}

// RestoredMoved reports whether this workstation, restored and not
// written since, already moved onto the chain it writes in for that
// restore (KeepRestored).
func (r *Replica) RestoredMoved() bool {
	r.mark.Lock()
	defer r.mark.Unlock()
	return r.restored && r.restoredMoved
}

// Restored reports whether this workstation was restored from a backup and
// has written nothing since, and the seq of its chain's tip at the restore.
// It does not wait for an Apply or a write under way.
func (r *Replica) Restored() (at uint64, ok bool) {
	r.mark.Lock()
	defer r.mark.Unlock()
	return r.restoredAt, r.restored
}

// HoldWrites makes every write of a restored workstation fail with why
// (ErrRestoredFetching) until HoldWrites(nil): its caller releases it once
// the sync has fetched what the clinic's servers hold. It holds nothing
// once the workstation has written since its restore.
// It does not wait for an Apply under way; a write that starts after it
// returns is held.
func (r *Replica) HoldWrites(why error) {
	r.mark.Lock()
	defer r.mark.Unlock()
	r.hold = why
}

// loadRestored reads the restore mark, into a replica being opened (no
// other goroutine has it yet), and whether the store notes this device as
// the chain it writes in (MetaChain).
func (r *Replica) loadRestored(ctx context.Context, tx *store.Tx) error {
	chain, err := tx.Meta(ctx, MetaChain)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("replica: the chain this workstation writes in: %w", err)
	}
	r.chainNoted.Store(err == nil && string(chain) == r.p.Device)
	moved, err := tx.Meta(ctx, MetaRestoredMoved)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("replica: restore mark: %w", err)
	}
	r.restoredMoved = err == nil && string(moved) == r.p.Device
	v, err := tx.Meta(ctx, MetaRestored)
	if errors.Is(err, store.ErrNotFound) {
		r.restored, r.restoredAt = false, 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("replica: restore mark: %w", err)
	}
	at, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return fmt.Errorf("replica: restore mark %q: %w", v, err)
	}
	r.restored, r.restoredAt = true, at
	return nil
}

// mayWrite refuses a write while a restored workstation's writes are held;
// the caller holds r.mu.
func (r *Replica) mayWrite() error {
	if r.chainLeft.Load() {
		return ErrMovedAway // move.go
	}
	if _, forked := r.forkedFrom(r.p.Device, r.fp); forked {
		return ErrForked // fork.go
	}
	r.mark.Lock()
	defer r.mark.Unlock()
	if r.restored && r.hold != nil {
		return r.hold
	}
	return nil
}

// wrote removes the restore mark in the transaction of this workstation's
// first write since its restore: from then on its chain is its own
// (ownDevice is strict again). The caller clears r.restored once the
// transaction is committed.
func (r *Replica) wrote(ctx context.Context, tx *store.Tx) error {
	if !r.chainNoted.Load() {
		// The chain this workstation writes in, for its next login
		// (OwnChain); in the transaction of the write, a move's included.
		if err := tx.SetMeta(ctx, MetaChain, []byte(r.p.Device)); err != nil {
			return fmt.Errorf("replica: note the chain this workstation writes in: %w", err)
		}
	}
	if !r.restored {
		return nil
	}
	if err := tx.DeleteMeta(ctx, MetaRestored); err != nil {
		return fmt.Errorf("replica: clear the restore mark: %w", err)
	}
	if err := tx.DeleteMeta(ctx, MetaRestoredMoved); err != nil {
		return fmt.Errorf("replica: clear the restore mark: %w", err)
	}
	return nil
}

// extendsRestored reports whether env, of this workstation's own device,
// is the old computer's continuation of the chain after a restore: the
// workstation is marked restored and has written nothing since, env is
// signed with this workstation's own key, its place in the chain is past
// the tip at the restore and held by nothing here, and the first event
// past that tip follows it by hash. The chain's rules judge the rest, as
// for any device (a later event waits for the one before it). verified
// says the signature was checked already (with the author's key, which is
// this workstation's own here).
func (r *Replica) extendsRestored(ctx context.Context, tx *store.Tx, env *crypto.Envelope, verified bool) (bool, error) {
	h := env.Header
	if !r.restored || h.Author != r.fp || h.Seq <= r.restoredAt {
		return false, nil
	}
	if !verified && env.Verify(r.p.Identity.Public()) != nil {
		return false, nil
	}
	if h.Seq == r.restoredAt+1 && r.restoredAt > 0 {
		tip, err := tx.EnvelopeAt(ctx, h.Device, r.restoredAt)
		if err != nil {
			return false, fmt.Errorf("replica: own chain: %w", err)
		}
		if h.Prev != tip.Hash {
			return false, nil
		}
	}
	return true, nil
}

// followRestored moves this workstation's tip to the end of its chain as
// stored, after an Apply kept events the old computer wrote after the
// restore: its next write follows them.
func (r *Replica) followRestored(ctx context.Context, tx *store.Tx) error {
	if !r.restored {
		return nil
	}
	tip, ok, err := tx.ChainTip(ctx, r.p.Device)
	if err != nil {
		return fmt.Errorf("replica: own chain: %w", err)
	}
	if ok && tip.Seq > r.mySeq {
		r.mySeq, r.myHash = tip.Seq, tip.Hash
		return r.clockPastTip(ctx, tx)
	}
	return nil
}
