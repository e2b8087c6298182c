package ui

import (
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/physician"
)

// The physician's screens (ui/physician).
func init() {
	register(roles.Physician, "Calendar", screenOf[physician.Session](physician.NewCalendar))
	register(roles.Physician, "Patients", screenOf[physician.Session](physician.NewPatients))
	register(roles.Physician, "Prescriptions", screenOf[physician.Session](physician.NewPrescriptions))
}
