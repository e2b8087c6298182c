package replica

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Written is one applied event of a record as it was written: when, by
// whom (their key's fingerprint), and the fields it wrote.
type Written struct {
	Time   time.Time
	Author string
	Fields map[string]json.RawMessage
}

// History returns the applied events of the record id of kind in scope,
// oldest first ((Lamport, device) order), from every workstation, opened
// with the scope keys r holds (an event of an epoch it lacks is left out).
// The caller checks first that its member may read the record.
func (r *Replica) History(ctx context.Context, scope roles.Scope, kind, id string) ([]Written, error) {
	var rows []store.Envelope
	if err := r.DB().View(ctx, func(tx *store.Tx) error {
		var err error
		rows, err = tx.EnvelopesForEntity(ctx, id)
		return err
	}); err != nil {
		return nil, err
	}
	keys := map[uint32]crypto.ScopeKey{}
	for _, k := range r.Keys(scope) {
		keys[k.Epoch] = k
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Lamport != rows[j].Lamport {
			return rows[i].Lamport < rows[j].Lamport
		}
		return rows[i].Device < rows[j].Device
	})
	var out []Written
	for _, row := range rows {
		k, ok := keys[row.Epoch]
		if row.State != store.Applied || row.Kind != kind || !ok {
			continue
		}
		_, fields, err := openStored(row.Raw, k)
		if err != nil {
			return nil, err
		}
		out = append(out, Written{Time: time.UnixMilli(row.Time), Author: row.Author, Fields: fields})
	}
	return out, nil
}
