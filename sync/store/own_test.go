package store

import (
	"testing"
)

func TestChainTipAndAboutFrom(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	grant := func(device string, seq uint64, to string) Envelope {
		e := testEnvelope(device, seq)
		e.Kind, e.Entity, e.Scope, e.State = "grant", to, "clinical", Applied
		return e
	}
	a3 := testEnvelope("a", 3)
	a3.State = Pending // the tip is the highest seq stored, whatever its state
	putEnvelopes(t, db, testEnvelope("a", 1), grant("a", 2, "alice"), a3, grant("a", 4, "alice"), grant("a", 5, "bob"),
		grant("b", 1, "alice"), testEnvelope("b", 2))

	for _, c := range []struct {
		device  string
		want    Tip
		found   bool
		entity  string
		grants  []uint64 // seqs of device's grants about entity
		comment string
	}{
		{"a", Tip{Seq: 5, Hash: testEnvelope("a", 5).Hash}, true, "alice", []uint64{2, 4}, "two grants, not b's"},
		{"a", Tip{Seq: 5, Hash: testEnvelope("a", 5).Hash}, true, "bob", []uint64{5}, "one"},
		{"b", Tip{Seq: 2, Hash: testEnvelope("b", 2).Hash}, true, "alice", []uint64{1}, "another device's"},
		{"b", Tip{Seq: 2, Hash: testEnvelope("b", 2).Hash}, true, "entity-1", nil, "not a grant"},
		{"c", Tip{}, false, "alice", nil, "no chain"},
	} {
		t.Run(c.device+"/"+c.entity, func(t *testing.T) {
			view(t, db, func(tx *Tx) error {
				tip, ok, err := tx.ChainTip(ctx, c.device)
				if err != nil || ok != c.found || tip != c.want {
					t.Errorf("ChainTip(%s) = %+v, %v, %v; want %+v, %v", c.device, tip, ok, err, c.want, c.found)
				}
				got, err := tx.AboutFrom(ctx, c.entity, c.device, "grant")
				if err != nil {
					t.Fatal(err)
				}
				var seqs []uint64
				for _, e := range got {
					seqs = append(seqs, e.Seq)
				}
				if len(seqs) != len(c.grants) {
					t.Fatalf("AboutFrom = %v, want %v (%s)", seqs, c.grants, c.comment)
				}
				for i := range seqs {
					if seqs[i] != c.grants[i] {
						t.Errorf("AboutFrom = %v, want %v (%s)", seqs, c.grants, c.comment)
					}
				}
				return nil
			})
		})
	}
}
