package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"
)

// TestMigrationTrustBackfills: a profile made before migration 0002 keeps
// working: its records are bound to the kind and scope they hold (records
// known only sealed too), its devices to the author of their first event,
// and its heads and clock count only what it vouches for.
func TestMigrationTrustBackfills(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(ms[0].script + "; PRAGMA user_version = 1"); err != nil {
		t.Fatal(err)
	}
	row := func(e Envelope) {
		t.Helper()
		_, err := raw.Exec(`INSERT INTO envelopes (id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, raw, state, reason)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`,
			e.ID, e.Device, e.Seq, e.Lamport, e.Entity, e.Kind, e.Scope, e.Epoch, e.Author, e.Prev, e.Hash, e.Time, e.Raw, e.State)
		if err != nil {
			t.Fatal(err)
		}
	}
	key := testEnvelope("a", 1)
	key.Kind, key.Scope, key.Entity, key.State = "key", "public", "fingerprint-a", Applied
	patient := testEnvelope("a", 2)
	patient.Entity, patient.State = "p1", Applied
	note := testEnvelope("a", 3)
	note.Entity, note.Kind, note.Scope, note.State = "n1", "note", "clinical", Sealed
	ahead := testEnvelope("a", 4)
	ahead.Lamport = 1 << 62 // pending: unverified
	for _, e := range []Envelope{key, patient, note, ahead} {
		row(e)
	}
	if _, err := raw.Exec(`INSERT INTO entities (id, kind, scope, state, lamport, updated) VALUES ('p1', 'patient', 'frontdesk', x'00', 2, 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	view(t, db, func(tx *Tx) error {
		for _, want := range []Binding{
			{Entity: "p1", Kind: "patient", Scope: "frontdesk", Lamport: 2, Device: "a", Seq: 2},
			{Entity: "n1", Kind: "note", Scope: "clinical", Lamport: 3, Device: "a", Seq: 3},
		} {
			got, err := tx.Binding(context.Background(), want.Entity)
			if err != nil || got != want {
				t.Errorf("binding %+v, %v; want %+v", got, err, want)
			}
		}
		owner, err := tx.DeviceOwner(ctx, "a")
		if err != nil || owner != "fingerprint-a" {
			t.Errorf("owner of device a: %q, %v", owner, err)
		}
		heads, err := tx.Heads(ctx)
		if want := []Head{{Device: "a", Seq: 3, Hash: note.Hash, Lamport: 3}}; err != nil || !reflect.DeepEqual(heads, want) {
			t.Errorf("heads %+v, %v; want %+v", heads, err, want)
		}
		max, err := tx.MaxLamport(ctx)
		if err != nil || max != 3 {
			t.Errorf("MaxLamport %d, %v; want 3 (the pending envelope far ahead does not count)", max, err)
		}
		return nil
	})
}
