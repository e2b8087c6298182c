package netsync

import (
	"context"
	"strconv"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// TestUnsent: what waits to be sent is the own chain above the last
// pushed seq (sec-s15c H6: the outbox table it replaced lost rows).
func TestUnsent(t *testing.T) {
	ctx := context.Background()
	founder, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	s := openStation(t, replica.Params{Identity: founder, Clinic: founder.Fingerprint()[:32], Anchors: []string{founder.Fingerprint()}})
	founding(t, s, founder)
	for _, name := range []string{"Ada B. Admin", "Ada C. Admin"} {
		entry, err := replica.F(map[string]any{"name": name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.r.Append(ctx, replica.Change{Entity: founder.Fingerprint(), Kind: replica.KindMember, Scope: roles.Directory, Fields: entry}); err != nil {
			t.Fatal(err)
		}
	}
	var top uint64
	err = s.r.DB().View(ctx, func(tx *store.Tx) error {
		tip, _, err := tx.ChainTip(ctx, s.r.Device())
		top = tip.Seq
		return err
	})
	if err != nil || top < 3 {
		t.Fatalf("a chain of %d events: %v", top, err)
	}
	for _, tc := range []struct {
		pushed  string // MetaPackSeq; "" for none
		want    int
		wantErr bool
	}{
		{"", int(top), false},
		{"1", int(top) - 1, false},
		{strconv.FormatUint(top, 10), 0, false},
		{strconv.FormatUint(top+5, 10), 0, false}, // more pushed than held
		{"x", 0, true},
	} {
		var got int
		err := s.r.DB().Update(ctx, func(tx *store.Tx) error {
			if tc.pushed != "" {
				if err := tx.SetMeta(ctx, MetaPackSeq, []byte(tc.pushed)); err != nil {
					return err
				}
			}
			var err error
			got, err = Unsent(ctx, tx, s.r.Device())
			return err
		})
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("pushed %q: %d unsent (%v); want %d, error %v", tc.pushed, got, err, tc.want, tc.wantErr)
		}
	}
}
