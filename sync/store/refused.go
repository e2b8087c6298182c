package store

import "context"

// refused.go: the envelopes this workstation refused, for the people who
// must see them (the audit screen's "Refused" list, a chart's note that a
// prescription for its patient was refused). Read only: nothing here
// changes an envelope's state; the rules that refuse are sync/replica's.

// refusedColumns select what envelopeColumns do but the bytes: a list of
// refusals shows headers, and the signed ciphertext stays unread.
const refusedColumns = `id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time,
	x'', state, reason, rule`

// RefusedPage returns refused envelopes, newest first by the time their
// header states (then device, then seq, from the highest), skipping the
// first offset of them and returning at most limit (0 or less: all); Raw
// is empty. total is how many are refused in all. Found by the refused
// envelopes' own index (0009), so a profile of a million applied events
// reads only its refusals.
func (tx *Tx) RefusedPage(ctx context.Context, offset, limit int) (page []Envelope, total int, err error) {
	if total, err = tx.CountRefused(ctx); err != nil {
		return nil, 0, err
	}
	page, err = tx.envelopeList(ctx, "refused envelopes", refusedPageQuery, sqlLimit(limit), max(offset, 0))
	return page, total, err
}

// state = 3 (Rejected) is written out: the partial index serves only a
// query that names its own condition.
const refusedPageQuery = `SELECT ` + refusedColumns + ` FROM envelopes INDEXED BY envelopes_rejected
	WHERE state = 3 ORDER BY time DESC, device, seq DESC LIMIT ? OFFSET ?`

// CountRefused returns how many envelopes this workstation refused,
// counted in their own index.
func (tx *Tx) CountRefused(ctx context.Context) (int, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return 0, err
	}
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM envelopes INDEXED BY envelopes_rejected WHERE state = 3`).Scan(&n)
	return n, wrap("count refused envelopes", err)
}
