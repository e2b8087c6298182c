package replica

import (
	"context"
	"fmt"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// mendValueReasons writes again the reason of every envelope the value
// rules refused (roles.Kind.Values): the reason is a column in clear of
// the store, and session 28's rules quoted what they refused (a
// prescription's drug and dose, a booking's start) until session 29. Run
// with mendFields, once per version of the declarations. An envelope whose
// payload this workstation cannot open, or that the value rules no longer
// refuse, keeps its reason (it never held their words).
func (r *Replica) mendValueReasons(ctx context.Context) error {
	return r.p.DB.Update(ctx, func(tx *store.Tx) error {
		for _, k := range roles.Kinds() {
			if k.Values.Check == nil {
				continue
			}
			rows, err := tx.RefusedOfKind(ctx, k.Name)
			if err != nil {
				return fmt.Errorf("replica: the refused %s records: %w", k.Name, err)
			}
			for _, row := range rows {
				if row.Rule != ruleContent || row.Time < roles.ValuesSince {
					continue
				}
				env, f, err := r.storedFields(row)
				if err != nil {
					continue // sealed to a key this workstation lacks: nothing of it was read
				}
				bad := checkPin(env.Header, f)
				if bad == nil || bad.Error() == row.Reason {
					continue
				}
				if err := tx.Refuse(ctx, row.ID, ruleContent, bad.Error()); err != nil {
					return fmt.Errorf("replica: the reason of refused envelope %s: %w", row.ID, err)
				}
			}
		}
		return nil
	})
}
