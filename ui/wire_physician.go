package ui

import (
	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/physician"
)

// The physician's screens (ui/physician). Calendar and Patients link to
// Colleagues while the physician waits for a colleague's confirmation.
func init() {
	register(roles.Physician, "Calendar", toColleagues(physician.NewCalendar))
	register(roles.Physician, "Patients", toColleagues(physician.NewPatients))
	register(roles.Physician, "Prescriptions", screenOf[physician.Session](physician.NewPrescriptions))
	register(roles.Physician, "Colleagues", screenOf[physician.Session](physician.NewColleagues))
}

// toColleagues adapts a physician's screen that offers the way to
// Colleagues.
func toColleagues(build func(physician.Session, fyne.Window, func()) fyne.CanvasObject) Screen {
	return linkedScreenOf(func(s physician.Session, w fyne.Window, open func(string)) fyne.CanvasObject {
		return build(s, w, func() { open("Colleagues") })
	})
}
