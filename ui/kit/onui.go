package kit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
)

// uiMu serialises the callbacks that come back from background work. With
// the real driver fyne.Do already runs them one at a time on the UI
// goroutine; Fyne's test driver runs them on the calling goroutine, where
// two of them (or one and the test itself) would measure text at once,
// which Fyne's text shaper does not survive (its first Shape call is
// outside its own lock).
var uiMu sync.Mutex

// OnUI runs fn on the UI goroutine, one callback at a time: every callback
// that comes back from background work to touch widgets goes through it.
// The real driver queues a nested OnUI; Fyne's test driver runs it in
// place, where it waits for ever for the lock its caller holds. So what
// may be called inside a callback (and hear back at once, as netsync's
// OnStatus does) hands over from a goroutine of its own, and screens under
// test run their work in place, done without OnUI (Background's inline).
func OnUI(fn func()) {
	fyne.Do(func() { Locked(fn) })
}

// Locked runs fn as the UI goroutine would, one callback at a time: tests
// on Fyne's test driver wrap what they draw, tap and read in it. fn must
// not call OnUI itself (the lock is not reentrant).
func Locked(fn func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	fn()
}

// Background runs work on a goroutine of its own with a deadline of d,
// then done on the UI goroutine through OnUI. Inline (tests) runs both in
// place instead, done without OnUI: nothing then races the test, and done
// never waits for the lock of a callback it runs inside.
func Background(inline bool, d time.Duration, work func(ctx context.Context), done func()) {
	run := func() {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		work(ctx)
	}
	if inline {
		run()
		done()
		return
	}
	go func() {
		run()
		OnUI(done)
	}()
}

// Newest tells a screen's newest load from older ones. Loads run off the
// UI goroutine and may finish in any order: one that started before a
// change (a token revoked, an appointment booked) can finish after the
// load the change started, and must not draw the old rows back over the
// new ones until the next change. The zero value is ready to use.
type Newest struct{ n atomic.Uint64 }

// Begin marks the start of a load. The func it returns reports, when the
// load is done, whether it is still the newest: no load began since.
func (l *Newest) Begin() (newest func() bool) {
	n := l.n.Add(1)
	return func() bool { return l.n.Load() == n }
}

// Latest wraps the done of a load begun now on l: it runs only if this is
// still l's newest load when the work is done.
func Latest[T any](l *Newest, done func(T, error)) func(T, error) {
	newest := l.Begin()
	return func(v T, err error) {
		if newest() {
			done(v, err)
		}
	}
}
