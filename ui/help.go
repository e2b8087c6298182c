package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/roles"
)

// helpWidth keeps the guide a readable width.
const helpWidth = 680

// guides are a short guide per role, for clinic staff: a title and steps.
var guides = map[roles.Role][]struct{ title, text string }{
	roles.Receptionist: {
		{"Start of the day", "Today lists every appointment in the clinic. Check patients in as they arrive; a late or missing patient can be marked as a no-show."},
		{"Find or register a patient", "In Patients, type part of a name, a birth date, a phone number or an MRN. If nobody matches, register the patient: Medihaven warns you when someone similar is already registered."},
		{"Book an appointment", "In Appointments, choose the day and tap a free slot of a physician, then find the patient. Overlapping bookings are shown in the conflict colour, never hidden."},
		{"Working hours", "Set each physician's hours, slot length and days off; the booking view offers their free slots from them."},
		{"Colleagues", "A new receptionist sees patients only once a receptionist or physician who already does and they have confirmed each other in person. Meet, open Colleagues on both workstations, and compare the twelve-digit code beside each other's name; each then presses Confirm… and types the code the other's screen shows. If the codes differ, do not confirm: tell your administrator."},
	},
	roles.Physician: {
		{"Your day", "Calendar shows your appointments. Opening one starts the visit and opens the patient's chart."},
		{"The chart", "Problems, allergies, medications, signed notes and vitals. A signed note cannot be changed: add a correction, which points to it."},
		{"Prescriptions", "Write a prescription, check it against the patient's allergies and medications, sign it and print it. A drug that cannot be checked is shown as not checked, and signing asks you to confirm."},
		{"Colleagues", "A new physician reads charts only once a physician who already does and they have confirmed each other in person (a receptionist's confirmation opens the front desk to them, never the charts); a new receptionist needs a receptionist's or physician's. Meet, open Colleagues on both workstations, and compare the twelve-digit code beside each other's name; each then presses Confirm… and types the code the other's screen shows. If the codes differ, do not confirm: tell your administrator."},
	},
	roles.Administrator: {
		{"A new colleague", "In Registration tokens, issue a token for the role they need and give it to them (the QR code or the text). When their workstation asks to join, compare the short code on both screens in Staff directory and approve."},
		{"A new physician or receptionist", "Admitting a physician or receptionist does not open patients' records to them: a colleague and the newcomer first confirm each other in person, in Colleagues on their own workstations (a physician for a physician's charts). Staff directory shows who confirmed each of them, or that they are still waiting."},
		{"Someone leaves", "In Staff directory, revoke their access. Their workstation can no longer read new records."},
		{"Checking who did what", "The Audit log lists who opened or changed which record and when; Verify checks that no entry was altered or removed."},
		{"Security", "Set how soon idle workstations lock and how many wrong passphrases pause the login, and keep the clinic recovery key shared among administrators."},
		{"Clinic", "Set the clinic's address and phone and each physician's licence number; every printed prescription carries them."},
	},
}

// everyone is the part of the guide for every role.
var everyone = []struct{ title, text string }{
	{"Chat", "Talk to colleagues one to one or in the clinic room. Messages are encrypted end to end; refer to patients by MRN, not by name."},
	{"Stepping away", "Lock the workstation (Lock, or Ctrl+L) whenever you leave the desk; it also locks itself after a while without input. Your passphrase unlocks it where you left off."},
	{"Settings", "Choose the theme, how dates are written, when the workstation locks itself (within your clinic's limit) and change your passphrase."},
}

// newHelp is the Help section: the role's guide and the keyboard.
func newHelp(role roles.Role) fyne.CanvasObject {
	var guide []fyne.CanvasObject
	for _, g := range append(append([]struct{ title, text string }{}, guides[role]...), everyone...) {
		title := widget.NewLabelWithStyle(g.title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		guide = append(guide, container.New(layout.NewCustomPaddedVBoxLayout(-12), title, paragraph(g.text)))
	}
	keys := widget.NewForm()
	for _, s := range shortcuts {
		l := widget.NewLabel(s.what)
		l.Wrapping = fyne.TextWrapWord
		keys.Append(s.keys, l)
	}
	note := paragraph("F1 and Esc work when no field has the focus: press Tab until none is highlighted, or click an empty part of the page.")
	note.Importance = widget.LowImportance
	return container.NewHBox(container.New(columnLayout(helpWidth), container.NewVBox(
		widget.NewCard("Your work in Medihaven", "", container.NewVBox(guide...)),
		widget.NewCard("Keyboard", "", container.NewVBox(keys, note)),
		helpFooter(),
	)))
}

// helpFooter says where to turn when the guide is not enough.
func helpFooter() fyne.CanvasObject {
	l := paragraph("Something not working? Ask your clinic's administrator; they can see the workstation's status and the audit log.")
	l.Importance = widget.LowImportance
	return container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), nil, l)
}
