package ui

import (
	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/physician"
)

// The physician's screens (ui/physician).
func init() {
	register(roles.Physician, "Calendar", func(s Session, w fyne.Window) fyne.CanvasObject {
		c, ok := s.(physician.Clinic)
		if !ok {
			return nil
		}
		return physician.NewCalendar(c, w)
	})
	register(roles.Physician, "Patients", func(s Session, w fyne.Window) fyne.CanvasObject {
		c, ok := s.(physician.Clinic)
		if !ok {
			return nil
		}
		return physician.NewPatients(c, w)
	})
	register(roles.Physician, "Prescriptions", func(s Session, w fyne.Window) fyne.CanvasObject {
		c, ok := s.(physician.Clinic)
		if !ok {
			return nil
		}
		return physician.NewPrescriptions(c, w)
	})
}
