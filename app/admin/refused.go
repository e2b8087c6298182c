package admin

import (
	"context"
	"fmt"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// RefusedPage is how many refused events the audit screen shows at once.
const RefusedPage = 50

// Refused returns the events this workstation refused of what other
// workstations' software signed, newest first: when, who, which
// workstation, which kind of record and why in plain words
// (replica.Refusal), never what they wrote. It skips offset of them,
// returns at most limit, and says how many there are in all.
func (s *Service) Refused(ctx context.Context, offset, limit int) ([]replica.Refusal, int, error) {
	r, err := s.c.ReplicaFor(roles.ReadAudit)
	if err != nil {
		return nil, 0, err
	}
	list, total, err := r.Refused(ctx, offset, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("admin: refused events: %w", err)
	}
	return list, total, nil
}
