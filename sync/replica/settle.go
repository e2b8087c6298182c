package replica

import (
	"context"
	"fmt"
	"math"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// Settling pending envelopes by index, never by reading all of them again
// (issue 17: a newcomer holding 90,000 envelopes pending until its
// admission slowed from 1 s to 3.5 s per 5,000 applied, because each Apply
// read every pending envelope again).
//
// Most envelopes never wait: one whose predecessor is settled is judged on
// arrival and stored once with its verdict (arrive.go, decide). Those left
// pending wait for their predecessor, their author or a clock.
//
// A pending envelope that waits for the one before it in its device's
// chain (its reason begins with store.ChainWait) can move only when that
// one settles: settleRun tries it then, and the rest of the run after it,
// in chain order. Every other pending envelope is a front (store.Fronts):
// just received, or waiting for its author's key or directory entry, for
// its record's first event or for the clock, or sent back to be judged
// again. A round tries the fronts; rounds go on while something moved
// (a key, a directory entry or a clock that arrived may let a front
// through).

const (
	frontPage = 1024 // fronts read at a time
	runPage   = 512  // envelopes of a run read (and verified at once) at a time
	// turnReason marks the next envelope of a run that settle left at its
	// budget: a front, so the next transaction takes it up.
	turnReason = "its turn comes in the next transaction"
)

// settleBudget is how many envelopes one transaction settles at most (a
// variable: tests make it small).
var settleBudget = 20000

// settle applies pending envelopes until no more progress is made, and
// opens the envelopes kept sealed for a key that arrived (unseal.go).
func (r *Replica) settle(ctx context.Context, tx *store.Tx, rep *Report) error {
	r.budget, r.more = settleBudget, false
	if r.again {
		// Judged again whole in one transaction: until it commits, the
		// store shows what it showed (rebuildRows); trimAgain bounds
		// what it keeps in memory instead.
		r.budget = math.MaxInt
	}
	roleRounds := 0
	for {
		progress := false
		r.requeued = false
		done := map[chainPlace]bool{} // decided in this round
		var at store.Cursor
		for {
			rows, err := tx.Fronts(ctx, at, frontPage)
			if err != nil {
				return fmt.Errorf("replica: pending envelopes: %w", err)
			}
			if len(rows) == 0 {
				break
			}
			at = store.Of(rows[len(rows)-1])
			r.preverify(rows)
			for _, row := range rows {
				if r.budget <= 0 {
					r.more = true
					break
				}
				if done[chainPlace{row.Device, row.Seq}] {
					continue
				}
				moved, err := r.settleRun(ctx, tx, row, rep, done)
				if err != nil {
					return err
				}
				progress = progress || moved
			}
			if r.more {
				break
			}
		}
		swept, err := r.sweepRevoked(ctx, tx)
		if err != nil {
			return err
		}
		// Before judgeDirectory, which takes the changed entries.
		contested, err := r.judgeContests(ctx, tx) // contest.go
		if err != nil {
			return err
		}
		roled, err := r.judgeRoles(ctx, tx)
		if err != nil {
			return err
		}
		roled = roled || contested
		judged, err := r.judgeDirectory(ctx, tx)
		if err != nil {
			return err
		}
		moved, err := r.judgeMoves(ctx, tx) // move.go
		if err != nil {
			return err
		}
		judged = judged || moved
		forked, err := r.judgeForks(ctx, tx) // witness.go
		if err != nil {
			return err
		}
		judged = judged || forked
		if left := len(r.roleLeft); left > 0 {
			if roleRounds++; roleRounds <= maxRoleRounds {
				roled = r.carryRoles() || roled
			} else {
				r.roleLeft = nil
				rep.Problems = append(rep.Problems, Problem{Event: "directory", Reason: fmt.Sprintf(
					"the role verdicts of %d members still change after %d rounds: administrators changed each other's roles "+
						"in a loop; the staff directory shows their histories as disputed", left, maxRoleRounds)})
			}
		}
		// Grants held aside whose author is now reached (keysource.go).
		adopted, err := r.adoptAside(ctx, tx)
		if err != nil {
			return err
		}
		progress = progress || swept || roled || judged || adopted || r.requeued
		if !r.more {
			opened, err := r.openSealed(ctx, tx, rep)
			if err != nil {
				return err
			}
			progress = progress || opened
		}
		if !progress || r.more {
			n, err := tx.CountPending(ctx)
			if err != nil {
				return err
			}
			rep.Pending = n
			if rep.Sealed < 0 {
				rep.Sealed = 0
			}
			rep.Rejected += len(r.undone)
			rep.Problems = append(rep.Problems, r.undone...)
			r.undone = nil
			return nil
		}
	}
}

// settleRun tries row, and while each settles, the next pending envelope
// of its device's chain. It reports whether any of them left pending.
func (r *Replica) settleRun(ctx context.Context, tx *store.Tx, row store.Envelope, rep *Report, done map[chainPlace]bool) (bool, error) {
	moved := false
	var run []store.Envelope
	for {
		decided, kept, err := r.settleOne(ctx, tx, row, rep)
		if err != nil || !decided {
			return moved, err
		}
		moved = true
		r.budget--
		if r.again {
			if err := r.trimAgain(ctx, tx); err != nil {
				return moved, err
			}
		}
		done[chainPlace{row.Device, row.Seq}] = true
		if !kept {
			return moved, nil // not kept: the next waits for the genuine one
		}
		next := row.Seq + 1
		if len(run) == 0 || run[0].Seq != next {
			if run, err = tx.PendingRun(ctx, row.Device, next, runPage); err != nil {
				return moved, fmt.Errorf("replica: pending envelopes of a device: %w", err)
			}
			if len(run) == 0 || run[0].Seq != next {
				return moved, nil
			}
			r.preverify(run)
		}
		row, run = run[0], run[1:]
		if r.budget <= 0 {
			// Left for the next transaction, as a front.
			r.more = true
			return moved, tx.SetEnvelopeState(ctx, row.ID, store.Pending, turnReason)
		}
	}
}

// settleOne tries one pending envelope and records the verdict. decided
// reports whether it left pending; kept whether it is still stored.
func (r *Replica) settleOne(ctx context.Context, tx *store.Tx, row store.Envelope, rep *Report) (decided, kept bool, err error) {
	v, err := r.try(ctx, tx, row)
	if err != nil {
		return false, false, err
	}
	if v.newKey.scope != "" {
		r.keysIn[v.newKey] = true
	}
	if v.state != store.Pending {
		delete(r.verified, row.Hash)
	}
	switch v.state {
	case altered:
		if err := tx.DiscardPending(ctx, row.ID); err != nil {
			return false, false, err
		}
		delete(r.settled, chainPlace{row.Device, row.Seq})
		rep.Rejected++
		rep.Problems = append(rep.Problems, Problem{Event: row.ID, Device: row.Device, Seq: row.Seq,
			Reason: v.reason + " (not kept: the genuine event is asked for again)", Altered: true})
		return true, false, nil
	case store.Pending:
		if v.reason != row.Reason {
			if err := tx.SetEnvelopeState(ctx, row.ID, store.Pending, v.reason); err != nil {
				return false, false, err
			}
			if row.Kind == KindMember {
				// Stored before its chain (arrive: no decide), it may be
				// read as a hold claim only now (hold.go holdClaimOf).
				r.dirty[row.Entity] = true
			}
		}
		return false, true, nil
	}
	if err := r.setState(ctx, tx, row, v); err != nil {
		return false, false, err
	}
	return true, true, r.count(ctx, tx, row, v, rep)
}

// count vouches for an envelope just settled (applied, sealed or
// rejected) and counts it in rep.
func (r *Replica) count(ctx context.Context, tx *store.Tx, row store.Envelope, v verdict, rep *Report) error {
	switch v.state {
	case store.Applied, store.Sealed:
		if err := r.vouch(ctx, tx, row); err != nil {
			return err
		}
		if v.state == store.Applied {
			rep.Applied++
		} else {
			rep.Sealed++
			// Awaits its key when this member's role holds its scope
			// (countAwaited): added to the count once committed.
			if r.sealedIn == nil {
				r.sealedIn = map[string]int64{}
			}
			r.sealedIn[row.Scope]++
		}
	case store.Rejected:
		rep.Rejected++
		rep.Problems = append(rep.Problems, Problem{Event: row.ID, Device: row.Device, Seq: row.Seq, Reason: v.reason})
	}
	return nil
}

// preverify parses and verifies, on every core, the envelopes of rows
// whose author's key is known and that this Apply has not verified yet,
// so that try need not do it one at a time. One that does not verify is
// left for try to judge.
func (r *Replica) preverify(rows []store.Envelope) {
	r.state.RLock()
	var todo []store.Envelope
	keys := map[string]*crypto.PublicKey{}
	for _, row := range rows {
		if _, ok := r.verified[row.Hash]; ok || r.verified == nil || row.Kind == KindKey {
			continue
		}
		if pub, ok := r.pubkeys[row.Author]; ok {
			todo = append(todo, row)
			keys[row.Author] = pub
		}
	}
	r.state.RUnlock()
	if len(todo) == 0 {
		return
	}
	envs := make([]*crypto.Envelope, len(todo))
	onEveryCore(len(todo), 32, func(i int) {
		env, err := crypto.ParseEnvelope(todo[i].Raw)
		if err == nil && env.Header.Author == todo[i].Author {
			envs[i] = env
		}
	})
	// One signature check a run of an author's events (chainsig.go).
	sigs := vouchBatch(envs, keys)
	for i, env := range envs {
		if env != nil && sigs.checked[i] && sigs.err[i] == nil {
			r.verified[todo[i].Hash] = env
		}
	}
}
