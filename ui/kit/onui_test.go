package kit

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// TestBackground: work gets a deadline; done runs under OnUI's lock when
// the work ran on a goroutine of its own, and in place without the lock
// when inline (tests), before Background returns.
func TestBackground(t *testing.T) {
	test.NewTempApp(t)
	for _, tt := range []struct {
		name   string
		inline bool
	}{
		{"on a goroutine", false},
		{"inline", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var deadline bool
			locked := make(chan bool, 1)
			Background(tt.inline, time.Minute, func(ctx context.Context) {
				_, deadline = ctx.Deadline()
			}, func() {
				free := uiMu.TryLock()
				if free {
					uiMu.Unlock()
				}
				locked <- !free
			})
			if tt.inline && len(locked) == 0 {
				t.Fatal("inline: done had not run when Background returned")
			}
			if got := <-locked; got == tt.inline {
				t.Errorf("done ran with OnUI's lock held: %v, want %v", got, !tt.inline)
			}
			// done may still hold the lock after it answered: the next
			// case must not find it held (a CI run under load did).
			uiMu.Lock()
			uiMu.Unlock() //nolint:staticcheck // waits for done to end
			if !deadline {
				t.Error("the work had no deadline")
			}
		})
	}
}

// TestLatestDrawsOnlyTheNewest: loads finish in any order; only the done
// of the load begun last runs, whichever finishes first.
func TestLatestDrawsOnlyTheNewest(t *testing.T) {
	var l Newest
	var drawn []int
	draw := func(v int, _ error) { drawn = append(drawn, v) }
	first, second := Latest(&l, draw), Latest(&l, draw)
	second(2, nil)
	first(1, nil) // the older load finishes last
	if len(drawn) != 1 || drawn[0] != 2 {
		t.Fatalf("drawn %v, want only the newest load's [2]", drawn)
	}
	third := Latest(&l, draw)
	l.Begin() // a screen cleared: nothing in flight draws
	third(3, nil)
	if len(drawn) != 1 {
		t.Fatalf("drawn %v after the screen was cleared", drawn)
	}
}
