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
	// own builds the shell's own screens (Settings, Help), which need the
	// workstation rather than only the session.
	own func(ws *Workstation, sh *shellScreen) fyne.CanvasObject
}

// Screen builds the content of one section for a logged-in session. The
// role's screens live in sub-packages (ui/frontdesk, ui/physician,
// ui/admin, ui/chat) that declare the narrow interface they need; a Screen
// type-asserts the session to it and returns nil when the session cannot
// serve it, and the shell then shows the section's placeholder. open shows
// another section of the shell by its title (a screen's link to another).
type Screen func(s Session, w fyne.Window, open func(title string)) fyne.CanvasObject

// screens holds the built screens by role and section title. Each role's
// wiring file (wire_*.go) registers its screens in an init function.
var screens = map[roles.Role]map[string]Screen{}

// screenOf adapts a role package's constructor to a Screen: the session
// is offered as the narrow interface T the screen consumes, and a session
// that does not provide it gets the placeholder.
func screenOf[T any](build func(T, fyne.Window) fyne.CanvasObject) Screen {
	return linkedScreenOf(func(t T, w fyne.Window, _ func(string)) fyne.CanvasObject { return build(t, w) })
}

// linkedScreenOf is screenOf for a screen that links to other sections:
// build gets the shell's open.
func linkedScreenOf[T any](build func(T, fyne.Window, func(title string)) fyne.CanvasObject) Screen {
	return func(s Session, w fyne.Window, open func(string)) fyne.CanvasObject {
		t, ok := s.(T)
		if !ok {
			return nil
		}
		return build(t, w, open)
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
var chat = section{title: "Chat", icon: theme.IconNameMailCompose,
	coming: "Messages with colleagues and the clinic room, encrypted end to end, delivered when they come back online."}

// Settings and Help close every role's navigation.
var (
	settingsSection = section{title: "Settings", icon: theme.IconNameSettings,
		own: func(ws *Workstation, sh *shellScreen) fyne.CanvasObject { return ws.newSettings(sh) }}
	helpSection = section{title: "Help", icon: theme.IconNameHelp,
		own: func(ws *Workstation, sh *shellScreen) fyne.CanvasObject { return newHelp(sh.session.Role()) }}
)

// sectionsOf is each role's navigation, in the order the shell lists it.
var sectionsOf = map[roles.Role][]section{
	roles.Administrator: {
		{title: "Registration tokens", icon: theme.IconNameLogin,
			coming: "Issue a one-time token (with a QR code) that lets a new staff member's workstation join the clinic, see which are still open, and revoke them."},
		{title: "Staff directory", icon: theme.IconNameAccount,
			coming: "Everyone on the clinic's staff with their role; admit new workstations and revoke access when someone leaves."},
		{title: auditTitle, icon: theme.IconNameHistory,
			coming: "Who opened or changed which record and when, with a check that no entry was altered or removed."},
		{title: "Security", icon: theme.IconNameVisibilityOff,
			coming: "Idle lock, passphrase lockout and key recovery shared among administrators (no one of them holds it alone)."},
		{title: "Clinic", icon: theme.IconNameHome,
			coming: "The clinic's address and phone and each physician's licence number, printed on prescriptions."},
		chat, settingsSection, helpSection,
	},
	roles.Receptionist: {
		{title: "Today", icon: theme.IconNameHome,
			coming: "Today's appointments across the clinic, with check-in as patients arrive."},
		{title: "Patients", icon: theme.IconNameAccount,
			coming: "Find a patient by name, birth date or phone, register new patients and update their details."},
		{title: "Appointments", icon: theme.IconNameCalendar,
			coming: "Book, move and cancel appointments in each physician's calendar; overlaps are shown, never hidden."},
		{title: "Working hours", icon: theme.IconNameHistory,
			coming: "Each physician's working hours, slot length and days off, which the booking view offers as free slots."},
		{title: "Colleagues", icon: theme.IconNameConfirm,
			coming: "The clinic's physicians and receptionists, each with a code to compare in person: a new receptionist works with patients once a colleague and she have confirmed each other."},
		chat, settingsSection, helpSection,
	},
	roles.Physician: {
		{title: "Calendar", icon: theme.IconNameCalendar,
			coming: "Your appointments by day and week; open one to see the chart, and start the visit when the patient is with you."},
		{title: "Patients", icon: theme.IconNameAccount,
			coming: "Patient charts: problems, allergies, medications, signed SOAP notes and vitals with trends."},
		{title: "Prescriptions", icon: theme.IconNameDocument,
			coming: "Write, check and sign e-prescriptions, print them as PDF, and check a printed verification code."},
		{title: "Colleagues", icon: theme.IconNameConfirm,
			coming: "The clinic's other physicians and its receptionists, each with a code to compare in person: a new physician reads charts once a colleague and she have confirmed each other."},
		chat, settingsSection, helpSection,
	},
}
