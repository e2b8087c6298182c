-- 0006: records kept by number (issue 17: bytes per patient). A record's
-- 32-character id was kept in its state's row, in an index over those
-- rows, in its binding, and again in the index's entity numbers; now only
-- there: the state and the binding are keyed by the entity's number. The
-- names kept in many rows (record kinds, scopes, device ids) are numbered
-- once too (sync/store/names.go). A binding no longer keeps its event's
-- id: its device and seq name that event.

-- Names kept once; numbers are never changed or reused.
CREATE TABLE names (
	n    INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

INSERT OR IGNORE INTO names (name)
SELECT kind FROM entities UNION SELECT scope FROM entities
UNION SELECT kind FROM bindings UNION SELECT scope FROM bindings UNION SELECT device FROM bindings;

-- Every record the store holds anything of has a number (0004 numbered
-- those with index terms).
INSERT OR IGNORE INTO entity_numbers (id) SELECT id FROM entities ORDER BY id;
INSERT OR IGNORE INTO entity_numbers (id) SELECT entity FROM bindings ORDER BY entity;

-- The current state of each entity, sealed by the app with the device key.
CREATE TABLE entities_by_number (
	n       INTEGER PRIMARY KEY, -- entity_numbers.n
	kind    INTEGER NOT NULL,    -- names.n
	scope   INTEGER NOT NULL,    -- names.n
	state   BLOB NOT NULL,
	lamport INTEGER NOT NULL CHECK (lamport >= 0),
	updated INTEGER NOT NULL
);

INSERT INTO entities_by_number (n, kind, scope, state, lamport, updated)
SELECT i.n, k.n, s.n, e.state, e.lamport, e.updated
FROM entities e JOIN entity_numbers i ON i.id = e.id JOIN names k ON k.name = e.kind JOIN names s ON s.name = e.scope
ORDER BY i.n;

DROP TABLE entities;
ALTER TABLE entities_by_number RENAME TO entities;
CREATE INDEX entities_kind ON entities (kind);

-- The kind and scope of each record, fixed by the claim that wins (0002):
-- the claim's Lamport clock, device and seq.
CREATE TABLE bindings_by_number (
	entity  INTEGER PRIMARY KEY, -- entity_numbers.n
	kind    INTEGER NOT NULL,    -- names.n
	scope   INTEGER NOT NULL,    -- names.n
	lamport INTEGER NOT NULL CHECK (lamport >= 0),
	device  INTEGER NOT NULL,    -- names.n
	seq     INTEGER NOT NULL CHECK (seq >= 0)
);

INSERT INTO bindings_by_number (entity, kind, scope, lamport, device, seq)
SELECT i.n, k.n, s.n, b.lamport, d.n, b.seq
FROM bindings b JOIN entity_numbers i ON i.id = b.entity
	JOIN names k ON k.name = b.kind JOIN names s ON s.name = b.scope JOIN names d ON d.name = b.device
ORDER BY i.n;

DROP TABLE bindings;
ALTER TABLE bindings_by_number RENAME TO bindings;
