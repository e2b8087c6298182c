package store

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// openOld makes a profile at schema version, with rows (SQL) written by
// the Medihaven of that version, and opens it: Open brings it up to date.
func openOld(t *testing.T, version int, rows string) *DB {
	t.Helper()
	db, err := Open(t.Context(), oldFile(t, version, rows))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// The triggers an old store was migrated with are the store's own
	// (schemacheck.go: no false alarm).
	if got := db.TakeSchemaAltered(); len(got) > 0 {
		t.Errorf("a store of version %d migrated: its triggers %v are taken for altered", version, got)
	}
	return db
}

// oldFile makes a profile at schema version, with rows (SQL) written by
// the Medihaven of that version, and returns its path, not opened.
func oldFile(t *testing.T, version int, rows string) string {
	t.Helper()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	var scripts []string
	for _, m := range ms[:version] {
		scripts = append(scripts, m.script)
	}
	_, err = raw.Exec(strings.Join(scripts, ";\n") + fmt.Sprintf(";\nPRAGMA user_version = %d;\n", version) + rows)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMigrationNumbersRecords: a profile made before migration 0006 keeps
// its records' states, bindings and index once they are kept by number:
// records with and without index terms, a binding of a record known only
// sealed, and a record indexed before keeps its number.
func TestMigrationNumbersRecords(t *testing.T) {
	ctx := t.Context()
	db := openOld(t, 5, `
		INSERT INTO entities (id, kind, scope, state, lamport, updated) VALUES
			('p2', 'patient', 'frontdesk', x'02', 7, 1700),
			('p1', 'patient', 'frontdesk', x'01', 5, 1600),
			('m1', 'member', 'directory', x'03', 2, 1500);
		INSERT INTO bindings (entity, kind, scope, event, lamport, device, seq) VALUES
			('p1', 'patient', 'frontdesk', 'ev1', 5, 'dev-a', 3),
			('n1', 'note', 'clinical', 'ev2', 6, 'dev-b', 1);
		INSERT INTO entity_numbers (n, id) VALUES (1, 'p2');
		INSERT INTO postings (token, entity) VALUES (42, 1);
		INSERT INTO entity_tokens (entity, tokens) VALUES (1, x'000000000000002a');`)
	view(t, db, func(tx *Tx) error {
		for _, want := range []Entity{
			{ID: "p1", Kind: "patient", Scope: "frontdesk", State: []byte{1}, Lamport: 5, Updated: 1600},
			{ID: "p2", Kind: "patient", Scope: "frontdesk", State: []byte{2}, Lamport: 7, Updated: 1700},
			{ID: "m1", Kind: "member", Scope: "directory", State: []byte{3}, Lamport: 2, Updated: 1500},
		} {
			if got, err := tx.Entity(ctx, want.ID); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("entity %s: %+v, %v; want %+v", want.ID, got, err, want)
			}
		}
		patients, err := tx.EntitiesOfKind(ctx, "patient", 0, 0)
		if err != nil || len(patients) != 2 || patients[0].ID != "p1" || patients[1].ID != "p2" {
			t.Errorf("patients %+v, %v; want p1 and p2, in id order", patients, err)
		}
		if n, err := tx.CountEntities(ctx, "member"); n != 1 || err != nil {
			t.Errorf("%d members, %v", n, err)
		}
		for _, want := range []Binding{
			{Entity: "p1", Kind: "patient", Scope: "frontdesk", Lamport: 5, Device: "dev-a", Seq: 3},
			{Entity: "n1", Kind: "note", Scope: "clinical", Lamport: 6, Device: "dev-b", Seq: 1},
		} {
			if got, err := tx.Binding(ctx, want.Entity); err != nil || got != want {
				t.Errorf("binding %+v, %v; want %+v", got, err, want)
			}
		}
		if n, err := tx.entityNumber(ctx, "p2", false); n != 1 || err != nil {
			t.Errorf("p2 is number %d, %v; want the 1 it was indexed with", n, err)
		}
		var id string
		err = tx.tx.QueryRowContext(ctx, `SELECT group_concat(e.id) FROM postings t JOIN entity_numbers e ON e.n = t.entity WHERE t.token = 42`).Scan(&id)
		if err != nil || id != "p2" {
			t.Errorf("token 42 points at %q, %v; want p2", id, err)
		}
		return nil
	})
}

