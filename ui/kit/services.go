package kit

import (
	"github.com/medihaven/medihaven/app/frontdesk"
)

// The domain services of a session (app/frontdesk, app/interop...) as a
// role's screens find them: each screen package declares the narrow
// interface it consumes, and a test's fake serves it directly.

// FrontDeskOf is the front desk (app/frontdesk) of a session as the
// interface I a role's screens consume: the session itself when it serves
// I (a test's fake), else the service of the app's session behind it
// (frontdesk.Of).
func FrontDeskOf[I any](s any) (I, bool) { return serviceOf[I](s, frontdesk.Of) }

// serviceOf is s as I when it serves I, else the service of returns for
// s, as I.
func serviceOf[I, S any](s any, of func(any) (S, bool)) (I, bool) {
	if x, ok := s.(I); ok {
		return x, true
	}
	if svc, ok := of(s); ok {
		x, ok := any(svc).(I)
		return x, ok
	}
	var none I
	return none, false
}
