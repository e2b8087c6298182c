package admin

import "github.com/medihaven/medihaven/app"

// Service is the administration views of a logged-in session.
type Service struct {
	c app.Core
}

// New returns the administration views of a session (s.Core()).
func New(c app.Core) *Service { return &Service{c: c} }

// Of is the administration views of s when s is an *app.Session or holds
// one embedded (as the GUI's synced session does); the UI, which sees a
// session only through interfaces, finds the service this way.
func Of(s any) (*Service, bool) {
	c, ok := app.CoreOf(s)
	if !ok {
		return nil, false
	}
	return New(c), true
}
