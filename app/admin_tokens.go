package app

import (
	"context"
	"time"

	"github.com/medihaven/medihaven/roles"
)

// IssuedToken is a registration token just issued, as the administrator
// hands it to the newcomer: its text (also shown as a QR code) and expiry.
type IssuedToken struct {
	ID      string
	Role    roles.Role
	Text    string // the whole token, "MH1-..."
	Expires time.Time
}

// IssueRegistrationToken is IssueToken for the screens: the token as text,
// so the UI never handles key material types.
func (s *Session) IssueRegistrationToken(ctx context.Context, role roles.Role, ttl time.Duration) (IssuedToken, error) {
	t, err := s.IssueToken(ctx, role, ttl)
	if err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{ID: t.ID, Role: role, Text: t.String(), Expires: t.Expires}, nil
}
