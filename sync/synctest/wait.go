package synctest

import (
	"testing"
	"time"
)

// WaitFor polls cond every 20 ms until it holds, failing the test after
// timeout: what a test over the network waits for arrives when it
// arrives.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
