package replica

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestMendCostS27 (MEDIHAVEN_BENCH_MEND27=N): what fields revision 29's
// mend costs on a store of session 26 holding N appointments booked as
// that version booked them (ids bound to no patient), each checked in
// once: every appointment changed since it was made is judged again once
// (its patient and physician kept as first written, Once), against a
// later revision's mend that judges none of them.
func TestMendCostS27(t *testing.T) {
	n := benchSize(t, "MEDIHAVEN_BENCH_MEND27", "appointments")
	c := newClinic(t)
	s := c.sRecep
	seedAppointments(t, c, s, n, "2026-11-02T10:00:00+01:00")
	mend := func(what string, forget func(context.Context, *store.Tx) error) {
		timeMend(t, s, n, "an appointment", what, forget)
	}
	mend("the upgrade's mend from session 26 (every appointment changed since made judged again)", func(ctx context.Context, tx *store.Tx) error {
		if err := tx.SetMeta(ctx, metaPinRule, []byte("26")); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	mend("a later revision's mend (the pin rule of 29 kept)", func(ctx context.Context, tx *store.Tx) error {
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
}

// seedAppointments has s book n appointments starting at start as session
// 26 did (random ids), each checked in once, in batches of 1,000.
func seedAppointments(t *testing.T, c *clinic, s *station, n int, start string) {
	t.Helper()
	ctx := context.Background()
	patient := registered(t, s, "Abbott", "MH0000001").Header.Entity
	began := time.Now()
	for i := 0; i < n; i += 1000 {
		b := s.r.Batch()
		for range min(1000, n-i) {
			id := roles.NewRecordID("appointment")
			b.Append(Change{Entity: id, Kind: "appointment", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{
				"patient": patient, "physician": c.phys.fp(), "start": start, "minutes": 15,
				"reason": "cough", "status": "booked", "booked_by": s.p.fp(), "booked_at": time.Now().UnixMilli()})})
			b.Append(Change{Entity: id, Kind: "appointment", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{
				"status": "arrived", "arrived_at": time.Now().UnixMilli()})})
		}
		if _, err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seeded %d appointments, 2 events each, in %v", n, time.Since(began))
}
