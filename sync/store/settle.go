package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Settling pending envelopes by index (migrations/0003_settle.sql): a
// catch-up of a hundred thousand envelopes must not read every pending one
// again for each one it applies.

// ChainWait begins the reason of a pending envelope that waits for the one
// before it in its device's chain: it is woken when that one settles, so
// Fronts leaves it out. The replica writes such reasons; 0003_settle.sql
// spells the same words.
const ChainWait = "waiting for event "

// Cursor is a place in Fronts' order (Lamport, device, seq); the zero
// Cursor is before the first.
type Cursor struct {
	Lamport uint64
	Device  string
	Seq     uint64
}

// Of returns the cursor at e.
func Of(e Envelope) Cursor { return Cursor{e.Lamport, e.Device, e.Seq} }

// Fronts returns pending envelopes that do not wait for the one before
// them in their chain (their reason does not begin with ChainWait: just
// received, waiting for their author, a record's first event or the clock,
// or sent back to be judged again), after c in Lamport order (then device,
// then seq), at most limit of them. The partial index holds the fronts
// only.
func (tx *Tx) Fronts(ctx context.Context, c Cursor, limit int) ([]Envelope, error) {
	lamport, err := dbInt("fronts: lamport", c.Lamport)
	if err != nil {
		return nil, err
	}
	seq, err := dbInt("fronts: seq", c.Seq)
	if err != nil {
		return nil, err
	}
	return tx.envelopeList(ctx, "pending fronts",
		`SELECT `+envelopeColumns+` FROM envelopes INDEXED BY envelopes_fronts
		WHERE state = 0 AND reason NOT LIKE 'waiting for event %' AND (lamport, device, seq) > (?, ?, ?)
		ORDER BY lamport, device, seq LIMIT ?`, lamport, c.Device, seq, sqlLimit(limit))
}

// PendingRun returns device's pending envelopes from seq on while they
// follow one another without a gap, in chain order, at most limit.
func (tx *Tx) PendingRun(ctx context.Context, device string, seq uint64, limit int) ([]Envelope, error) {
	from, err := dbInt("pending run: seq", seq)
	if err != nil {
		return nil, err
	}
	rows, err := tx.envelopeList(ctx, fmt.Sprintf("pending envelopes of %s from %d", device, seq), pendingRunQuery, device, from, sqlLimit(limit))
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if rows[i].Seq != seq+uint64(i) {
			return rows[:i], nil
		}
	}
	return rows, nil
}

const pendingRunQuery = `SELECT ` + envelopeColumns + ` FROM envelopes WHERE state = 0 AND device = ? AND seq >= ?
	ORDER BY seq LIMIT ?`

const countPendingQuery = `SELECT count(*) FROM envelopes INDEXED BY envelopes_pending WHERE state = 0`

// CountPending returns how many envelopes are pending.
func (tx *Tx) CountPending(ctx context.Context) (int, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return 0, err
	}
	var n int
	err := tx.tx.QueryRowContext(ctx, countPendingQuery).Scan(&n)
	return n, wrap("count pending envelopes", err)
}

// Sealed returns envelopes kept sealed of scope's epoch (a key for them
// arrived), each device's newest first, before c in that order (the zero
// Cursor: from the top), at most limit: the replica opens them where they
// lie, a page at a time, rather than judging them all again. Newest first,
// so that the records a person looks for today show first while a long
// history is opened.
func (tx *Tx) Sealed(ctx context.Context, scope string, epoch uint32, c Cursor, limit int) ([]Envelope, error) {
	seq, err := dbInt("sealed: seq", c.Seq)
	if err != nil {
		return nil, err
	}
	if c.Device == "" {
		return tx.envelopeList(ctx, "sealed envelopes of "+scope,
			`SELECT `+envelopeColumns+` FROM envelopes INDEXED BY envelopes_sealed
			WHERE state = 2 AND scope = ? AND epoch = ?
			ORDER BY device DESC, seq DESC LIMIT ?`, scope, epoch, sqlLimit(limit))
	}
	return tx.envelopeList(ctx, "sealed envelopes of "+scope,
		`SELECT `+envelopeColumns+` FROM envelopes INDEXED BY envelopes_sealed
		WHERE state = 2 AND scope = ? AND epoch = ? AND (device, seq) < (?, ?)
		ORDER BY device DESC, seq DESC LIMIT ?`, scope, epoch, c.Device, seq, sqlLimit(limit))
}

