package ui

import (
	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/frontdesk"
)

// The receptionist's screens (ui/frontdesk).
func init() {
	for title, build := range map[string]func(frontdesk.Session, fyne.Window) fyne.CanvasObject{
		"Today":         frontdesk.NewToday,
		"Patients":      frontdesk.NewPatients,
		"Appointments":  frontdesk.NewAppointments,
		"Working hours": frontdesk.NewHours,
	} {
		build := build
		register(roles.Receptionist, title, screenOf[frontdesk.Session](build))
	}
}
