package frontdesk

import (
	"github.com/medihaven/medihaven/app"
)

// Service is the front desk of one logged-in session: patients'
// registration and demographics, appointments, working hours, recurring
// series and the day's list. Each method checks the role policy as the
// session's own use cases do.
type Service struct {
	c app.Core
}

// New returns the front desk of a session (s.Core()).
func New(c app.Core) *Service { return &Service{c: c} }

// Of is the front desk of s when s is an *app.Session or holds one
// embedded (as the GUI's synced session does); the UI, which sees a
// session only through interfaces, finds the service this way.
func Of(s any) (*Service, bool) {
	c, ok := s.(interface{ Core() app.Core })
	if !ok {
		return nil, false
	}
	return New(c.Core()), true
}
