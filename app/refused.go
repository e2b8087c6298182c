package app

import (
	"context"
	"fmt"

	"github.com/medihaven/medihaven/sync/store"
)

// RefusedCount is how many events this workstation refused of what other
// workstations' software signed (the status bar's count; the audit
// screen lists them for an administrator).
func (s *Session) RefusedCount(ctx context.Context) (int, error) {
	r, err := s.live()
	if err != nil {
		return 0, err
	}
	var n int
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		n, err = tx.CountRefused(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("app: count the refused events: %w", err)
	}
	return n, nil
}
