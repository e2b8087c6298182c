package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/medihaven/medihaven/roles"
)

// section is one entry of a role's navigation.
type section struct {
	title string
	icon  fyne.ThemeIconName
	// coming says what the screen will do. It is shown on the section's
	// placeholder until the screen exists, so nobody mistakes it for data.
	coming string
}

// Screen builds the content of one section for a logged-in session. The
// role's screens live in sub-packages (ui/frontdesk, ui/physician,
// ui/admin, ui/chat) that declare the narrow interface they need; a Screen
// type-asserts the session to it and returns nil when the session cannot
// serve it, and the shell then shows the section's placeholder.
type Screen func(s Session, w fyne.Window) fyne.CanvasObject

// screens holds the built screens by role and section title. Each role's
// wiring file (wire_*.go) registers its screens in an init function.
var screens = map[roles.Role]map[string]Screen{}

// screenOf adapts a role package's constructor to a Screen: the session
// is offered as the narrow interface T the screen consumes, and a session
// that does not provide it gets the placeholder.
func screenOf[T any](build func(T, fyne.Window) fyne.CanvasObject) Screen {
	return func(s Session, w fyne.Window) fyne.CanvasObject {
		t, ok := s.(T)
		if !ok {
			return nil
		}
		return build(t, w)
	}
}

// register makes screen the content of the section titled title of role.
func register(role roles.Role, title string, screen Screen) {
	if screens[role] == nil {
		screens[role] = map[string]Screen{}
	}
	screens[role][title] = screen
}

// chat is in every role's navigation.
var chat = section{"Chat", theme.IconNameMailCompose,
	"Messages with colleagues and the clinic room, encrypted end to end, delivered when they come back online."}

// sectionsOf is each role's navigation, in the order the shell lists it.
var sectionsOf = map[roles.Role][]section{
	roles.Administrator: {
		{"Registration tokens", theme.IconNameLogin,
			"Issue a one-time token (with a QR code) that lets a new staff member's workstation join the clinic, see which are still open, and revoke them."},
		{"Staff directory", theme.IconNameAccount,
			"Everyone on the clinic's staff with their role; admit new workstations and revoke access when someone leaves."},
		{"Audit log", theme.IconNameHistory,
			"Who opened or changed which record and when, with a check that no entry was altered or removed."},
		{"Security", theme.IconNameSettings,
			"Idle lock, passphrase lockout and the clinic recovery key shared among administrators."},
		chat,
	},
	roles.Receptionist: {
		{"Today", theme.IconNameHome,
			"Today's appointments across the clinic, with check-in as patients arrive."},
		{"Patients", theme.IconNameAccount,
			"Find a patient by name, birth date or phone, register new patients and update their details."},
		{"Appointments", theme.IconNameCalendar,
			"Book, move and cancel appointments in each physician's calendar; overlaps are shown, never hidden."},
		{"Working hours", theme.IconNameHistory,
			"Each physician's working hours, slot length and days off, which the booking view offers as free slots."},
		chat,
	},
	roles.Physician: {
		{"Calendar", theme.IconNameCalendar,
			"Your appointments by day and week; opening one starts the visit and opens the chart."},
		{"Patients", theme.IconNameAccount,
			"Patient charts: problems, allergies, medications, signed SOAP notes and vitals with trends."},
		{"Prescriptions", theme.IconNameDocument,
			"Write, check and sign e-prescriptions, print them as PDF, and check a printed verification code."},
		chat,
	},
}
