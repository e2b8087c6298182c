package store

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestMigrationEnvelopeBytes: a store written before 0013 (an envelope's
// bytes in its row) opens with every envelope read as it was written
// (header, bytes, state, reason, rule); the bytes are in envelope_bytes
// and the row has none. What is stored afterwards is numbered after them
// (PutEnvelope, AddEnvelope, a PutEnvelope that stores nothing takes no
// number), a change of state leaves the bytes as they were, and a pending
// envelope discarded takes its bytes with it.
func TestMigrationEnvelopeBytes(t *testing.T) {
	ctx := t.Context()
	var old []Envelope
	for i, st := range []EnvelopeState{Applied, Sealed, Sealed, Pending, Rejected} {
		e := testEnvelope("d1", uint64(i+1))
		e.State = st
		switch st {
		case Pending:
			e.Reason = "received"
		case Rejected:
			e.Reason, e.Rule = "refused", "role"
		}
		old = append(old, e)
	}
	var values []string
	for _, e := range old {
		values = append(values, fmt.Sprintf("('%s', '%s', %d, %d, '%s', '%s', '%s', %d, '%s', '%s', '%s', %d, x'%x', %d, '%s', '%s')",
			e.ID, e.Device, e.Seq, e.Lamport, e.Entity, e.Kind, e.Scope, e.Epoch, e.Author, e.Prev, e.Hash, e.Time, e.Raw, e.State, e.Reason, e.Rule))
	}
	db := openOld(t, 12, `INSERT INTO envelopes (id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, raw, state, reason, rule) VALUES `+
		strings.Join(values, ",\n")+";")

	bytesRows := func(tx *Tx) int {
		var n int
		if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM envelope_bytes`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	view(t, db, func(tx *Tx) error {
		for _, e := range old {
			got, err := tx.Envelope(ctx, e.ID)
			if err != nil || !reflect.DeepEqual(got, e) {
				t.Errorf("after the upgrade %s reads %+v, %v; want %+v", e.ID, got, err, e)
			}
		}
		var raw, body int
		err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE name = 'raw'), count(*) FILTER (WHERE name = 'body')
			FROM pragma_table_info('envelopes')`).Scan(&raw, &body)
		if err != nil || raw != 0 || body != 1 {
			t.Errorf("the envelope row has %d raw and %d body columns (%v); want 0 and 1", raw, body, err)
		}
		if n := bytesRows(tx); n != len(old) {
			t.Errorf("%d rows of bytes, want %d", n, len(old))
		}
		return nil
	})

	put := testEnvelope("d2", 1)
	added := []Envelope{testEnvelope("d2", 2), testEnvelope("d2", 3)}
	update(t, db, func(tx *Tx) error {
		if ok, err := tx.PutEnvelope(ctx, put); !ok || err != nil {
			t.Fatalf("put %v, %v", ok, err)
		}
		if ok, err := tx.PutEnvelope(ctx, put); ok || err != nil {
			t.Fatalf("put again %v, %v; want nothing stored", ok, err)
		}
		for _, e := range added {
			if err := tx.AddEnvelope(ctx, e); err != nil {
				return err
			}
		}
		if err := tx.SetStates(ctx, []string{old[1].ID, old[2].ID}, Applied, ""); err != nil {
			return err
		}
		return tx.DiscardPending(ctx, old[3].ID)
	})
	old[1].State, old[2].State = Applied, Applied
	view(t, db, func(tx *Tx) error {
		want := append(append([]Envelope{put}, added...), old[0], old[1], old[2], old[4])
		for _, e := range want {
			got, err := tx.Envelope(ctx, e.ID)
			if err != nil || !reflect.DeepEqual(got, e) {
				t.Errorf("%s reads %+v, %v; want %+v", e.ID, got, err, e)
			}
		}
		if _, err := tx.Envelope(ctx, old[3].ID); err == nil {
			t.Errorf("the discarded %s is still stored", old[3].ID)
		}
		if n := bytesRows(tx); n != len(want) {
			t.Errorf("%d rows of bytes, want %d: the discarded envelope's went with it", n, len(want))
		}
		var bodies []int64
		rows, err := tx.tx.QueryContext(ctx, `SELECT body FROM envelopes WHERE device = 'd2' ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b int64
			if err := rows.Scan(&b); err != nil {
				return err
			}
			bodies = append(bodies, b)
		}
		if want := []int64{6, 7, 8}; !reflect.DeepEqual(bodies, want) {
			t.Errorf("the new envelopes' bytes are numbered %v, want %v (after the five of before)", bodies, want)
		}
		return rows.Err()
	})
}
