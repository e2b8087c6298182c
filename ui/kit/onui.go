package kit

import (
	"sync"

	"fyne.io/fyne/v2"
)

// uiMu serialises the callbacks that come back from background work. With
// the real driver fyne.Do already runs them one at a time on the UI
// goroutine; Fyne's test driver runs them on the calling goroutine, where
// two of them (or one and the test itself) would measure text at once,
// which Fyne's text shaper does not survive (its first Shape call is
// outside its own lock).
var uiMu sync.Mutex

// OnUI runs fn on the UI goroutine, one callback at a time. ui/admin's
// background results and OnChanges' refreshes go through it; the other
// packages' fyne.Do calls do not yet (none of their tests draws while
// such a callback may run). With the real driver a nested OnUI is queued,
// not run, so fn may call OnUI.
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