// TestEntitiesAndBindingsByNumber: states and bindings written after the
// migration read back, a rolled-back transaction's names and numbers are
// not kept, and deleting a state leaves the record's binding.
func TestEntitiesAndBindingsByNumber(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	failure := errTest("rolled back")
	err := db.Update(ctx, func(tx *Tx) error {
		if err := tx.PutEntity(ctx, Entity{ID: "gone", Kind: "kind-rolled-back", Scope: "s", State: []byte{9}}); err != nil {
			return err
		}
		return failure
	})
	if err != failure {
		t.Fatalf("Update: %v", err)
	}
	if _, ok := db.names.get("kind-rolled-back"); ok {
		t.Error("a name numbered by a rolled-back transaction is cached")
	}
	e := Entity{ID: "p1", Kind: "patient", Scope: "frontdesk", State: []byte{1, 2}, Lamport: 3, Updated: 4}
	b := Binding{Entity: "p1", Kind: "patient", Scope: "frontdesk", Lamport: 3, Device: "dev", Seq: 1}
	update(t, db, func(tx *Tx) error {
		if err := tx.PutEntity(ctx, Entity{ID: "x", Kind: "kind-rolled-back", Scope: "s", State: []byte{8}}); err != nil {
			return err
		}
		if err := tx.PutEntity(ctx, e); err != nil {
			return err
		}
		return tx.PutBinding(ctx, b)
	})
	update(t, db, func(tx *Tx) error {
		if got, err := tx.Entity(ctx, "x"); err != nil || got.Kind != "kind-rolled-back" {
			t.Errorf("entity x: %+v, %v", got, err)
		}
		if _, err := tx.Entity(ctx, "gone"); err == nil {
			t.Error("the rolled-back entity is stored")
		}
		if got, err := tx.Entity(ctx, "p1"); err != nil || !reflect.DeepEqual(got, e) {
			t.Errorf("entity p1: %+v, %v; want %+v", got, err, e)
		}
		if err := tx.DeleteEntity(ctx, "p1"); err != nil {
			return err
		}
		if got, err := tx.Binding(ctx, "p1"); err != nil || got != b {
			t.Errorf("binding after the state was deleted: %+v, %v; want %+v", got, err, b)
		}
		return nil
	})
}

type errTest string

func (e errTest) Error() string { return string(e) }

// TestMigrationAsksPatientsIndexedAgain: migration 0007 asks for the
// patients to be indexed again (their pair terms), only when there are
// patients, and keeps a request to index every record.
func TestMigrationAsksPatientsIndexedAgain(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name, rows string
		want       []byte // nil: not asked
	}{
		{"patients", `INSERT INTO names (n, name) VALUES (1, 'patient'), (2, 'frontdesk');
			INSERT INTO entity_numbers (n, id) VALUES (1, 'p1');
			INSERT INTO entities (n, kind, scope, state, lamport, updated) VALUES (1, 1, 2, x'01', 1, 1)`, []byte("patient")},
		{"no patients", `INSERT INTO names (n, name) VALUES (1, 'member'), (2, 'directory');
			INSERT INTO entity_numbers (n, id) VALUES (1, 'm1');
			INSERT INTO entities (n, kind, scope, state, lamport, updated) VALUES (1, 1, 2, x'01', 1, 1)`, nil},
		{"every record asked already", `INSERT INTO names (n, name) VALUES (1, 'patient'), (2, 'frontdesk');
			INSERT INTO entity_numbers (n, id) VALUES (1, 'p1');
			INSERT INTO entities (n, kind, scope, state, lamport, updated) VALUES (1, 1, 2, x'01', 1, 1);
			INSERT INTO meta (key, value) VALUES ('store/reindex', x'01')`, []byte{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openOld(t, 6, tt.rows)
			view(t, db, func(tx *Tx) error {
				got, err := tx.Meta(ctx, MetaReindex)
				if tt.want == nil && !errors.Is(err, ErrNotFound) || tt.want != nil && (err != nil || !bytes.Equal(got, tt.want)) {
					t.Errorf("meta %s = %q, %v; want %q", MetaReindex, got, err, tt.want)
				}
				return nil
			})
		})
	}
	for value, want := range map[string][]string{"\x01": nil, "": nil, "patient": {"patient"}, "patient,note": {"patient", "note"}} {
		if got := ReindexKinds([]byte(value)); !reflect.DeepEqual(got, want) {
			t.Errorf("ReindexKinds(%q) = %q, want %q", value, got, want)
		}
	}
}

