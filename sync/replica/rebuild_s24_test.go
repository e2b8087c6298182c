package replica

// Session 24 (the lead): the seal's rebuild judges every event again apart
// from the memory readers use, and the replica takes what it built at the
// end: meanwhile a reader sees the clinic it knew, never one half judged
// again (the whole CI's TestAttackS15cH3OlderMemberRow saw a revoked
// colleague active again while session 23's rebuild ran).

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestRebuildReadersSeeAWholeClinicMeanwhile: while the physician's
// workstation judges every event again, its directory says at each step
// what it said before: the revoked colleague revoked, the administrator
// and the receptionist members; afterwards the same.
func TestRebuildReadersSeeAWholeClinicMeanwhile(t *testing.T) {
	c, _, _ := rebuildClinic(t)
	s := c.sPhys
	defer func(b int) { settleBudget = b }(settleBudget)
	settleBudget = 1 // the index written after each decision: a look each time
	var looks, wrong atomic.Int64
	look := func() {
		looks.Add(1)
		if m, ok := s.r.Member(c.phys2.fp()); !ok || m.Active() {
			wrong.Add(1)
		}
		for _, p := range []*person{c.admin, c.recep} {
			if m, ok := s.r.Member(p.fp()); !ok || !m.Active() {
				wrong.Add(1)
			}
		}
	}
	look()
	if wrong.Load() != 0 {
		t.Fatal("setup: the directory before the rebuild is not the clinic's")
	}
	s.r.p.Index = func(string, State) []Term { look(); return nil }
	if err := s.r.rebuildRows(context.Background()); err != nil {
		t.Fatal(err)
	}
	if looks.Load() < 3 {
		t.Fatalf("setup: the directory was looked at %d times during the rebuild", looks.Load())
	}
	if n := wrong.Load(); n != 0 {
		t.Errorf("%d of %d looks during the rebuild saw a half-judged directory (the revoked colleague active, or a member missing)", n, looks.Load())
	}
	s.r.p.Index = nil
	wrong.Store(0)
	look()
	if n := wrong.Load(); n != 0 {
		t.Error("after the rebuild the directory is not the clinic's")
	}
}

// TestRebuildSaysWhatChanged: the rebuild's changes reach the
// workstation's OnChange once it took them, the records it removed
// included (a chart open on a record written into the file by hand is
// drawn again without it).
func TestRebuildSaysWhatChanged(t *testing.T) {
	c, _, _ := rebuildClinic(t)
	s := c.sPhys
	ctx := context.Background()
	planted := crypto.NewEventID()
	if err := s.db.Update(ctx, func(tx *store.Tx) error {
		return tx.PutEntity(ctx, store.Entity{ID: planted, Kind: "allergy", Scope: string(roles.Clinical), State: []byte("planted"), Lamport: 1})
	}); err != nil {
		t.Fatal(err)
	}
	holds := func() bool {
		var es []store.Entity
		if err := s.db.View(ctx, func(tx *store.Tx) (err error) {
			es, err = tx.EntitiesOfKind(ctx, "allergy", -1, 0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.ID == planted {
				return true
			}
		}
		return false
	}
	if !holds() {
		t.Fatal("setup: the planted record is not in the store")
	}
	var got []Changed
	s.r.p.OnChange = func(ch []Changed) { got = append(got, ch...) }
	if err := s.r.rebuildRows(ctx); err != nil {
		t.Fatal(err)
	}
	if holds() {
		t.Fatal("the rebuild kept a record no event wrote")
	}
	for _, ch := range got {
		if ch.ID == planted && ch.Kind == "allergy" && ch.Scope == string(roles.Clinical) {
			return
		}
	}
	t.Errorf("the rebuild's %d changes do not name the planted record it removed: a chart open on it keeps showing it", len(got))
}

// TestRebuildWipesTheKeysItReplaced: the scope keys memory held before
// the rebuild are overwritten once the rebuilt memory replaces them (Lock
// wipes only what memory holds at the time: a copy dropped unwiped stayed
// readable in the process until reused).
func TestRebuildWipesTheKeysItReplaced(t *testing.T) {
	c, _, _ := rebuildClinic(t)
	s := c.sPhys
	s.r.state.RLock()
	before := s.r.keys[string(roles.Clinical)]
	s.r.state.RUnlock()
	if len(before) == 0 {
		t.Fatal("setup: the physician holds no clinical key")
	}
	if err := s.r.rebuildRows(context.Background()); err != nil {
		t.Fatal(err)
	}
	for epoch, k := range before {
		if k.Secret != ([32]byte{}) {
			t.Errorf("the clinical key of epoch %d read before the rebuild is still in memory, unwiped", epoch)
		}
	}
	if _, ok := s.r.Key(roles.Clinical); !ok {
		t.Error("after the rebuild the physician holds no clinical key")
	}
}

// TestApplyWipesItsCopyOfTheKeys: the copy of the scope keys an Apply's
// checking workers open payloads with is overwritten and forgotten once
// they ended; the replica's own keys stay.
func TestApplyWipesItsCopyOfTheKeys(t *testing.T) {
	c := newClinic(t)
	s := c.sPhys
	checked := s.r.check(nil)
	held := checked.keys // the workers' copy, as check made it
	if len(held) == 0 {
		t.Fatal("setup: the workers hold no copy of the physician's scope keys")
	}
	var secret [32]byte
	for _, k := range held {
		secret = k.Secret
		break
	}
	checked.stop()
	if len(held) != 0 {
		t.Errorf("%d scope keys of the workers' copy are still in memory after they ended", len(held))
	}
	if k, ok := s.r.Key(roles.Clinical); !ok || k.Secret == ([32]byte{}) {
		t.Error("the physician's own clinical key went with the copy")
	}
	if secret == ([32]byte{}) {
		t.Error("setup: the copy held a zero key")
	}
	c.sRecep.patient("After the copy was wiped")
	exchange(t, c.stations()...) // an Apply after it still opens what arrives
}
