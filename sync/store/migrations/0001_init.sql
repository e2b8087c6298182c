-- 0001: the first schema of a Medihaven profile database.
--
-- Everything here is either sealed bytes (raw, state, value, sealed) or an
-- identifier that names nobody: random hex ids, fingerprints, scope names,
-- blind-index tokens. Nothing in clear identifies a patient or staff member.

-- 'MHVN': marks the file as a Medihaven profile database.
PRAGMA application_id = 1296586318;

-- Small profile settings: device id, clinic id, schema facts.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
) WITHOUT ROWID;

-- Every envelope this workstation knows, exactly as received or written.
-- Envelopes are immutable: only state and reason ever change.
CREATE TABLE envelopes (
	id      TEXT PRIMARY KEY,
	device  TEXT NOT NULL,
	seq     INTEGER NOT NULL CHECK (seq >= 0),
	lamport INTEGER NOT NULL CHECK (lamport >= 0),
	entity  TEXT NOT NULL,
	kind    TEXT NOT NULL,
	scope   TEXT NOT NULL,
	epoch   INTEGER NOT NULL CHECK (epoch >= 0),
	author  TEXT NOT NULL,
	prev    TEXT NOT NULL,
	hash    TEXT NOT NULL,
	time    INTEGER NOT NULL,
	raw     BLOB NOT NULL,
	state   INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),
	reason  TEXT NOT NULL DEFAULT '',
	UNIQUE (device, seq)
);
CREATE INDEX envelopes_state   ON envelopes (state, lamport, device, seq);
CREATE INDEX envelopes_entity  ON envelopes (entity, lamport, device, seq);
CREATE INDEX envelopes_lamport ON envelopes (lamport);

CREATE TRIGGER envelopes_immutable
BEFORE UPDATE OF id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, raw
ON envelopes
BEGIN
	SELECT RAISE(ABORT, 'envelopes are immutable');
END;

-- Only an envelope still pending (not yet verified: its author's key or an
-- earlier event was missing) may be discarded, when a verified envelope
-- claims its place: altered bytes must never block the genuine ones.
CREATE TRIGGER envelopes_kept
BEFORE DELETE ON envelopes
WHEN OLD.state != 0
BEGIN
	SELECT RAISE(ABORT, 'envelopes are never deleted');
END;

-- The highest stored seq of each device, kept by a trigger so that heads
-- cost one row per device, not a scan of every envelope.
CREATE TABLE heads (
	device  TEXT PRIMARY KEY,
	seq     INTEGER NOT NULL,
	hash    TEXT NOT NULL,
	lamport INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER envelopes_head
AFTER INSERT ON envelopes
BEGIN
	INSERT INTO heads (device, seq, hash, lamport)
	VALUES (NEW.device, NEW.seq, NEW.hash, NEW.lamport)
	ON CONFLICT (device) DO UPDATE
		SET seq = excluded.seq, hash = excluded.hash, lamport = excluded.lamport
		WHERE excluded.seq > heads.seq;
END;

-- A discarded pending envelope may have been its device's head.
CREATE TRIGGER envelopes_head_discard
AFTER DELETE ON envelopes
BEGIN
	DELETE FROM heads WHERE device = OLD.device;
	INSERT INTO heads (device, seq, hash, lamport)
	SELECT device, seq, hash, lamport FROM envelopes
	WHERE device = OLD.device ORDER BY seq DESC LIMIT 1;
END;

-- The current state of each entity, sealed by the app with the device key.
CREATE TABLE entities (
	id      TEXT PRIMARY KEY,
	kind    TEXT NOT NULL,
	scope   TEXT NOT NULL,
	state   BLOB NOT NULL,
	lamport INTEGER NOT NULL CHECK (lamport >= 0),
	updated INTEGER NOT NULL
);
CREATE INDEX entities_kind ON entities (kind, id);

-- Blind-index tokens: keyed HMACs of normalised terms, pointing at entities.
CREATE TABLE tokens (
	token  BLOB NOT NULL,
	entity TEXT NOT NULL,
	PRIMARY KEY (token, entity)
) WITHOUT ROWID;
CREATE INDEX tokens_entity ON tokens (entity);

-- How many entities carry each token, kept by triggers, so a lookup starts
-- from its rarest token without counting.
CREATE TABLE token_counts (
	token BLOB PRIMARY KEY,
	n     INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER tokens_added
AFTER INSERT ON tokens
BEGIN
	INSERT INTO token_counts (token, n) VALUES (NEW.token, 1)
	ON CONFLICT (token) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER tokens_removed
AFTER DELETE ON tokens
BEGIN
	UPDATE token_counts SET n = n - 1 WHERE token = OLD.token;
	DELETE FROM token_counts WHERE token = OLD.token AND n <= 0;
END;

-- Envelopes waiting to reach the network. The rowid keeps enqueue order.
CREATE TABLE outbox (
	envelope     TEXT NOT NULL UNIQUE REFERENCES envelopes (id),
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	last_error   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_attempt);

-- Local secrets sealed by the device key: cached scope keys, grants, chat
-- history keys.
CREATE TABLE secrets (
	name   TEXT PRIMARY KEY,
	sealed BLOB NOT NULL
) WITHOUT ROWID;
