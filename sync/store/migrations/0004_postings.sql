-- 0004: a compact blind index (issue 17: the index took 210 MB, 2.1 KB per
-- patient, of a 100,000-patient profile). A token is kept as its first 64
-- bits, an INTEGER; an entity as a small number; each posting is one row of
-- a WITHOUT ROWID table, about 14 bytes. Two tokens that share their first
-- 64 bits are told apart after decryption: a search checks each record it
-- found against the terms it asked for. The tokens of each entity are kept
-- as one blob, so replacing them needs no second index over the postings.
-- The old tokens cannot be truncated in SQL: the replica indexes every
-- record again on its next open (meta 'store/reindex').
DROP TRIGGER tokens_added;
DROP TRIGGER tokens_removed;
DROP TABLE token_counts;
DROP TABLE tokens;

-- Entities that carry tokens, numbered.
CREATE TABLE entity_numbers (
	n  INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE
);

CREATE TABLE postings (
	token  INTEGER NOT NULL,
	entity INTEGER NOT NULL,
	PRIMARY KEY (token, entity)
) WITHOUT ROWID;

-- Each entity's tokens: 8 bytes each, big-endian, in order.
CREATE TABLE entity_tokens (
	entity INTEGER PRIMARY KEY,
	tokens BLOB NOT NULL
);

-- How many entities carry each token, kept by triggers, so a lookup starts
-- from its rarest token without counting.
CREATE TABLE token_counts (
	token INTEGER PRIMARY KEY,
	n     INTEGER NOT NULL
);

CREATE TRIGGER postings_added
AFTER INSERT ON postings
BEGIN
	INSERT INTO token_counts (token, n) VALUES (NEW.token, 1)
	ON CONFLICT (token) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER postings_removed
AFTER DELETE ON postings
BEGIN
	UPDATE token_counts SET n = n - 1 WHERE token = OLD.token;
	DELETE FROM token_counts WHERE token = OLD.token AND n <= 0;
END;

INSERT INTO meta (key, value) SELECT 'store/reindex', x'01' WHERE EXISTS (SELECT 1 FROM entities)
	ON CONFLICT (key) DO UPDATE SET value = excluded.value;
