package replica

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/sync/store"
)

// TestMendCostS28 measures the upgrade's two mends of session 28 over N
// appointments of two events each (MEDIHAVEN_BENCH_MEND28=N), all written
// since the value rules began (the worst case: every appointment judged
// again by them), and the chain rule's look for a clock below its chain
// (it reads every event once, and finds none).
func TestMendCostS28(t *testing.T) {
	n := benchSize(t, "MEDIHAVEN_BENCH_MEND28", "appointments")
	c := newClinic(t)
	afterValues(c)
	s := c.sRecep
	seedAppointments(t, c, s, n, "2026-12-14T10:00:00+01:00")
	timeMend(t, s, n, "an appointment", "the upgrade's value rules (fields revision 31; every appointment written since they began)",
		func(ctx context.Context, tx *store.Tx) error { return tx.DeleteMeta(ctx, metaFieldsRule) })
	timeMend(t, s, n, "an appointment", "the chain rule's look (every event read once, none below)",
		func(ctx context.Context, tx *store.Tx) error { return tx.DeleteMeta(ctx, metaChainClock) })
	timeMend(t, s, n, "an appointment", "an Open with nothing to mend",
		func(context.Context, *store.Tx) error { return nil })
}