// TestEntitiesOfKindAfter: one kind's records come a page at a time in
// the order they were first stored, and no record of another kind.
func TestEntitiesOfKindAfter(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	update(t, db, func(tx *Tx) error {
		for _, e := range []Entity{{ID: "p9", Kind: "patient"}, {ID: "m1", Kind: "member"}, {ID: "p1", Kind: "patient"}, {ID: "p5", Kind: "patient"}} {
			if err := tx.PutEntity(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *Tx) error {
		var got []string
		for after, n := "", 0; n < 5; n++ {
			page, err := tx.EntitiesOfKindAfter(ctx, "patient", after, 2)
			if err != nil {
				return err
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				got = append(got, e.ID)
			}
			after = page[len(page)-1].ID
		}
		if want := []string{"p9", "p1", "p5"}; !reflect.DeepEqual(got, want) {
			t.Errorf("patients %v, want %v", got, want)
		}
		if none, err := tx.EntitiesOfKindAfter(ctx, "note", "", 2); err != nil || len(none) != 0 {
			t.Errorf("notes %v, %v; want none", none, err)
		}
		return nil
	})
}

// TestEntityIDsKeptAsBytes: an id in lowercase hex is kept as its bytes,
// any other as text, and each comes back exactly: by id, in a lookup, in
// pages of every entity (text ids first, then the others in order); a
// profile made before store 0008 has its hex ids turned into bytes.
func TestEntityIDsKeptAsBytes(t *testing.T) {
	ctx := t.Context()
	hexID, fingerprint := "00ff00ff00ff00ff00ff00ff00ff00ff", "0123456789abcdef0123456789abcdef01234567"
	ids := []string{hexID, fingerprint, "ABCDEF", "abc", "key/" + fingerprint, "0g"}
	kept := map[string]string{hexID: "blob", fingerprint: "blob", "ABCDEF": "text", "abc": "text", "key/" + fingerprint: "text", "0g": "text"}
	check := func(t *testing.T, db *DB) {
		t.Helper()
		view(t, db, func(tx *Tx) error {
			for _, id := range ids {
				if e, err := tx.Entity(ctx, id); err != nil || e.ID != id {
					t.Errorf("entity %s: %+v, %v", id, e, err)
				}
				var typ string
				if err := tx.tx.QueryRowContext(ctx, `SELECT typeof(id) FROM entity_numbers WHERE id = ?`, idKey(id)).Scan(&typ); err != nil || typ != kept[id] {
					t.Errorf("id %s kept as %s, %v; want %s", id, typ, err, kept[id])
				}
			}
			var got []string
			for after := ""; ; {
				page, err := tx.EntitiesAfter(ctx, after, 2)
				if err != nil || len(page) == 0 {
					break
				}
				for _, e := range page {
					got = append(got, e.ID)
				}
				after = page[len(page)-1].ID
			}
			want := []string{"0g", "ABCDEF", "abc", "key/" + fingerprint, hexID, fingerprint}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("every entity, two a page: %v, want %v", got, want)
			}
			found, err := tx.Lookup(ctx, [][]byte{[]byte("token")}, 0)
			if err != nil || !reflect.DeepEqual(found, ids) {
				t.Errorf("lookup %v, %v; want %v", found, err, ids)
			}
			return nil
		})
	}
	t.Run("new", func(t *testing.T) {
		db := openTest(t)
		update(t, db, func(tx *Tx) error {
			for _, id := range ids {
				if err := tx.PutEntity(ctx, Entity{ID: id, Kind: "k"}); err != nil {
					return err
				}
				if err := tx.SetIndex(ctx, id, [][]byte{[]byte("token")}); err != nil {
					return err
				}
			}
			return nil
		})
		check(t, db)
	})
	t.Run("made before", func(t *testing.T) {
		rows := `INSERT INTO names (n, name) VALUES (1, 'k'), (2, '');
			INSERT INTO postings (token, entity) VALUES `
		for i := range ids {
			if i > 0 {
				rows += ", "
			}
			rows += fmt.Sprintf("(%d, %d)", tokenInt([]byte("token")), i+1)
		}
		rows += ";\n"
		for i, id := range ids {
			rows += fmt.Sprintf(`INSERT INTO entity_numbers (n, id) VALUES (%d, '%s');
				INSERT INTO entities (n, kind, scope, state, lamport, updated) VALUES (%d, 1, 2, x'', 0, 0);
				INSERT INTO entity_tokens (entity, tokens) VALUES (%d, x'%x');`, i+1, id, i+1, i+1, packTokens([]int64{tokenInt([]byte("token"))}))
		}
		check(t, openOld(t, 7, rows))
	})
}
