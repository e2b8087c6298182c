package replica

import (
	"context"
	"slices"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestFindChecksWhatItDecrypts: the index keeps 64 bits of each token, so
// an entity whose tokens collide with a query's is dropped after
// decryption; results come a page at a time; and a store that asks for it
// (store.MetaReindex, after the schema changed) is indexed again on open.
func TestFindChecksWhatItDecrypts(t *testing.T) {
	ctx := context.Background()
	admin := newPerson(t, "Ada Admin", roles.Administrator)
	s := join(t, admin, admin.fp()[:32])
	index := func(_ string, st State) []Term { return []Term{{Field: "status", Value: st.String("status")}} }
	reopen := func() { // the same profile, opened again
		t.Helper()
		p := s.r.p
		p.Index = index
		r, err := Open(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		s.r = r
	}
	reopen()
	for _, scope := range []roles.Scope{roles.Directory, roles.Admin} {
		if _, err := s.r.NewEpoch(ctx, scope); err != nil {
			t.Fatal(err)
		}
	}
	s.admit(admin)
	ids := map[string]string{}
	for _, note := range []string{"alpha", "beta", "alpha", "alpha"} {
		id := crypto.NewEventID()[:16] // a token's id: 16 hex digits
		s.append(Change{Entity: id, Kind: "token", Scope: roles.Admin, Fields: fields(t, map[string]any{"status": note})})
		ids[id] = note
	}
	alpha := Term{Field: "status", Value: "alpha"}
	find := func(what string, want int) {
		t.Helper()
		var got []string
		for after, pages := "", 0; ; pages++ {
			page, next, err := s.r.Find(ctx, roles.Admin, after, 2, alpha)
			if err != nil || pages > 3 {
				t.Fatalf("%s: Find: %v (page %d)", what, err, pages)
			}
			for _, e := range page {
				got = append(got, e.ID)
				if ids[e.ID] != "alpha" {
					t.Errorf("%s: found %s, a %q", what, e.ID, ids[e.ID])
				}
			}
			if next == "" {
				break
			}
			after = next
		}
		if len(got) != want || len(slices.Compact(slices.Sorted(slices.Values(got)))) != want {
			t.Errorf("%s: found %v, want %d", what, got, want)
		}
	}
	find("indexed on write", 3)

	// A collision: the beta record carries alpha's token too.
	tokens, _ := s.r.Tokens(roles.Admin, alpha, Term{Field: "status", Value: "beta"})
	for id, note := range ids {
		if note == "beta" {
			if err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.SetIndex(ctx, id, tokens) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	find("after a collision", 3)

	// The schema changed: the index is gone and must be written again.
	emptied := func(reindex []byte) {
		t.Helper()
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			empty := map[string][][]byte{}
			for id := range ids {
				empty[id] = nil
			}
			if err := tx.SetIndexes(ctx, empty); err != nil {
				return err
			}
			return tx.SetMeta(ctx, store.MetaReindex, reindex)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	emptied([]byte{1})
	if got, err := s.r.Search(ctx, roles.Admin, 0, alpha); err != nil || len(got) != 0 {
		t.Fatalf("index emptied, yet found %v, %v", got, err)
	}
	reopen()
	find("indexed again on open", 3)
	if err := s.db.View(ctx, func(tx *store.Tx) error { _, err := tx.Meta(ctx, store.MetaReindex); return err }); err == nil {
		t.Error("the store still asks to be indexed again")
	}

	// What one kind's records are indexed by changed: only that kind's
	// records are indexed again.
	for _, step := range []struct {
		kinds string
		want  int
	}{{"member,key", 0}, {"member,token", 3}} {
		emptied([]byte(step.kinds))
		reopen()
		find("indexed again for "+step.kinds, step.want)
	}
}
