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

// TestEnvelopeBytesKept: an envelope's bytes are not deleted but with it
// (store 0014): a DELETE of envelope_bytes' rows fails for an envelope of
// every state, in a store made new and in one of version 13 upgraded; a
// pending envelope discarded still takes its bytes with it and leaves no
// mark behind.
func TestEnvelopeBytesKept(t *testing.T) {
	ctx := t.Context()
	var es []Envelope
	for i, st := range []EnvelopeState{Applied, Sealed, Rejected, Pending} {
		e := testEnvelope("d1", uint64(i+1))
		e.State = st
		if st == Rejected {
			e.Reason, e.Rule = "refused", "role"
		}
		es = append(es, e)
	}
	var values []string
	for i, e := range es {
		values = append(values, fmt.Sprintf("('%s', '%s', %d, %d, '%s', '%s', '%s', %d, '%s', '%s', '%s', %d, %d, %d, '%s', '%s')",
			e.ID, e.Device, e.Seq, e.Lamport, e.Entity, e.Kind, e.Scope, e.Epoch, e.Author, e.Prev, e.Hash, e.Time, i+1, e.State, e.Reason, e.Rule))
	}
	var bytesRows []string
	for i, e := range es {
		bytesRows = append(bytesRows, fmt.Sprintf("(%d, x'%x')", i+1, e.Raw))
	}
	stores := map[string]func() *DB{
		"new": func() *DB {
			db := openTest(t)
			putEnvelopes(t, db, es...)
			return db
		},
		"upgraded from 13": func() *DB {
			return openOld(t, 13, `INSERT INTO envelopes (id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, body, state, reason, rule) VALUES `+
				strings.Join(values, ",\n")+";\nINSERT INTO envelope_bytes (n, raw) VALUES "+strings.Join(bytesRows, ", ")+";")
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			db := open()
			for _, e := range es {
				for _, stmt := range []string{
					`DELETE FROM envelope_bytes WHERE n = (SELECT body FROM envelopes WHERE id = '` + e.ID + `')`,
					`DELETE FROM envelope_bytes`,
				} {
					err := db.Update(ctx, func(tx *Tx) error {
						_, err := tx.tx.ExecContext(ctx, stmt)
						return err
					})
					if err == nil || !strings.Contains(err.Error(), "envelopes are never deleted") {
						t.Errorf("%s (%s): %v; want refused", stmt, e.State, err)
					}
				}
			}
			update(t, db, func(tx *Tx) error { return tx.DiscardPending(ctx, es[3].ID) })
			view(t, db, func(tx *Tx) error {
				for _, e := range es[:3] {
					got, err := tx.Envelope(ctx, e.ID)
					if err != nil || !reflect.DeepEqual(got, e) {
						t.Errorf("%s reads %+v, %v; want %+v", e.ID, got, err, e)
					}
				}
				var stored, marks int
				err := tx.tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM envelope_bytes), (SELECT count(*) FROM envelope_bytes_freed)`).Scan(&stored, &marks)
				if err != nil || stored != 3 || marks != 0 {
					t.Errorf("after the discard: %d rows of bytes and %d marks (%v); want 3 and none", stored, marks, err)
				}
				return nil
			})
		})
	}
}
