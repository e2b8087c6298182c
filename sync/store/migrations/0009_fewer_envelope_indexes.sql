-- 0009: fewer indexes on the envelope row (issue 17: a newcomer applies
-- 200,000 envelopes, and every index is written for each of them).
-- envelopes_state (state, lamport, device, seq) served only the highest
-- clock (MaxLamport: the Lamport index, from the top, finds it) and the
-- envelopes in one state (EnvelopesInState), and counting them by state;
-- pending and sealed envelopes have their partial indexes (0003), and
-- rejected ones, few, get one here. Applied envelopes are counted as
-- what is left of the whole (the Lamport index is the smallest to count).
DROP INDEX envelopes_state;

CREATE INDEX envelopes_rejected ON envelopes (device, seq) WHERE state = 3;
