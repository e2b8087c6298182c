package replica

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// collector returns the collector's target and memory limit as set now.
func collector() (percent int, limit int64) {
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

// TestBulkApplyGivesTheCollectorBack: an Apply of at least bulkEnvelopes
// raises the collector's target under a memory limit while it runs, and
// gives both back when it ends, whether it succeeded or failed; Applies
// of two replicas at once share one raise, given back by the last.
func TestBulkApplyGivesTheCollectorBack(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	a, b := &Replica{}, &Replica{}
	a.raiseGC()
	b.raiseGC()
	a.raiseGC() // once per Apply
	if p, l := collector(); p != bulkGCPercent || l == math.MaxInt64 {
		t.Fatalf("raised: target %d%%, limit %d; want %d%% under a limit", p, l, bulkGCPercent)
	}
	a.restoreGC()
	if p, _ := collector(); p != bulkGCPercent {
		t.Fatalf("one of two Applies ended: target %d%%, want still %d%%", p, bulkGCPercent)
	}
	b.restoreGC()
	b.restoreGC() // nothing left to give back
	if p, l := collector(); p != 150 || l != math.MaxInt64 {
		t.Fatalf("both ended: target %d%%, limit %d; want 150%% and no limit", p, l)
	}

	ctx := context.Background()
	c := newClinic(t)
	batch := c.sRecep.r.Batch()
	for i := range bulkEnvelopes {
		batch.Append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
			Fields: fields(t, map[string]any{"family": fmt.Sprint("Family", i)})})
	}
	if _, err := batch.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	n := join(t, newPerson(t, "Nia Newcomer", roles.Receptionist), c.id, c.admin.fp())
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := n.r.Apply(cancelled, c.sRecep.own()); err == nil {
		t.Fatal("an Apply with its context cancelled succeeded")
	}
	if p, l := collector(); p != 150 || l != math.MaxInt64 {
		t.Fatalf("after a failed bulk Apply: target %d%%, limit %d", p, l)
	}
	n.apply(c.sAdmin.own()...)
	n.apply(c.sRecep.own()...)
	if p, l := collector(); p != 150 || l != math.MaxInt64 {
		t.Fatalf("after a bulk Apply: target %d%%, limit %d", p, l)
	}
}
