package replica

// mendids.go judges again, on upgrade, what a version from before the ids
// rule (rules.go: a directory or admin kind writes ids of its own shape,
// no other kind's id has one; session 17) applied. There, an event of a
// directory or admin kind under a data record's id won the id by kind
// precedence and the data record's events were refused for the binding.

import (
	"context"
	"fmt"
	"slices"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// mendIDs refuses, by the kind rule, the stored claims whose ids break
// the ids rule, on the records where it may have changed anything: records
// of a directory or admin kind, and records some of whose events were
// refused for the binding. Each such record is bound again (rebind): the
// events of the kind that now wins, refused only for the binding, are
// judged again at the next Apply, and the record is rebuilt. Called by
// mendFields, once per version of the declarations (roles.FieldsVersion
// covers the shapes of ids).
//
// Records whose binding's kind may not have their id (an id of another
// kind's shape, or bound to another kind: roles.Kind.CheckID) are judged
// too, whether or not anything contested them (session 19 review
// h-sec19b: an uncontested claim under a patient's bound id stood on
// upgraded workstations, refused on the others). Every event arriving
// from now on is judged by the rule, and bind mends a claim it finds
// under an id its kind may not have (mendID).
func (r *Replica) mendIDs(ctx context.Context, tx *store.Tx) error {
	defer r.begin()()
	var suspects []string
	rows, err := tx.EnvelopesInState(ctx, store.Rejected, 0)
	if err != nil {
		return fmt.Errorf("replica: refused envelopes: %w", err)
	}
	for _, row := range rows {
		if row.Rule == ruleBinding {
			suspects = append(suspects, row.Entity)
		}
	}
	// A claim a version before applied under an id its kind may not have,
	// which nothing contested (an id bound to another kind: revisions 10
	// and 11), holds its record's binding: refused as on every workstation
	// of this version (session 19 review h-sec19b).
	bound, err := tx.BoundKinds(ctx)
	if err != nil {
		return fmt.Errorf("replica: bound records: %w", err)
	}
	for id, kind := range bound {
		if k, ok := roles.KindOf(kind); ok && k.CheckID(id) != nil {
			suspects = append(suspects, id)
		}
	}
	for _, k := range roles.Kinds() {
		if !k.Shaped() {
			continue
		}
		es, err := tx.EntitiesOfKind(ctx, k.Name, -1, 0)
		if err != nil {
			return fmt.Errorf("replica: %s records: %w", k.Name, err)
		}
		for _, e := range es {
			suspects = append(suspects, e.ID)
		}
	}
	slices.Sort(suspects)
	for _, id := range slices.Compact(suspects) {
		if err := r.mendID(ctx, tx, id); err != nil {
			return err
		}
	}
	return r.writeIndex(ctx, tx)
}

// mendID refuses the claims on record id whose kind may not have that id,
// and binds the record again if it refused any.
func (r *Replica) mendID(ctx context.Context, tx *store.Tx, id string) error {
	rows, err := tx.EnvelopesForEntity(ctx, id)
	if err != nil {
		return fmt.Errorf("replica: events of %s: %w", id, err)
	}
	mended := false
	for _, row := range rows {
		k, ok := roles.KindOf(row.Kind)
		if !ok || k.Raw || !isClaim(row) {
			continue
		}
		if bad := k.CheckID(id); bad != nil {
			if err := r.setState(ctx, tx, row, refused(ruleKind, "%v", bad)); err != nil {
				return err
			}
			mended = true
		}
	}
	if !mended {
		return nil
	}
	return r.rebind(ctx, tx, id, nil)
}
