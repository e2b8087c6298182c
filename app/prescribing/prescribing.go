package prescribing

import (
	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
)

// Service is the prescribing of one logged-in session: the formulary,
// the checks before signing, signed prescriptions, their cancellation,
// renewal, verification and print. Each method checks the role policy as
// the session's own use cases do.
type Service struct {
	c app.Core
}

// New returns the prescribing of a session (s.Core()).
func New(c app.Core) *Service { return &Service{c: c} }

// Of is the prescribing of s when s is an *app.Session or holds one
// embedded (as the GUI's synced session does); the UI, which sees a
// session only through interfaces, finds the service this way.
func Of(s any) (*Service, bool) {
	if c, ok := app.CoreOf(s); ok {
		return New(c), true
	}
	return nil, false
}

// The prescription as the chart reads it, under the names prescribing
// speaks of.
type (
	// Prescription is a signed e-prescription.
	Prescription = chart.Prescription
	// RxItem is one drug of a prescription.
	RxItem = chart.RxItem
	// RxCancellation is the signed cancellation of a prescription.
	RxCancellation = chart.RxCancellation
)

// Prescription statuses.
const (
	RxActive    = chart.RxActive
	RxCancelled = chart.RxCancelled
)
