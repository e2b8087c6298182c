package kit

import (
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
)

// ChartOf is the chart (app/chart) of a session as the interface I a
// role's screens consume: the session itself when it serves I (a test's
// fake), else the service of the app's session behind it (chart.Of).
func ChartOf[I any](s any) (I, bool) { return serviceOf[I](s, chart.Of) }

// PrescribingOf is the prescribing (app/prescribing) of a session as the
// interface I a role's screens consume: the session itself when it serves
// I (a test's fake), else the service of the app's session behind it
// (prescribing.Of).
func PrescribingOf[I any](s any) (I, bool) { return serviceOf[I](s, prescribing.Of) }
