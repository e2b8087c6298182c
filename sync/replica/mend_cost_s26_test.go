package replica

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestMendCostS26 (MEDIHAVEN_BENCH_MEND=N): what the fields revision's mend
// costs on a store of N patients registered as the desk registers them
// (ids bound to their MRNs), each edited once: the mend as this version
// runs it once (the pinned ids and the patients changed twice judged
// again), and the mend were it to judge every patient again.
func TestMendCostS26(t *testing.T) {
	n := benchSize(t, "MEDIHAVEN_BENCH_MEND", "patients")
	ctx := context.Background()
	c := newClinic(t)
	s := c.sPhys
	start := time.Now()
	for i := 0; i < n; i += 1000 {
		b := s.r.Batch()
		for j := i; j < min(i+1000, n); j++ {
			mrn := fmt.Sprintf("MH%07d", j)
			id, seal := roles.NewPinnedID("patient", mustJSON(mrn))
			b.Append(Change{Entity: id, Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{
				"mrn": mrn, "mrn_seal": seal, "family": "Family", "given": "Given", "birth": "1970-01-01",
				"registered": time.Now().UnixMilli()})})
			b.Append(Change{Entity: id, Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{"phone": "+1 555 0100"})})
		}
		if _, err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seeded %d patients, 2 events each, in %v", n, time.Since(start))
	mend := func(what string, forget func(context.Context, *store.Tx) error) {
		timeMend(t, s, n, "a patient", what, forget)
	}
	mend("the upgrade's mend (Open: every pinned patient and every patient changed twice judged again)", forgetFieldsRule)
	mend("a later revision's mend (Open: the pin rule kept)", func(ctx context.Context, tx *store.Tx) error {
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	start = time.Now()
	var err error
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	t.Logf("an Open without a mend: %v", time.Since(start))
}

// timeMend has s's store forget what forget forgets, then logs how long
// opening it again (the mend) takes, in all and per one of n what.
func timeMend(t *testing.T, s *station, n int, per, what string, forget func(context.Context, *store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := s.db.Update(ctx, func(tx *store.Tx) error { return forget(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var err error
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %v, %v %s", what, time.Since(start), time.Since(start)/time.Duration(n), per)
}

// benchSize is the N of the variable name=N, or skips t: N of what.
func benchSize(t *testing.T, name, what string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	if n <= 0 {
		t.Skipf("%s=N measures the mend over N %s", name, what)
	}
	return n
}