// CountSealed returns how many envelopes of scope's epoch are kept sealed.
func (tx *Tx) CountSealed(ctx context.Context, scope string, epoch uint32) (int, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return 0, err
	}
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM envelopes INDEXED BY envelopes_sealed
		WHERE state = 2 AND scope = ? AND epoch = ?`, scope, epoch).Scan(&n)
	return n, wrap("count sealed of "+scope, err)
}

// CountSealedIn returns how many envelopes of scope are kept sealed, of
// every epoch: read from the partial index of sealed envelopes alone.
func (tx *Tx) CountSealedIn(ctx context.Context, scope string) (int, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return 0, err
	}
	var n int
	err := tx.tx.QueryRowContext(ctx, countSealedInQuery, scope).Scan(&n)
	return n, wrap("count sealed of "+scope, err)
}

const countSealedInQuery = `SELECT count(*) FROM envelopes INDEXED BY envelopes_sealed WHERE state = 2 AND scope = ?`

// AnySealed reports whether an envelope of scope's epoch is kept sealed.
func (tx *Tx) AnySealed(ctx context.Context, scope string, epoch uint32) (bool, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return false, err
	}
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM envelopes INDEXED BY envelopes_sealed
		WHERE state = 2 AND scope = ? AND epoch = ? LIMIT 1)`, scope, epoch).Scan(&n)
	return n > 0, wrap("any sealed of "+scope, err)
}

// StoredHashes returns the hashes of device's envelopes from..to that are
// stored (in any state), by seq: what a catch-up need not hand over again.
func (tx *Tx) StoredHashes(ctx context.Context, device string, from, to uint64) (map[uint64]string, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return nil, err
	}
	lo, err := dbInt("stored hashes: from", from)
	if err != nil {
		return nil, err
	}
	hi, err := dbInt("stored hashes: to", to)
	if err != nil {
		return nil, err
	}
	const op = "stored hashes"
	rows, err := tx.tx.QueryContext(ctx, `SELECT seq, hash FROM envelopes WHERE device = ? AND seq BETWEEN ? AND ?`, device, lo, hi)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := map[uint64]string{}
	for rows.Next() {
		var seq uint64
		var hash string
		if err := rows.Scan(&seq, &hash); err != nil {
			return nil, wrap(op, err)
		}
		out[seq] = hash
	}
	return out, wrap(op, rows.Err())
}

// ChainStored reports whether device's envelopes 1..seq are all stored, in
// any state: a walk back through its chain may stop there.
func (tx *Tx) ChainStored(ctx context.Context, device string, seq uint64) (bool, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return false, err
	}
	top, err := dbInt("chain stored: seq", seq)
	if err != nil {
		return false, err
	}
	var n int64
	err = tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM envelopes WHERE device = ? AND seq BETWEEN 1 AND ?`, device, top).Scan(&n)
	return n == top, wrap("chain stored", err)
}

// HighestBelow returns the highest seq of device's envelopes stored below
// seq (0: none).
func (tx *Tx) HighestBelow(ctx context.Context, device string, seq uint64) (uint64, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return 0, err
	}
	top, err := dbInt("highest below: seq", seq)
	if err != nil {
		return 0, err
	}
	var n sql.NullInt64
	err = tx.tx.QueryRowContext(ctx, `SELECT max(seq) FROM envelopes WHERE device = ? AND seq < ?`, device, top).Scan(&n)
	return uint64(n.Int64), wrap("highest below", err)
}

// RejectedAuthors returns the authors of envelopes refused by rule of
// policy rule (read through the index by state: the rejected rows only).
func (tx *Tx) RejectedAuthors(ctx context.Context, rule string) ([]string, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return nil, err
	}
	op := "authors refused by " + rule
	rows, err := tx.tx.QueryContext(ctx, `SELECT DISTINCT author FROM envelopes WHERE state = ? AND rule = ? ORDER BY author`, Rejected, rule)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, a)
	}
	return out, wrap(op, rows.Err())
}

// DeviceLoad returns how many of device's envelopes above seq after are
// stored, in any state, and their bytes: what the replica bounds for a
// device no directory entry names (after 0), or for a revoked member's
// past the head her revocation read.
func (tx *Tx) DeviceLoad(ctx context.Context, device string, after uint64) (n int, bytes int64, err error) {
	if err := tx.writeAdded(ctx); err != nil {
		return 0, 0, err
	}
	at, err := dbInt("device load: seq", after)
	if err != nil {
		return 0, 0, err
	}
	err = tx.tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum((SELECT length(raw) FROM envelope_bytes WHERE n = body)), 0) FROM envelopes WHERE device = ? AND seq > ?`,
		device, at).Scan(&n, &bytes)
	return n, bytes, wrap("device load", err)
}
