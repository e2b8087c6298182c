package store

import (
	"reflect"
	"strings"
	"testing"
)

// TestEnvelopeQueriesUseIndexes: the queries that found envelopes by
// their state through envelopes_state (dropped by 0009) find them by
// index still: the Lamport index from the top, the partial indexes of
// pending, sealed and rejected envelopes. Applied envelopes are listed by
// reading them all (only tests do). EXPLAIN QUERY PLAN says which index
// each step uses; a step that reads the whole table says "SCAN envelopes"
// with no index.
func TestEnvelopeQueriesUseIndexes(t *testing.T) {
	db := openTest(t)
	for _, c := range []struct {
		name  string
		query string
		args  []any
		want  []string // each in the plan
	}{
		{"max lamport", maxLamportQuery, []any{Applied, Sealed}, []string{"SCAN envelopes USING INDEX envelopes_lamport"}},
		{"count by state", countEnvelopesQuery, nil, []string{"COVERING INDEX envelopes_pending", "COVERING INDEX envelopes_sealed", "COVERING INDEX envelopes_rejected"}},
		{"count pending", countPendingQuery, nil, []string{"COVERING INDEX envelopes_pending"}},
		{"count sealed of a scope", countSealedInQuery, []any{"frontdesk"}, []string{"COVERING INDEX envelopes_sealed"}},
		{"pending", inStateQuery, []any{Pending, 10}, []string{"INDEX envelopes_pending"}},
		{"sealed", inStateQuery, []any{Sealed, 10}, []string{"INDEX envelopes_sealed"}},
		{"rejected", inStateQuery, []any{Rejected, 10}, []string{"INDEX envelopes_rejected"}},
		{"rejected of a kind", refusedOfKindQuery, []any{Rejected, "member"}, []string{"INDEX envelopes_rejected"}},
		{"pending run", pendingRunQuery, []any{"d1", 1, 10}, []string{"INDEX"}},
		{"a record's envelopes", forEntityQuery, []any{"x", "x"}, []string{"INDEX envelopes_numbered", "INDEX envelopes_entity"}},
		{"a device's envelopes about a record", aboutFromQuery, []any{"x", "x", "d1", "grant"}, []string{"INDEX envelopes_numbered", "INDEX envelopes_entity"}},
		{"key grants to a member", grantsAboutQuery, []any{"x", "x"}, []string{"INDEX envelopes_numbered", "INDEX envelopes_entity"}},
		{"placed, by id", placedIn[64], make([]any, 64), []string{"COVERING INDEX sqlite_autoindex_envelopes_1"}},
		{"placed, by place", placedAtQuery, []any{"d1", 1, 10}, []string{"COVERING INDEX sqlite_autoindex_envelopes_2"}},
		{"a chain's clock up to a place", maxLamportThroughQuery, []any{"d1", 10, "a", Pending}, []string{"INDEX sqlite_autoindex_envelopes_2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows, err := db.writer.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+c.query, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			all := strings.Join(plan, "\n")
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("plan lacks %q:\n%s", w, all)
				}
			}
			for _, step := range plan {
				if strings.TrimSpace(step) == "SCAN envelopes" {
					t.Errorf("a step reads every envelope:\n%s", all)
				}
			}
		})
	}
}

