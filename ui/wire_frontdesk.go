package ui

import (
	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/colleagues"
	"github.com/medihaven/medihaven/ui/frontdesk"
)

// The receptionist's screens (ui/frontdesk), and Colleagues (ui/colleagues,
// shared with physicians). Today links to Colleagues while she waits for
// a colleague's confirmation.
func init() {
	register(roles.Receptionist, "Today", linkedScreenOf(func(s frontdesk.Session, w fyne.Window, open func(string)) fyne.CanvasObject {
		return frontdesk.NewToday(s, w, func() { open("Colleagues") })
	}))
	register(roles.Receptionist, "Colleagues", screenOf[colleagues.Session](colleagues.Section))
	for title, build := range map[string]func(frontdesk.Session, fyne.Window) fyne.CanvasObject{
		"Patients":      frontdesk.NewPatients,
		"Appointments":  frontdesk.NewAppointments,
		"Working hours": frontdesk.NewHours,
	} {
		build := build
		register(roles.Receptionist, title, screenOf[frontdesk.Session](build))
	}
}
