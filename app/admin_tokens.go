package app

import (
	"context"
	"time"

	"github.com/medihaven/medihaven/roles"
)

// IssuedToken is a registration token just issued, as the administrator
// hands it to the newcomer: its text (also shown as a QR code) and expiry.
type IssuedToken struct {
	ID   string
	Role roles.Role
	Text string // the whole token, "MH1-..."
	// Short is its short code (MH2-XXXX-..., to read over the phone and
	// for the QR code) when the clinic's servers have a join desk; "".
	Short string
	// ShortErr says why there is no short code although the profile names
	// a join desk (it did not answer); the whole token still works.
	ShortErr error
	Expires  time.Time
}

// IssueRegistrationToken is IssueToken for the screens: the token as text,
// so the UI never handles key material types, and its short code, left at
// the clinic's join desk.
func (s *Session) IssueRegistrationToken(ctx context.Context, role roles.Role, ttl time.Duration) (IssuedToken, error) {
	t, err := s.IssueToken(ctx, role, ttl)
	if err != nil {
		return IssuedToken{}, err
	}
	it := IssuedToken{ID: t.ID, Role: role, Text: t.String(), Expires: t.Expires}
	if s.Profile().Servers.Desk != "" {
		it.Short, it.ShortErr = s.Deposit(ctx, t)
	}
	return it, nil
}
