package app

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// TestStoreSealCost measures what the seal adds (MEDIHAVEN_MEASURE=1): a
// commit with and without it (nothing, a covered meta row, a directory
// row written again), a patient's registration, and the replica's Open
// with and without its check, on a receptionist holding patients.
func TestStoreSealCost(t *testing.T) {
	if os.Getenv("MEDIHAVEN_MEASURE") == "" {
		t.Skip("a measurement: MEDIHAVEN_MEASURE=1")
	}
	ctx := context.Background()
	c := newClinic(t)
	for i := 0; i < 300; i++ {
		if _, err := c.recep.RegisterPatient(ctx, Patient{Family: "Cost", Given: "Carl", Birth: "1980-01-02"}); err != nil {
			t.Fatal(err)
		}
	}
	r := rep(t, c.recep)
	db := r.DB()
	var member store.Entity
	if err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		member, err = tx.Entity(ctx, c.phys.Fingerprint())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	per := func(n int, fn func(tx *store.Tx) error) time.Duration {
		start := time.Now()
		for i := 0; i < n; i++ {
			if err := db.Update(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		return time.Since(start) / time.Duration(n)
	}
	cases := []struct {
		name string
		fn   func(tx *store.Tx) error
	}{
		{"empty commit", func(tx *store.Tx) error { return nil }},
		{"covered meta row", func(tx *store.Tx) error { return tx.SetMeta(ctx, "index-epoch/zz-measure", []byte("1")) }},
		{"directory row", func(tx *store.Tx) error { return tx.PutEntity(ctx, member) }},
	}
	for round := 0; round < 2; round++ {
		for _, cs := range cases {
			sealed := per(200, cs.fn)
			s := r.SealerForTest()
			db.SetSealer(nil)
			bare := per(200, cs.fn)
			db.SetSealer(s)
			t.Logf("%s: sealed %v, bare %v", cs.name, sealed, bare)
		}
	}
	for round := 0; round < 2; round++ {
		for _, sealed := range []bool{true, false} {
			s := r.SealerForTest()
			if !sealed {
				db.SetSealer(nil)
			}
			start := time.Now()
			for i := 0; i < 30; i++ {
				if _, err := c.recep.RegisterPatient(ctx, Patient{Family: "Cost", Given: "Carl", Birth: "1980-01-02"}); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("a patient's registration, sealed %v: %v", sealed, time.Since(start)/30)
			db.SetSealer(s)
		}
	}
	params := c.recep.replicaParams(db, r.Device(), r.Identity(), c.recep.deviceKey())
	for round := 0; round < 2; round++ {
		for _, seal := range []*replica.SealCheck{{}, nil} {
			params.Seal = seal
			start := time.Now()
			o, err := replica.Open(ctx, params)
			if err != nil {
				t.Fatal(err)
			}
			open := time.Since(start)
			start = time.Now()
			if _, err := o.CheckIndex(ctx); err != nil {
				t.Fatal(err)
			}
			t.Logf("Open with seal %v: %v; CheckIndex after it %v", seal != nil, open, time.Since(start))
		}
	}
	db.SetSealer(r.SealerForTest())
}
