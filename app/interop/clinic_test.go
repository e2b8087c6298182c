package interop

import (
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
)

// staff is a staff member's session with its interop service, chart and
// prescribing.
type staff struct {
	*app.Session
	*Service
	*charts
	*prescriptions
}

type (
	charts        = chart.Service
	prescriptions = prescribing.Service
)

func staffOf(s *app.Session) staff {
	return staff{s, New(s.Core()), chart.New(s.Core()), prescribing.New(s.Core())}
}

// clinic is apptest's clinic, each member with their interop service.
type clinic struct {
	*apptest.Clinic
	admin, recep, phys, phys2 staff
}

func newClinic(t testing.TB) *clinic {
	t.Helper()
	c := apptest.NewClinic(t)
	return &clinic{Clinic: c, admin: staffOf(c.Admin), recep: staffOf(c.Recep), phys: staffOf(c.Phys), phys2: staffOf(c.Phys2)}
}
