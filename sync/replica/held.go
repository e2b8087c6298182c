package replica

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/medihaven/medihaven/roles"
)

// heldField names one scope epoch in a key-held record.
func heldField(scope string, epoch uint32) string {
	return scope + "/" + strconv.FormatUint(uint64(epoch), 10)
}

func heldFromState(st State) map[string]bool {
	out := make(map[string]bool, len(st))
	for name, c := range st {
		if string(c.V) == "true" {
			out[name] = true
		}
	}
	return out
}

// AcknowledgeKeys records, in this member's key-held record (directory
// scope), every scope key this workstation holds that the record does not
// name yet, so the other workstations stop granting it (see Granted). It
// returns how many keys it acknowledged; nothing while this member is not
// an active member of the directory or holds no directory key.
func (r *Replica) AcknowledgeKeys(ctx context.Context) (int, error) {
	r.state.RLock()
	m, ok := r.members[r.fp]
	fields := Fields{}
	for scope, epochs := range r.keys {
		for epoch := range epochs {
			if f := heldField(scope, epoch); !r.held[r.fp][f] {
				fields[f] = mustJSON(true)
			}
		}
	}
	_, dir := r.newestKey(string(roles.Directory))
	r.state.RUnlock()
	if !ok || !m.Active() || !dir || len(fields) == 0 {
		return 0, nil
	}
	// One event writes at most roles.MaxEventFields of them (the fields rule).
	b := r.Batch()
	for chunk := range slices.Chunk(slices.Sorted(maps.Keys(fields)), roles.MaxEventFields) {
		f := Fields{}
		for _, name := range chunk {
			f[name] = fields[name]
		}
		b.Append(Change{Entity: HeldEntity(r.fp), Kind: KindKeyHeld, Scope: roles.Directory, Fields: f})
	}
	if _, err := b.Commit(ctx); err != nil {
		return 0, fmt.Errorf("replica: acknowledge the keys this workstation holds: %w", err)
	}
	return len(fields), nil
}

// Acknowledged reports whether member acknowledged holding epoch of scope.
func (r *Replica) Acknowledged(member string, scope roles.Scope, epoch uint32) bool {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.held[member][heldField(string(scope), epoch)]
}
