package store

import (
	"context"
	"database/sql"
	"errors"
)

// Tip is the last envelope of one device's chain as this store holds it.
type Tip struct {
	Seq  uint64
	Hash string
}

// ChainTip returns the envelope of device with the highest seq, whatever
// its state; false when the store holds none. One indexed read (device,
// seq): a workstation opening its own chain must not read all of it.
func (tx *Tx) ChainTip(ctx context.Context, device string) (Tip, bool, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return Tip{}, false, err
	}
	var t Tip
	var seq int64
	err := tx.tx.QueryRowContext(ctx, `SELECT seq, hash FROM envelopes WHERE device = ? ORDER BY seq DESC LIMIT 1`, device).
		Scan(&seq, &t.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Tip{}, false, nil
	}
	if err != nil {
		return Tip{}, false, wrap("chain tip of "+device, err)
	}
	t.Seq = uint64(seq)
	return t, true, nil
}

// AboutFrom returns the envelopes of kind about entity that device wrote,
// in seq order, through the entity index: e.g. the key grants one
// workstation wrote to one member, without reading its whole chain.
func (tx *Tx) AboutFrom(ctx context.Context, entity, device, kind string) ([]Envelope, error) {
	return tx.envelopeList(ctx, kind+" envelopes of "+device+" about "+entity, aboutFromQuery, entity, device, kind)
}

// The unary + keeps SQLite on the entity index: by (device, seq) it would
// read the device's whole chain.
const aboutFromQuery = `SELECT ` + envelopeColumns + ` FROM envelopes WHERE entity = ? AND +device = ? AND +kind = ?
	ORDER BY seq`
