-- 0015: a record's envelopes found through its number (issue 17, session
-- 29). Every stored envelope wrote the index of envelopes by entity
-- (0010) on a random key, the entity's id: a newcomer's 200,000 envelopes
-- paid for it once each (0.5-1 s of the 100,000-patient replay's 18-20).
-- A record the store holds anything of has a number (entity_numbers),
-- handed out in the order records arrive; an envelope now keeps the
-- number its record had when the envelope was stored, as far as the
-- transaction storing it knew (entity_n; 0: none known, as for a
-- directory entry whose state is written after it: no read is spent to
-- find it), and the envelopes with a number are indexed by it: that index
-- only grows at its end while new records come. Those without one keep
-- the index by entity, now only theirs. What reads a record's envelopes
-- reads both (sync/store/envelopes.go, byEntity). No record is numbered
-- here: the numbers are sealed rows (sealrows.go), and a migration cannot
-- mark them; an envelope stored before its record was numbered stays in
-- the index by entity. entity_n is no more sealed than entity is: it only
-- finds rows, and what is read of them is checked against entity.
ALTER TABLE envelopes ADD COLUMN entity_n INTEGER NOT NULL DEFAULT 0;

UPDATE envelopes SET entity_n = i.n
FROM entity_numbers i
WHERE i.id = CASE
	WHEN length(envelopes.entity) > 0 AND length(envelopes.entity) % 2 = 0
		AND envelopes.entity NOT GLOB '*[^0-9a-f]*' THEN unhex(envelopes.entity)
	ELSE envelopes.entity END;

DROP INDEX envelopes_entity;
CREATE INDEX envelopes_numbered ON envelopes (entity_n) WHERE entity_n != 0;
CREATE INDEX envelopes_entity ON envelopes (entity) WHERE entity_n = 0;

DROP TRIGGER envelopes_immutable;

CREATE TRIGGER envelopes_immutable
BEFORE UPDATE OF id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, body, entity_n
ON envelopes
BEGIN
	SELECT RAISE(ABORT, 'envelopes are immutable');
END;
