-- 0002: what every workstation needs to judge envelopes alike, whatever
-- order they arrive in (issue 13: the replica holds against a hostile
-- member). sync/replica writes these tables; the rules are in its apply.go.

-- Which rule of policy refused a rejected envelope: 'binding', 'role',
-- 'revoked', 'clock', 'kind'... An envelope refused by policy was signed by
-- its device's owner and chained correctly, so it keeps its place in the
-- chain and the events after it are judged on their own. '' means the chain
-- itself is broken there (or the envelope was rejected before this column
-- existed): every later event of the device is refused too.
ALTER TABLE envelopes ADD COLUMN rule TEXT NOT NULL DEFAULT '';

-- The kind and scope of each record (entity), fixed by the claim that wins:
-- the verified event of the highest precedence, then the earliest by
-- (lamport, device, seq), whose author may create its kind. Kept for
-- records known only as sealed envelopes too (a receptionist's workstation
-- and a clinical note), so no event of another kind or scope can touch
-- them on any workstation.
CREATE TABLE bindings (
	entity  TEXT PRIMARY KEY,
	kind    TEXT NOT NULL,
	scope   TEXT NOT NULL,
	event   TEXT NOT NULL,
	lamport INTEGER NOT NULL CHECK (lamport >= 0),
	device  TEXT NOT NULL,
	seq     INTEGER NOT NULL CHECK (seq >= 0)
) WITHOUT ROWID;

-- Records that existed before: bound to the kind and scope they hold, by
-- their earliest applied event of that kind; records known only sealed, by
-- their earliest sealed event of a data scope.
INSERT OR IGNORE INTO bindings (entity, kind, scope, event, lamport, device, seq)
SELECT e.entity, e.kind, e.scope, e.id, e.lamport, e.device, e.seq
FROM envelopes e JOIN entities n ON n.id = e.entity AND n.kind = e.kind AND n.scope = e.scope
WHERE e.state = 1
ORDER BY e.lamport, e.device, e.seq;

INSERT OR IGNORE INTO bindings (entity, kind, scope, event, lamport, device, seq)
SELECT entity, kind, scope, id, lamport, device, seq
FROM envelopes
WHERE state = 2 AND kind NOT IN ('key', 'grant', 'enroll')
	AND scope IN ('directory', 'frontdesk', 'clinical', 'admin')
ORDER BY lamport, device, seq;

-- Which member each device belongs to: the author of its first event (the
-- device's public key). Every later event of the device must be theirs.
CREATE TABLE devices (
	device TEXT PRIMARY KEY,
	author TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX devices_author ON devices (author, device);

INSERT OR IGNORE INTO devices (device, author)
SELECT device, author FROM envelopes WHERE seq = 1 AND state IN (1, 2);

-- Heads count only what this workstation vouches for: applied or sealed
-- envelopes, never pending (unverified) or rejected ones, so an envelope
-- far ahead that nobody verified never becomes a device's head.
DROP TRIGGER envelopes_head;
DROP TRIGGER envelopes_head_discard;
DELETE FROM heads;
INSERT INTO heads (device, seq, hash, lamport)
SELECT device, max(seq), hash, lamport FROM envelopes WHERE state IN (1, 2) GROUP BY device;

CREATE TRIGGER envelopes_head
AFTER INSERT ON envelopes
WHEN NEW.state IN (1, 2)
BEGIN
	INSERT INTO heads (device, seq, hash, lamport)
	VALUES (NEW.device, NEW.seq, NEW.hash, NEW.lamport)
	ON CONFLICT (device) DO UPDATE
		SET seq = excluded.seq, hash = excluded.hash, lamport = excluded.lamport
		WHERE excluded.seq > heads.seq;
END;

CREATE TRIGGER envelopes_head_vouched
AFTER UPDATE OF state ON envelopes
WHEN NEW.state IN (1, 2) AND OLD.state NOT IN (1, 2)
BEGIN
	INSERT INTO heads (device, seq, hash, lamport)
	VALUES (NEW.device, NEW.seq, NEW.hash, NEW.lamport)
	ON CONFLICT (device) DO UPDATE
		SET seq = excluded.seq, hash = excluded.hash, lamport = excluded.lamport
		WHERE excluded.seq > heads.seq;
END;

CREATE TRIGGER envelopes_head_withdrawn
AFTER UPDATE OF state ON envelopes
WHEN OLD.state IN (1, 2) AND NEW.state NOT IN (1, 2)
BEGIN
	DELETE FROM heads WHERE device = NEW.device;
	INSERT INTO heads (device, seq, hash, lamport)
	SELECT device, seq, hash, lamport FROM envelopes
	WHERE device = NEW.device AND state IN (1, 2) ORDER BY seq DESC LIMIT 1;
END;
