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
// in seq order, through the indexes of the entity's envelopes (byEntity):
// e.g. the key grants one workstation wrote to one member, without
// reading its whole chain.
func (tx *Tx) AboutFrom(ctx context.Context, entity, device, kind string) ([]Envelope, error) {
	return tx.envelopeList(ctx, kind+" envelopes of "+device+" about "+entity, aboutFromQuery, idKey(entity), entity, device, kind)
}

// The unary + keeps SQLite on the entity's indexes: by (device, seq) it
// would read the device's whole chain.
var aboutFromQuery = byEntity(envelopeColumns, ` AND +device = ?3 AND +kind = ?4`, "seq")

// GrantAbout is what a key grant's clear header says: who wrote it, which
// scope epoch it carries, and whether it was applied.
type GrantAbout struct {
	Author string
	Scope  string
	Epoch  uint32
	State  EnvelopeState
}

// GrantsAbout returns the headers of every key grant addressed to member
// (a grant is about its recipient), in no order, through the indexes of
// its envelopes (byEntity).
func (tx *Tx) GrantsAbout(ctx context.Context, member string) ([]GrantAbout, error) {
	if err := tx.writeAdded(ctx); err != nil {
		return nil, err
	}
	rows, err := tx.tx.QueryContext(ctx, grantsAboutQuery, idKey(member), member)
	if err != nil {
		return nil, wrap("key grants to "+member, err)
	}
	defer rows.Close()
	var out []GrantAbout
	for rows.Next() {
		var g GrantAbout
		if err := rows.Scan(&g.Author, &g.Scope, &g.Epoch, &g.State); err != nil {
			return nil, wrap("key grants to "+member, err)
		}
		out = append(out, g)
	}
	return out, wrap("key grants to "+member, rows.Err())
}

var grantsAboutQuery = byEntity("author, scope, epoch, state", ` AND +kind = 'grant'`, "")
