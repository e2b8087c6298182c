-- 0003: settling pending envelopes by index (issue 17). A pending envelope
-- can move only when the one before it in its device's chain is settled;
-- one that waits for that ("waiting for event N of this device...") is
-- woken by its predecessor, never by a scan. The others (just received,
-- waiting for their author's key or directory entry, a record's first
-- event, the clock, or sent back to be judged again) are few: the fronts,
-- found through this index.
CREATE INDEX envelopes_fronts ON envelopes (lamport, device, seq)
	WHERE state = 0 AND reason NOT LIKE 'waiting for event %';

-- A device's pending run, read in chain order when its front settles.
CREATE INDEX envelopes_pending ON envelopes (device, seq) WHERE state = 0;

-- Envelopes kept sealed for a scope, turned pending again when its key
-- arrives.
CREATE INDEX envelopes_sealed ON envelopes (scope, device, seq) WHERE state = 2;
