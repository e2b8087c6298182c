-- 0011: the heads are moved on insert by the store, not by a trigger
-- (issue 17: a newcomer stores 200,000 envelopes, and the trigger ran its
-- upsert into heads for every one of them; the store now moves each
-- device's head once per statement of up to 64 envelopes, to the highest
-- one it stored applied or sealed: envelopes.go, moveHeads). What the
-- trigger did, the store does: an envelope stored applied or sealed
-- becomes its device's head when its seq is higher. The triggers on a
-- change of state (envelopes_head_vouched, envelopes_head_withdrawn) stay.
DROP TRIGGER IF EXISTS envelopes_head;
