package store

import (
	"slices"
	"testing"
)

// TestRefusedPage: refused envelopes only, newest first by their stated
// time, paged; the bytes are not read.
func TestRefusedPage(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	var refused []string // ids, newest first
	for i := range 7 {
		e := testEnvelope("d", uint64(i+1))
		e.State = Applied
		if i%2 == 0 {
			e.State = Rejected
			e.Reason, e.Rule = "written after the author's membership was revoked", "revoked"
			refused = append([]string{e.ID}, refused...)
		}
		putEnvelopes(t, db, e)
	}
	older := testEnvelope("c", 1) // another device, stated earliest
	older.Time, older.State = 1, Applied
	putEnvelopes(t, db, older)
	update(t, db, func(tx *Tx) error { return tx.Refuse(ctx, older.ID, "clock", "its Lamport clock is past the ceiling") })
	refused = append(refused, older.ID)

	for _, tc := range []struct {
		name          string
		offset, limit int
		want          []string
	}{
		{"all", 0, 0, refused},
		{"first page", 0, 2, refused[:2]},
		{"second page", 2, 2, refused[2:4]},
		{"last page", 4, 2, refused[4:]},
		{"past the end", 9, 2, nil},
		{"negative offset", -3, 1, refused[:1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			view(t, db, func(tx *Tx) error {
				page, total, err := tx.RefusedPage(ctx, tc.offset, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				if total != len(refused) {
					t.Errorf("total = %d; want %d", total, len(refused))
				}
				if got := ids(page); !slices.Equal(got, tc.want) {
					t.Errorf("page = %v; want %v", got, tc.want)
				}
				for _, e := range page {
					if e.State != Rejected || e.Rule == "" || e.Reason == "" || len(e.Raw) != 0 {
						t.Errorf("%s: state %v, rule %q, reason %q, %d bytes; want refused with its rule and reason, no bytes",
							e.ID, e.State, e.Rule, e.Reason, len(e.Raw))
					}
				}
				return nil
			})
		})
	}
}
