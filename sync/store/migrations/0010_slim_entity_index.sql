-- 0010: a slimmer index of envelopes by entity (issue 17). The index of
-- (entity, lamport, device, seq) takes about 90 bytes an envelope, on a
-- random key: each catch-up transaction of a few thousand envelopes
-- rewrote most of its pages through the write-ahead log (a newcomer's
-- 40 transactions of 5,000 wrote it again and again). What reads it finds
-- the few envelopes of one record (EnvelopesForEntity, to rebuild a
-- record; AboutFrom, a member's grants) and sorts them: the entity alone
-- finds them, in about half the bytes.
DROP INDEX envelopes_entity;
CREATE INDEX envelopes_entity ON envelopes (entity);
