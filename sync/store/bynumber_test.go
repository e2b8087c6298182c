package store

import (
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The queries of a record's envelopes as a store of version 14 ran them
// (through the index of envelopes by entity): what the store found
// before 0015, to compare with what it finds after.
const (
	forEntityBefore14 = `SELECT ` + envelopeColumns + ` FROM envelopes WHERE entity = ?
		ORDER BY lamport, device, seq`
	aboutFromBefore14 = `SELECT ` + envelopeColumns + ` FROM envelopes WHERE entity = ? AND +device = ? AND +kind = ?
		ORDER BY seq`
	grantsAboutBefore14 = `SELECT author, scope, epoch, state FROM envelopes WHERE entity = ? AND +kind = 'grant'`
)

// byNumberCases are records of every shape an id takes in
// entity_numbers (idKey: hex as bytes, any other id as text), numbered
// or not when a store of version 14 is upgraded.
var byNumberCases = []struct {
	name, id string
	n        int64 // its number in the old store; 0: none
}{
	{"random id, numbered", hexOf("rec", "a", 1), 1},
	{"random id, no number", hexOf("rec", "b", 1), 0},
	{"text id, numbered", "key-frontdesk", 2},
	{"odd-length hex id, numbered", "abc", 3},
	{"text id, no number", "member-x", 0},
	{"fingerprint, numbered", strings.Repeat("ab", 20), 4},
}

// TestMigrationEnvelopesByNumber: a store of version 14 (a record's
// envelopes found by their entity alone) upgraded to 0015 keeps each
// envelope's record number when the record has one (0: none), and finds
// every record's envelopes, a device's about a record and the key grants
// to a member exactly as before, in the same order; its rows read alike.
// Envelopes stored after the upgrade are found the same, whether their
// record had a number then or got one later.
func TestMigrationEnvelopesByNumber(t *testing.T) {
	ctx := t.Context()
	var rows, numbers []string
	body := 0
	for i, c := range byNumberCases {
		if c.n != 0 {
			key := fmt.Sprintf("'%s'", c.id)
			if _, hex := idKey(c.id).([]byte); hex {
				key = fmt.Sprintf("x'%s'", c.id)
			}
			numbers = append(numbers, fmt.Sprintf("(%d, %s)", c.n, key))
		}
		// Two devices' envelopes about the record, out of order by clock,
		// a grant among them, in every state.
		for j, st := range []EnvelopeState{Applied, Sealed, Pending, Rejected} {
			body++
			device := []string{"d1", "d2"}[j%2]
			kind := []string{"patient", "grant"}[j/2%2]
			e := testEnvelope(device, uint64(10*i+j+1))
			rows = append(rows, fmt.Sprintf("('%s', '%s', %d, %d, '%s', '%s', 'frontdesk', 1, 'fp-%s', '%s', '%s', %d, %d, %d, '', '')",
				e.ID, device, e.Seq, 100-e.Seq%7, c.id, kind, device, e.Prev, e.Hash, e.Time, body, st))
			rows = append(rows[:len(rows)-1], rows[len(rows)-1]+fmt.Sprintf(";\nINSERT INTO envelope_bytes (n, raw) VALUES (%d, x'%x')", body, e.Raw))
		}
	}
	var inserts string
	for _, r := range rows {
		inserts += "INSERT INTO envelopes (id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, body, state, reason, rule) VALUES " + r + ";\n"
	}
	path := oldFile(t, 14, "INSERT INTO entity_numbers (n, id) VALUES "+strings.Join(numbers, ", ")+";\n"+inserts)

	// What version 14 found.
	type found struct {
		forEntity, aboutD1, aboutD2 []Envelope
		grants                      []GrantAbout
	}
	before := map[string]found{}
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	list := func(query string, args ...any) []Envelope {
		rs, err := raw.QueryContext(ctx, query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out []Envelope
		for rs.Next() {
			e, err := scanEnvelope(rs)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
		return out
	}
	for _, c := range byNumberCases {
		f := found{forEntity: list(forEntityBefore14, c.id), aboutD1: list(aboutFromBefore14, c.id, "d1", "grant"),
			aboutD2: list(aboutFromBefore14, c.id, "d2", "patient")}
		rs, err := raw.QueryContext(ctx, grantsAboutBefore14, c.id)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var g GrantAbout
			if err := rs.Scan(&g.Author, &g.Scope, &g.Epoch, &g.State); err != nil {
				t.Fatal(err)
			}
			f.grants = append(f.grants, g)
		}
		rs.Close()
		if len(f.forEntity) != 4 || len(f.aboutD1) != 1 || len(f.aboutD2) != 1 || len(f.grants) != 2 {
			t.Fatalf("the old store of %s: %d envelopes, %d and %d about it, %d grants; the test's rows are wrong",
				c.name, len(f.forEntity), len(f.aboutD1), len(f.aboutD2), len(f.grants))
		}
		before[c.id] = f
	}
	var inLog []string // the records grants name, as EntitiesInLog read them
	rs, err := raw.QueryContext(ctx, `SELECT DISTINCT entity FROM envelopes WHERE kind = 'grant' ORDER BY entity`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		inLog = append(inLog, id)
	}
	rs.Close()
	raw.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if got := db.TakeSchemaAltered(); len(got) > 0 {
		t.Errorf("a store of version 14 migrated: its triggers %v are taken for altered", got)
	}
	sortGrants := func(gs []GrantAbout) []GrantAbout {
		gs = slices.Clone(gs)
		slices.SortFunc(gs, func(a, b GrantAbout) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		return gs
	}
	reads := func(when string) {
		t.Helper()
		view(t, db, func(tx *Tx) error {
			for _, c := range byNumberCases {
				b := before[c.id]
				if got, err := tx.EnvelopesForEntity(ctx, c.id); err != nil || !reflect.DeepEqual(got, b.forEntity) {
					t.Errorf("%s, %s: envelopes %v, %v; want %v", when, c.name, ids(got), err, ids(b.forEntity))
				}
				if got, err := tx.AboutFrom(ctx, c.id, "d1", "grant"); err != nil || !reflect.DeepEqual(got, b.aboutD1) {
					t.Errorf("%s, %s: d1's grants about it %v, %v; want %v", when, c.name, ids(got), err, ids(b.aboutD1))
				}
				if got, err := tx.AboutFrom(ctx, c.id, "d2", "patient"); err != nil || !reflect.DeepEqual(got, b.aboutD2) {
					t.Errorf("%s, %s: d2's about it %v, %v; want %v", when, c.name, ids(got), err, ids(b.aboutD2))
				}
				if got, err := tx.GrantsAbout(ctx, c.id); err != nil || !reflect.DeepEqual(sortGrants(got), sortGrants(b.grants)) {
					t.Errorf("%s, %s: grants %v, %v; want %v", when, c.name, got, err, b.grants)
				}
				var n []int64
				rs, err := tx.tx.QueryContext(ctx, `SELECT DISTINCT entity_n FROM envelopes WHERE entity = ?`, c.id)
				if err != nil {
					return err
				}
				for rs.Next() {
					var v int64
					if err := rs.Scan(&v); err != nil {
						return err
					}
					n = append(n, v)
				}
				rs.Close()
				if !reflect.DeepEqual(n, []int64{c.n}) {
					t.Errorf("%s, %s: its envelopes keep the numbers %v; want %d", when, c.name, n, c.n)
				}
			}
			return nil
		})
	}
	reads("upgraded")
	view(t, db, func(tx *Tx) error {
		if got, err := tx.EntitiesInLog(ctx, "grant"); err != nil || !reflect.DeepEqual(got, inLog) {
			t.Errorf("the records grants name: %v, %v; want %v", got, err, inLog)
		}
		return nil
	})
	var indexes []string
	view(t, db, func(tx *Tx) error {
		rs, err := tx.tx.QueryContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'envelopes' AND name LIKE 'envelopes_%' ORDER BY name`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var q sql.NullString
			if err := rs.Scan(&q); err != nil {
				return err
			}
			indexes = append(indexes, q.String)
		}
		return rs.Err()
	})
	for _, want := range []string{"envelopes_entity ON envelopes (entity) WHERE entity_n = 0",
		"envelopes_numbered ON envelopes (entity_n) WHERE entity_n != 0"} {
		if !slices.ContainsFunc(indexes, func(q string) bool { return strings.Contains(q, want) }) {
			t.Errorf("no index %q among %q", want, indexes)
		}
	}

	// The unnumbered record b is numbered by a binding between two of its
	// envelopes; f is bound and stored in one transaction; a numbered
	// record gets one more envelope by PutEnvelope, in a transaction that
	// did not read its number (kept by entity: found all the same).
	b, f, a := byNumberCases[1].id, hexOf("rec", "f", 1), byNumberCases[0].id
	later := func(device string, seq uint64, entity string) Envelope {
		e := testEnvelope(device, seq)
		e.Entity, e.Lamport, e.State = entity, 500-seq, Applied
		return e
	}
	b1, b2, f1, a1 := later("d3", 1, b), later("d3", 2, b), later("d3", 3, f), later("d3", 4, a)
	update(t, db, func(tx *Tx) error { return tx.AddEnvelope(ctx, b1) })
	update(t, db, func(tx *Tx) error {
		if err := tx.PutBinding(ctx, Binding{Entity: b, Kind: "patient", Scope: "frontdesk", Lamport: 1, Device: "d3", Seq: 1}); err != nil {
			return err
		}
		if err := tx.AddEnvelope(ctx, b2); err != nil {
			return err
		}
		if err := tx.PutBinding(ctx, Binding{Entity: f, Kind: "patient", Scope: "frontdesk", Lamport: 3, Device: "d3", Seq: 3}); err != nil {
			return err
		}
		if err := tx.AddEnvelope(ctx, f1); err != nil {
			return err
		}
		_, err := tx.PutEnvelope(ctx, a1)
		return err
	})
	view(t, db, func(tx *Tx) error {
		nb, errB := tx.entityNumber(ctx, b, false)
		nf, errF := tx.entityNumber(ctx, f, false)
		if nb == 0 || nf == 0 || errB != nil || errF != nil {
			t.Fatalf("the bound records have the numbers %d, %d (%v, %v); want numbers", nb, nf, errB, errF)
		}
		for _, w := range []struct {
			e Envelope
			n int64
		}{{b1, 0}, {b2, nb}, {f1, nf}, {a1, 0}} { // a's number was not read by a1's transaction

			var n int64
			if err := tx.tx.QueryRowContext(ctx, `SELECT entity_n FROM envelopes WHERE id = ?`, w.e.ID).Scan(&n); err != nil || n != w.n {
				t.Errorf("%s of %s keeps the number %d (%v); want %d", w.e.ID, w.e.Entity, n, err, w.n)
			}
		}
		for entity, want := range map[string][]string{b: append(ids(before[b].forEntity), b2.ID, b1.ID), f: {f1.ID}, a: append(ids(before[a].forEntity), a1.ID)} {
			if got, err := tx.EnvelopesForEntity(ctx, entity); err != nil || !reflect.DeepEqual(ids(got), want) {
				t.Errorf("envelopes of %s: %v, %v; want %v", entity, ids(got), err, want)
			}
		}
		if got, err := tx.AboutFrom(ctx, b, "d3", "patient"); err != nil || !reflect.DeepEqual(ids(got), []string{b1.ID, b2.ID}) {
			t.Errorf("d3's envelopes about %s: %v, %v; want %v (seq order)", b, ids(got), err, []string{b1.ID, b2.ID})
		}
		return nil
	})
	update(t, db, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE envelopes SET entity_n = 99 WHERE id = ?`, b1.ID); err == nil ||
			!strings.Contains(err.Error(), "immutable") {
			t.Errorf("an envelope's number changed: %v; want it refused as immutable", err)
		}
		return nil
	})
}
