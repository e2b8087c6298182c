package replica

import (
	"context"
	"fmt"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestApplyAheadAsApply: a newcomer's catch-up applied in batches each
// checked ahead while the one before it is applied (Ahead, ApplyAhead)
// ends as the same catch-up applied by Apply: the public keys and the
// front-desk grant of an earlier batch verify and open the later ones, a
// batch dropped and applied again by Apply changes nothing, and nothing
// waits.
func TestApplyAheadAsApply(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, first := c.admitted(t, "Nia Newcomer", roles.Receptionist)
	exchange(t, append(c.stations(), first)...)
	confirmEachOther(t, c.sPhys, first)
	c.sPhys.grant(roles.FrontDesk, p) // as upkeep does: before the records
	for i := range 40 {
		patient := crypto.NewEventID()
		c.sRecep.append(Change{Entity: patient, Kind: "patient", Scope: roles.FrontDesk,
			Fields: fields(t, map[string]any{"family": fmt.Sprintf("Family%d", i%7), "given": "Ann", "birth": "1970-01-01"})})
		c.sRecep.append(Change{Entity: crypto.NewEventID(), Kind: "appointment", Scope: roles.FrontDesk,
			Fields: fields(t, map[string]any{"patient": patient, "start": "2026-12-03T09:00:00Z", "minutes": 15, "status": "booked"})})
	}
	var all [][]byte
	for _, s := range []*station{c.sAdmin, first, c.sPh2, c.sPhys, c.sRecep} {
		all = append(all, s.own()...)
	}
	want := open(t, p, c.id, c.admin.fp())
	for i := 0; i < len(all); i += 16 {
		want.apply(all[i:min(i+16, len(all))]...)
	}
	if !want.r.Holds(roles.FrontDesk) {
		t.Fatal("the newcomer applying by Apply was not granted the front desk: the test does not test opening ahead")
	}
	for _, tc := range []struct {
		name string
		per  int
		drop int // the batch dropped, then applied by Apply (-1: none)
	}{
		{"one envelope a batch", 1, -1},
		{"batches of 16", 16, -1},
		{"batches of 64", 64, -1},
		{"the third batch dropped, then applied", 16, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, p, c.id, c.admin.fp())
			var batches [][][]byte
			for i := 0; i < len(all); i += tc.per {
				batches = append(batches, all[i:min(i+tc.per, len(all))])
			}
			var cur *Ahead
			for i := range batches {
				next := s.r.Ahead(batches[i])
				if cur != nil {
					if _, err := s.r.ApplyAhead(ctx, cur); err != nil {
						t.Fatal(err)
					}
				}
				cur = next
				if i == tc.drop {
					cur.Drop()
					cur = nil
					s.apply(batches[i]...)
				}
			}
			if cur != nil {
				if _, err := s.r.ApplyAhead(ctx, cur); err != nil {
					t.Fatal(err)
				}
			}
			if d := want.snapshot().diff(s.snapshot()); d != "" {
				t.Fatalf("applied ahead, the newcomer's workstation differs from one that applied by Apply:\n%s", d)
			}
			var counts map[store.EnvelopeState]int
			if err := s.db.View(ctx, func(tx *store.Tx) error {
				var err error
				counts, err = tx.CountEnvelopes(ctx)
				return err
			}); err != nil || counts[store.Pending] > 0 || counts[store.Sealed] > 0 {
				t.Fatalf("after the catch-up: %v %v", counts, err)
			}
		})
	}
}
