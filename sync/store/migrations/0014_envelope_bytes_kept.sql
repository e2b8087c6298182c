-- 0014: an envelope's bytes kept as its row is (issue 17, session 28).
-- Since 0013 an envelope's bytes are a row of envelope_bytes; its row in
-- envelopes is never deleted once judged (envelopes_kept) and its bytes
-- never changed (envelope_bytes_immutable), but a DELETE of the bytes'
-- row itself was not refused. It is now, unless the row's envelope is
-- being discarded (the one path by which a pending envelope goes, and
-- its bytes with it): envelopes_bytes_discarded marks the bytes' number
-- in envelope_bytes_freed before it deletes them, and clears the mark
-- after. No index is added: the guard costs a discard one lookup, and a
-- stored envelope nothing.
CREATE TABLE envelope_bytes_freed (
	n INTEGER PRIMARY KEY
);

DROP TRIGGER envelopes_bytes_discarded;

CREATE TRIGGER envelopes_bytes_discarded
AFTER DELETE ON envelopes
BEGIN
	INSERT INTO envelope_bytes_freed (n) VALUES (OLD.body);
	DELETE FROM envelope_bytes WHERE n = OLD.body;
	DELETE FROM envelope_bytes_freed WHERE n = OLD.body;
END;

CREATE TRIGGER envelope_bytes_kept
BEFORE DELETE ON envelope_bytes
WHEN NOT EXISTS (SELECT 1 FROM envelope_bytes_freed WHERE n = OLD.n)
BEGIN
	SELECT RAISE(ABORT, 'envelopes are never deleted');
END;
