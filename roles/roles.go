package roles

import (
	"errors"
	"fmt"
	"strings"
)

// Role is what a staff member does at the clinic. It decides the actions
// they may take and the key scopes their workstation holds.
type Role string

// The clinic's roles.
const (
	Administrator Role = "administrator"
	Physician     Role = "physician"
	Receptionist  Role = "receptionist"
)

// All lists every role, in the order screens show them.
var All = []Role{Administrator, Receptionist, Physician}

// ErrUnknownRole is returned by Parse for a name that is no role.
var ErrUnknownRole = errors.New("roles: unknown role")

// Parse reads a role name as a person types it ("Physician", " receptionist ").
func Parse(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("%w %q: choose administrator, receptionist or physician", ErrUnknownRole, s)
}

// Valid reports whether r is one of the clinic's roles.
func (r Role) Valid() bool {
	switch r {
	case Administrator, Physician, Receptionist:
		return true
	}
	return false
}

// Title is the role's name as a screen shows it.
func (r Role) Title() string {
	if !r.Valid() {
		return "Unknown role"
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

// Scope is a class of data with its own symmetric key. Holding a scope's key
// is what it means to be allowed to read that class of data.
type Scope string

// The clinic's data scopes.
const (
	// Directory: the staff list and their public keys. Every member.
	Directory Scope = "directory"
	// FrontDesk: patient demographics and appointments.
	FrontDesk Scope = "frontdesk"
	// Clinical: notes, problems, allergies, vitals, prescriptions.
	Clinical Scope = "clinical"
	// Admin: registration token secrets and the audit trail.
	Admin Scope = "admin"
)

// Scopes lists every scope.
var Scopes = []Scope{Directory, FrontDesk, Clinical, Admin}

// Valid reports whether s is one of the clinic's scopes.
func (s Scope) Valid() bool {
	switch s {
	case Directory, FrontDesk, Clinical, Admin:
		return true
	}
	return false
}

// ParseScope reads a scope name.
func ParseScope(s string) (Scope, error) {
	sc := Scope(strings.ToLower(strings.TrimSpace(s)))
	if sc.Valid() {
		return sc, nil
	}
	return "", fmt.Errorf("roles: unknown scope %q", s)
}

// scopesOf is the heart of the policy: which keys each role's workstation holds.
var scopesOf = map[Role][]Scope{
	Administrator: {Directory, Admin},
	Receptionist:  {Directory, FrontDesk},
	Physician:     {Directory, FrontDesk, Clinical},
}

// Scopes returns the scopes whose keys a workstation of role r holds.
func (r Role) Scopes() []Scope {
	return append([]Scope(nil), scopesOf[r]...)
}

// Holds reports whether role r holds the key of scope s.
func (r Role) Holds(s Scope) bool {
	for _, have := range scopesOf[r] {
		if have == s {
			return true
		}
	}
	return false
}

// Creates reports whether role r creates the first key of scope s when the
// clinic has none yet. The clinical key is created by the first physician,
// never by an administrator; the front-desk key by whichever of a
// receptionist or physician joins first; directory and admin keys by the
// founding administrator.
func (r Role) Creates(s Scope) bool {
	switch s {
	case Directory, Admin:
		return r == Administrator
	case FrontDesk:
		return r == Receptionist || r == Physician
	case Clinical:
		return r == Physician
	}
	return false
}

// NeedsConfirmation reports whether the key of scope s goes to a member of
// a role holding it only once colleagues holding it confirmed her in
// person: the keys patients' data is sealed with, clinical and front desk
// (an administrator admits physicians and receptionists, but her word
// alone must not hand anyone the charts or the patients' demographics).
// The other keys go to every active member whose role holds them.
func NeedsConfirmation(s Scope) bool { return s == Clinical || s == FrontDesk }
