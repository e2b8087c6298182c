package store

import "context"

// OutboxItem is an envelope waiting to reach the network. Times are
// whatever clock the caller passes to Enqueue, Due and MarkFailed (unix
// milliseconds in Medihaven).
type OutboxItem struct {
	EnvelopeID  string
	Attempts    int   // failed attempts so far
	NextAttempt int64 // not due before this time
	LastError   string
}

// Enqueue puts a stored envelope in the outbox, due at now. Enqueueing it
// again while it waits changes nothing; an envelope that is not stored
// gives ErrNotFound.
func (tx *Tx) Enqueue(ctx context.Context, envelopeID string, now int64) error {
	if err := tx.writeAdded(ctx); err != nil {
		return err
	}
	op := "enqueue " + envelopeID
	res, err := tx.tx.ExecContext(ctx,
		`INSERT INTO outbox (envelope, next_attempt)
		SELECT id, ? FROM envelopes WHERE id = ?
		ON CONFLICT (envelope) DO NOTHING`,
		now, envelopeID)
	if err != nil {
		return wrap(op, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return wrap(op, err)
	}
	// Nothing inserted: already waiting, or no such envelope.
	var one int
	err = tx.tx.QueryRowContext(ctx, `SELECT 1 FROM envelopes WHERE id = ?`, envelopeID).Scan(&one)
	return wrap(op, err)
}

// Due returns the items due at now, earliest first and in the order they
// were enqueued among equals, at most limit of them (0 or less: all).
func (tx *Tx) Due(ctx context.Context, now int64, limit int) ([]OutboxItem, error) {
	rows, err := tx.tx.QueryContext(ctx,
		`SELECT envelope, attempts, next_attempt, last_error FROM outbox
		WHERE next_attempt <= ? ORDER BY next_attempt, rowid LIMIT ?`,
		now, sqlLimit(limit))
	if err != nil {
		return nil, wrap("outbox due", err)
	}
	defer rows.Close()
	var items []OutboxItem
	for rows.Next() {
		var it OutboxItem
		if err := rows.Scan(&it.EnvelopeID, &it.Attempts, &it.NextAttempt, &it.LastError); err != nil {
			return nil, wrap("outbox due", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("outbox due", err)
	}
	return items, nil
}

// MarkSent removes an envelope from the outbox; one that is not waiting is
// not an error.
func (tx *Tx) MarkSent(ctx context.Context, envelopeID string) error {
	_, err := tx.tx.ExecContext(ctx, `DELETE FROM outbox WHERE envelope = ?`, envelopeID)
	return wrap("mark sent "+envelopeID, err)
}

// MarkFailed counts a failed attempt, keeps why (for people; never patient
// data) and makes the item due again at next. It returns ErrNotFound when
// the envelope is not waiting.
func (tx *Tx) MarkFailed(ctx context.Context, envelopeID string, reason string, next int64) error {
	res, err := tx.tx.ExecContext(ctx,
		`UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt = ? WHERE envelope = ?`,
		reason, next, envelopeID)
	return wrap("mark failed "+envelopeID, changedOne(res, err))
}

// OutboxLen returns how many envelopes wait in the outbox, due or not.
func (tx *Tx) OutboxLen(ctx context.Context) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox`).Scan(&n)
	return n, wrap("outbox length", err)
}
