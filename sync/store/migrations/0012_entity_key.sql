-- 0012: the envelopes' index by record on a short key (issue 17: a
-- newcomer's apply). The index of the record's id (0010) kept its 32 hex
-- characters for every envelope, on a random key: each catch-up
-- transaction of a few thousand envelopes rewrote nearly every page of it
-- through the write-ahead log (22,473 of the 155,537 pages a
-- 100,000-patient newcomer wrote). A hex id is now indexed by its first 8
-- bytes (unhex of its first 16 characters), an id in any other form by
-- itself; what reads the index asks for the same key and the id itself
-- (envelopes.go, entityKey), so two records whose ids share a key are
-- told apart.
DROP INDEX envelopes_entity;
CREATE INDEX envelopes_entity ON envelopes (coalesce(unhex(substr(entity, 1, 16)), entity));
