package netsync

import (
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
)

// TestPickHead checks the order in which heads are fetched: known devices
// first, heads said by the device's own account before others, fresh
// before retried, busy lanes and heads not yet due skipped, retries only
// when a slow worker is free.
func TestPickHead(t *testing.T) {
	now := time.Now()
	head := func(device, cid string, seq uint64, own bool, tries int, due time.Duration) *headTry {
		return &headTry{heardHead: heardHead{Announcement: replica.Announcement{Device: device, Seq: seq, CID: cid}, own: own}, tries: tries, due: now.Add(due)}
	}
	lanes := map[string]*lane{
		"stranger": {heads: map[string]*headTry{"s1": head("stranger", "s1", 9, true, 0, 0)}},
		"member": {known: true, heads: map[string]*headTry{
			"m1": head("member", "m1", 5, true, 2, 0),
			"m2": head("member", "m2", 3, true, 0, 0),
			"m3": head("member", "m3", 7, true, 0, time.Minute),
		}},
		"busy": {known: true, busy: true, heads: map[string]*headTry{"b1": head("busy", "b1", 1, true, 0, 0)}},
	}
	var order []string
	for {
		_, h := pickHead(lanes, now, len(order) > 1)
		if h == nil {
			break
		}
		order = append(order, h.CID)
		delete(lanes[h.Device].heads, h.CID)
	}
	want := []string{"m2", "s1", "m1"} // m3 not due, b1's lane busy; m1 is a retry: only with a slow worker free
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	// b1 waits for its lane, not for a timer: no busy loop.
	if d := nextDue(lanes, now, true); d < 59*time.Second || d > time.Minute {
		t.Errorf("next due in %v, want about a minute", d)
	}
	lanes["member"].heads["m4"] = head("member", "m4", 8, true, 1, time.Second)
	if d := nextDue(lanes, now, false); d < 59*time.Second {
		t.Errorf("a retry with no slow worker free is due in %v", d)
	}
	if d := nextDue(lanes, now, true); d > time.Second {
		t.Errorf("a retry with a slow worker free is due in %v", d)
	}
	if netTimeout(1) != 2*time.Second || netTimeout(10) != 16*time.Second || retryAfter(1) != 250*time.Millisecond || retryAfter(9) != 15*time.Second {
		t.Errorf("timeouts %v %v, retries %v %v", netTimeout(1), netTimeout(10), retryAfter(1), retryAfter(9))
	}
}

// TestLeft: the status says how long the catch-up takes at the rate
// envelopes were applied lately.
func TestLeft(t *testing.T) {
	y := &Syncer{behind: map[string]int{}}
	y.setBehind("d1", 5000)
	if st := y.Status(); st.Behind != 5000 || st.Left != 0 {
		t.Errorf("before any apply: %+v", st)
	}
	y.applied(2000, time.Second)
	y.setBehind("d1", 3000)
	y.setBehind("d2", 1000)
	if st := y.Status(); st.Behind != 4000 || st.Left != 2*time.Second {
		t.Errorf("4,000 behind at 2,000/s: %+v", st)
	}
	y.applied(1000, time.Second) // slower lately: 0.7*2000 + 0.3*1000
	y.setBehind("d2", 0)
	if st := y.Status(); st.Left != 2*time.Second {
		t.Errorf("3,000 behind at 1,700/s: %+v", st)
	}
}
