-- 0012: the outbox table goes. Since session 15 a workstation pushes its own
-- chain above the last pushed sequence (sync/netsync/push.go, MetaPackSeq):
-- the table was only written by every Append and cleared by every push, so
-- it cost a write per event and decided nothing (a row deleted or lost left
-- nothing behind). What waits to go out is the own chain past that
-- sequence (netsync.Unsent).
DROP INDEX IF EXISTS outbox_due;
DROP TABLE IF EXISTS outbox;
