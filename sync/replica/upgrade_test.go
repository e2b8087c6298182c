package replica

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// downgrade turns a profile back into schema 5, as a Medihaven before
// store 0006 kept it: records and bindings by id (in text) with their
// kinds, scopes and devices in words, a binding naming its event, and an
// index made by an older list of terms (the patients' postings gone), and
// the envelopes indexed by state (before store 0009), their heads moved by
// a trigger on insert (before store 0011), their bytes in their rows
// (before store 0013, and so without 0014's marks of bytes freed), found
// by entity alone (before store 0015).
const downgrade = `
DROP TRIGGER envelopes_bytes_discarded;
DROP TRIGGER envelope_bytes_immutable;
DROP TRIGGER envelopes_immutable;
DROP INDEX envelopes_numbered;
DROP INDEX envelopes_entity;
ALTER TABLE envelopes DROP COLUMN entity_n;
CREATE INDEX envelopes_entity ON envelopes (entity, lamport, device, seq);
ALTER TABLE envelopes ADD COLUMN raw BLOB NOT NULL DEFAULT x'';
UPDATE envelopes SET raw = (SELECT raw FROM envelope_bytes WHERE n = body);
ALTER TABLE envelopes DROP COLUMN body;
DROP TABLE envelope_bytes;
DROP TABLE envelope_bytes_freed;
CREATE TRIGGER envelopes_immutable
BEFORE UPDATE OF id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, raw
ON envelopes
BEGIN
	SELECT RAISE(ABORT, 'envelopes are immutable');
END;
CREATE TRIGGER envelopes_head
AFTER INSERT ON envelopes
WHEN NEW.state IN (1, 2)
BEGIN
	INSERT INTO heads (device, seq, hash, lamport)
	VALUES (NEW.device, NEW.seq, NEW.hash, NEW.lamport)
	ON CONFLICT (device) DO UPDATE
		SET seq = excluded.seq, hash = excluded.hash, lamport = excluded.lamport
		WHERE excluded.seq > heads.seq;
END;
UPDATE entity_numbers SET id = lower(hex(id)) WHERE typeof(id) = 'blob';
CREATE TABLE old_entities (id TEXT PRIMARY KEY, kind TEXT NOT NULL, scope TEXT NOT NULL, state BLOB NOT NULL,
	lamport INTEGER NOT NULL, updated INTEGER NOT NULL);
INSERT INTO old_entities SELECT i.id, k.name, s.name, e.state, e.lamport, e.updated
	FROM entities e JOIN entity_numbers i ON i.n = e.n JOIN names k ON k.n = e.kind JOIN names s ON s.n = e.scope;
DROP TABLE entities;
ALTER TABLE old_entities RENAME TO entities;
CREATE INDEX entities_kind ON entities (kind, id);
CREATE TABLE old_bindings (entity TEXT PRIMARY KEY, kind TEXT NOT NULL, scope TEXT NOT NULL, event TEXT NOT NULL,
	lamport INTEGER NOT NULL, device TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO old_bindings SELECT i.id, k.name, s.name, v.id, b.lamport, d.name, b.seq
	FROM bindings b JOIN entity_numbers i ON i.n = b.entity JOIN names k ON k.n = b.kind JOIN names s ON s.n = b.scope
	JOIN names d ON d.n = b.device JOIN envelopes v ON v.device = d.name AND v.seq = b.seq;
DROP TABLE bindings;
ALTER TABLE old_bindings RENAME TO bindings;
DROP TABLE names;
DELETE FROM postings WHERE entity IN (SELECT i.n FROM entity_numbers i JOIN entities e ON e.id = i.id WHERE e.kind = 'patient');
DELETE FROM entity_tokens WHERE entity IN (SELECT i.n FROM entity_numbers i JOIN entities e ON e.id = i.id WHERE e.kind = 'patient');
DELETE FROM entity_numbers WHERE n NOT IN (SELECT entity FROM entity_tokens);
DELETE FROM meta WHERE key = 'store/reindex';
DROP INDEX envelopes_rejected;
CREATE INDEX envelopes_state ON envelopes (state, lamport, device, seq);
PRAGMA user_version = 5;`

// TestUpgradedProfile: a workstation whose profile was made before store
// 0006 opens with its records, their bindings (the binding rule still
// refuses another kind on a record) and a search that finds its patients
// (indexed again on open, store 0007).
func TestUpgradedProfile(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	s := c.sRecep
	index := func(_ string, st State) []Term { return []Term{{Field: "family", Value: st.String("family")}} }
	okafor := Term{Field: "family", Value: "Okafor"}
	var okafors []string
	for _, family := range []string{"Okafor", "Smith", "Okafor"} {
		if env := s.patient(family); family == "Okafor" {
			okafors = append(okafors, env.Header.Entity)
		}
	}
	path := s.db.Path()
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(downgrade)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}

	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := s.r.p
	p.DB, p.Index = db, index
	if s.r, err = Open(ctx, p); err != nil {
		t.Fatal(err)
	}
	s.db = db

	found, err := s.r.Search(ctx, roles.FrontDesk, 0, okafor)
	slices.Sort(found)
	slices.Sort(okafors)
	if err != nil || !slices.Equal(found, okafors) {
		t.Errorf("search after the upgrade: %v, %v; want %v", found, err, okafors)
	}
	kind, st, err := s.r.Entity(ctx, okafors[0])
	if err != nil || kind != "patient" || st.String("family") != "Okafor" {
		t.Errorf("record after the upgrade: %s %v, %v", kind, st, err)
	}
	if _, err := s.r.Append(ctx, Change{Entity: okafors[0], Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"given": "Ada"})}); err != nil {
		t.Errorf("changing a record after the upgrade: %v", err)
	}
	if _, err := s.r.Append(ctx, Change{Entity: okafors[1], Kind: "appointment", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"start": "2030-01-01T09:00:00Z"})}); err == nil {
		t.Error("a patient record became an appointment after the upgrade: its binding was lost")
	}
}
