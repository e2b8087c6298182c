package ui

import (
	"context"

	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/roles"
)

// Profile is one workstation profile on this machine.
type Profile struct {
	Dir    string // profile folder
	Clinic string // clinic name shown on the login screen
	// Staff is the name of the staff member whose workstation it is, ""
	// when the profile does not say (then the login form asks for it).
	Staff string
}

// Backend is what the login screen needs.
type Backend interface {
	// Profiles lists the workstation profiles found on this machine.
	Profiles(ctx context.Context) ([]Profile, error)
	// Login opens a profile for a staff member. Its errors are shown to the
	// person as they are (they are written for people).
	Login(ctx context.Context, profileDir, staffName string, passphrase []byte) (Session, error)
}

// Session is a logged-in staff member's workstation.
type Session interface {
	StaffName() string
	Role() roles.Role
	Clinic() string
	// Lock forgets the unlocked keys; the shell shows the lock screen.
	Lock()
	// Unlock unlocks the keys again with the staff member's passphrase.
	Unlock(ctx context.Context, passphrase []byte) error
	// Close logs out.
	Close() error
}

// Options for Run.
type Options struct {
	Title     string // window title, default "Medihaven"
	Profile   string // preselected profile dir (may be empty)
	StaffName string // prefilled staff name (demo), may be empty
	Theme     string // "light", "dark" or "" (system)
	// Started, if set, runs on a goroutine of its own once the window is
	// shown: a tool that drives the window (internal/uipreview -tour)
	// reaches the workstation through it, calling it through fyne.Do.
	Started func(ws *Workstation, w fyne.Window)

	listed <-chan listing // Run's listing of the profiles, made while the window is
}
