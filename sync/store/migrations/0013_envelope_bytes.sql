-- 0013: an envelope's bytes kept outside its row (issue 17, session 27).
-- A newcomer stores the events of a scope whose key it does not hold yet
-- sealed, and marks every one of them applied once the key comes: 200,000
-- UPDATEs of the state column, each of which rewrote the whole row, its
-- 782 bytes of signed ciphertext included (every page of the table written
-- again, ~1.2 KB an envelope). The bytes never change, so they move to a
-- table of their own, numbered in the order they are stored; the row keeps
-- the header, the state and the number of its bytes (body). What the
-- bytes are does not change: the signed, sealed event as received.
CREATE TABLE envelope_bytes (
	n   INTEGER PRIMARY KEY,
	raw BLOB NOT NULL
);

INSERT INTO envelope_bytes (n, raw) SELECT rowid, raw FROM envelopes;

ALTER TABLE envelopes ADD COLUMN body INTEGER NOT NULL DEFAULT 0;
UPDATE envelopes SET body = rowid;

DROP TRIGGER envelopes_immutable;
ALTER TABLE envelopes DROP COLUMN raw;

CREATE TRIGGER envelopes_immutable
BEFORE UPDATE OF id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, body
ON envelopes
BEGIN
	SELECT RAISE(ABORT, 'envelopes are immutable');
END;

CREATE TRIGGER envelope_bytes_immutable
BEFORE UPDATE ON envelope_bytes
BEGIN
	SELECT RAISE(ABORT, 'envelopes are immutable');
END;

-- A pending envelope discarded (the only kind envelopes_kept lets go)
-- takes its bytes with it.
CREATE TRIGGER envelopes_bytes_discarded
AFTER DELETE ON envelopes
BEGIN
	DELETE FROM envelope_bytes WHERE n = OLD.body;
END;
