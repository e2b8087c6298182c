// Command uipreview opens Medihaven's window on a demo backend held in
// memory, to look at the screens without a clinic profile: three made-up
// clinics, one staff member per role, passphrase "demo". It holds no keys
// and no patient data, and is not shipped.
//
//	go run ./internal/uipreview -role physician -theme dark
//
// With -role the staff name is prefilled, so typing the passphrase and Enter
// opens that role's shell; Ctrl+L then locks it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui"
)

// passphrase opens every demo staff member's workstation.
const passphrase = "demo"

// staff is the demo clinic's staff, one per role.
var staff = map[roles.Role]string{
	roles.Administrator: "Alice Moreau",
	roles.Receptionist:  "Ben Okafor",
	roles.Physician:     "Dr. Clara Nguyen",
}

var clinics = []ui.Profile{
	{Dir: "/demo/riverside", Clinic: "Riverside Family Practice"},
	{Dir: "/demo/harbour", Clinic: "Harbour Street Clinic"},
	{Dir: "/demo/hillview", Clinic: "Hillview Health Centre"},
}

var errWrongLogin = errors.New("The staff name or passphrase is not right. Check both and try again (the demo passphrase is \"demo\")")

// backend is a ui.Backend held in memory.
type backend struct {
	profiles []ui.Profile
	delay    time.Duration // how long a login or unlock takes
}

func (b backend) Profiles(ctx context.Context) ([]ui.Profile, error) {
	return b.profiles, ctx.Err()
}

func (b backend) Login(ctx context.Context, dir, name string, pass []byte) (ui.Session, error) {
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	for _, p := range b.profiles {
		if p.Dir != dir {
			continue
		}
		for role, n := range staff {
			if strings.EqualFold(n, strings.TrimSpace(name)) && string(pass) == passphrase {
				return &session{b: b, name: n, role: role, clinic: p.Clinic}, nil
			}
		}
	}
	return nil, errWrongLogin
}

func (b backend) wait(ctx context.Context) error {
	select {
	case <-time.After(b.delay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type session struct {
	b            backend
	name, clinic string
	role         roles.Role
}

func (s *session) StaffName() string { return s.name }
func (s *session) Role() roles.Role  { return s.role }
func (s *session) Clinic() string    { return s.clinic }
func (s *session) Lock()             {}
func (s *session) Close() error      { return nil }

func (s *session) Unlock(ctx context.Context, pass []byte) error {
	if err := s.b.wait(ctx); err != nil {
		return err
	}
	if string(pass) != passphrase {
		return errors.New("That passphrase is not right (the demo passphrase is \"demo\")")
	}
	return nil
}

func main() {
	role := flag.String("role", "", "prefill the staff name of this role's demo staff member: administrator, receptionist or physician")
	theme := flag.String("theme", "", `"light", "dark" or empty to follow the system`)
	profiles := flag.Int("profiles", len(clinics), fmt.Sprintf("how many demo clinic profiles to offer, 0 to %d", len(clinics)))
	delay := flag.Duration("delay", 300*time.Millisecond, "how long a login or unlock takes")
	flag.Parse()

	if *profiles < 0 || *profiles > len(clinics) {
		fmt.Fprintf(os.Stderr, "uipreview: -profiles must be between 0 and %d\n", len(clinics))
		os.Exit(2)
	}
	o := ui.Options{Theme: *theme}
	if *role != "" {
		r, err := roles.Parse(*role)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		o.StaffName = staff[r]
	}
	if *profiles > 0 {
		o.Profile = clinics[0].Dir
	}
	b := backend{profiles: clinics[:*profiles], delay: *delay}
	if err := ui.Run(b, o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