// TestMigrationFewerEnvelopeIndexes: a profile made before 0009 loses
// envelopes_state and still counts its envelopes by state, finds its
// highest verified clock (above it, a pending and a rejected envelope
// with higher clocks do not count) and lists its rejected envelopes.
func TestMigrationFewerEnvelopeIndexes(t *testing.T) {
	ctx := t.Context()
	db := openOld(t, 8, `
		INSERT INTO envelopes (id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, raw, state, reason, rule) VALUES
			('e1', 'd1', 1, 3, 'x', 'key', 'directory', 0, 'a', '', 'h1', 1, x'01', 1, '', ''),
			('e2', 'd1', 2, 9, 'x', 'patient', 'frontdesk', 1, 'a', 'h1', 'h2', 1, x'02', 2, '', ''),
			('e3', 'd1', 3, 50, 'x', 'patient', 'frontdesk', 1, 'a', 'h2', 'h3', 1, x'03', 3, 'clock', 'clock'),
			('e4', 'd2', 1, 70, 'y', 'patient', 'frontdesk', 1, 'b', '', 'h4', 1, x'04', 0, 'received', ''),
			('e5', 'd1', 4, 7, 'x', 'patient', 'frontdesk', 1, 'a', 'h3', 'h5', 1, x'05', 1, '', '');`)
	view(t, db, func(tx *Tx) error {
		var n int
		if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'envelopes_state'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("envelopes_state: %d, %v; want it dropped", n, err)
		}
		counts, err := tx.CountEnvelopes(ctx)
		want := map[EnvelopeState]int{Pending: 1, Applied: 2, Sealed: 1, Rejected: 1}
		if err != nil || !reflect.DeepEqual(counts, want) {
			t.Errorf("counts %v, %v; want %v", counts, err, want)
		}
		if max, err := tx.MaxLamport(ctx); max != 9 || err != nil {
			t.Errorf("max lamport %d, %v; want 9 (the sealed e2)", max, err)
		}
		rejected, err := tx.EnvelopesInState(ctx, Rejected, 0)
		if err != nil || len(rejected) != 1 || rejected[0].ID != "e3" {
			t.Errorf("rejected %+v, %v; want e3", rejected, err)
		}
		for kind, want := range map[string]int{"patient": 1, "member": 0} {
			if got, err := tx.RefusedOfKind(ctx, kind); err != nil || len(got) != want {
				t.Errorf("refused of kind %s: %+v, %v; want %d", kind, got, err, want)
			}
		}
		return nil
	})
}

// TestMigrationSlimEntityIndex: a profile made before 0010 has its index
// of envelopes by entity made again on the entity alone, and still finds
// a record's envelopes in Lamport order (then device, then seq) and a
// device's envelopes about a record in seq order.
func TestMigrationSlimEntityIndex(t *testing.T) {
	ctx := t.Context()
	db := openOld(t, 9, `
		INSERT INTO envelopes (id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, raw, state, reason, rule) VALUES
			('e1', 'd1', 1, 3, 'x', 'patient', 'frontdesk', 1, 'a', '', 'h1', 1, x'01', 1, '', ''),
			('e2', 'd2', 1, 9, 'x', 'patient', 'frontdesk', 1, 'b', '', 'h2', 1, x'02', 1, '', ''),
			('e3', 'd1', 2, 50, 'y', 'grant', 'frontdesk', 1, 'a', 'h1', 'h3', 1, x'03', 1, '', ''),
			('e4', 'd1', 3, 7, 'x', 'patient', 'frontdesk', 1, 'a', 'h3', 'h4', 1, x'04', 1, '', ''),
			('e5', 'd1', 4, 60, 'y', 'grant', 'frontdesk', 1, 'a', 'h4', 'h5', 1, x'05', 1, '', ''),
			('e6', 'd2', 2, 7, 'x', 'patient', 'frontdesk', 1, 'b', 'h2', 'h6', 1, x'06', 1, '', '');`)
	view(t, db, func(tx *Tx) error {
		var columns []string
		rows, err := tx.tx.QueryContext(ctx, `SELECT name FROM pragma_index_info('envelopes_entity') ORDER BY seqno`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				return err
			}
			columns = append(columns, c)
		}
		if !reflect.DeepEqual(columns, []string{"entity"}) {
			t.Errorf("envelopes_entity indexes %v; want the entity alone", columns)
		}
		x, err := tx.EnvelopesForEntity(ctx, "x")
		if got, want := ids(x), []string{"e1", "e4", "e6", "e2"}; err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("envelopes of x: %v, %v; want %v (Lamport, then device, then seq)", got, err, want)
		}
		grants, err := tx.AboutFrom(ctx, "y", "d1", "grant")
		if got, want := ids(grants), []string{"e3", "e5"}; err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("grants of d1 about y: %v, %v; want %v", got, err, want)
		}
		return nil
	})
}
