package netsync

import (
	"sync/atomic"
	"time"
)

// The first catch-up after connecting (Status.CaughtUp): a workstation
// restored from a backup writes nothing until it has fetched what the old
// computer wrote after the backup (issue 16; app holds its writes).

// caughtUpQuiet is how long the sync room must bring no new head, with
// nothing left to fetch, after this workstation said hello, before its
// first catch-up counts as done: the room replays its history on joining,
// and the workstations online answer the hello within helloGap.
const caughtUpQuiet = 3 * helloGap

// firstRound watches the first catch-up after joining the sync room and
// sets Status.CaughtUp when it is done; it runs once per Syncer.
type firstRound struct {
	started atomic.Bool
	queued  atomic.Int64 // heads waiting in the fetch lanes (fetchLoop)
	reading atomic.Int64 // reads of the PEP nodes' heads under way (pepheads.go)
}

// heads counts the heads waiting in lanes.
func heads(lanes map[string]*lane) int64 {
	n := 0
	for _, l := range lanes {
		n += len(l.heads)
	}
	return int64(n)
}

// watchFirstRound starts watching the first catch-up, after the first
// hello: it is done once nothing new was stored for caughtUpQuiet, no
// announcement waits to be read, none waits to be fetched, no fetch
// runs and the heads of the PEP nodes were all read. Announcements of heads already held (every workstation
// re-announces its own) and refused ones do not count: with twenty
// workstations, or a stranger posting, the room is never quiet.
func (y *Syncer) watchFirstRound() {
	if y.round.started.Swap(true) {
		return
	}
	y.wg.Add(1)
	go func() {
		defer y.wg.Done()
		tick := time.NewTicker(caughtUpQuiet / 10)
		defer tick.Stop()
		stored, since := y.fresh.Load(), time.Now()
		for {
			select {
			case <-y.ctx.Done():
				return
			case <-tick.C:
			}
			st := y.Status()
			if n := y.fresh.Load(); n != stored || st.CatchingUp || len(y.heard) > 0 || y.round.queued.Load() > 0 || y.round.reading.Load() > 0 || !st.Connected {
				stored, since = n, time.Now()
				continue
			}
			if time.Since(since) >= caughtUpQuiet {
				y.update(func(st *Status) { st.CaughtUp = true })
				// The upkeep once more: a workstation makes a scope's
				// first key only once it has caught up (app/firstkey.go).
				select {
				case y.maint <- struct{}{}:
				default:
				}
				return
			}
		}
	}()
}
