package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"

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
	demo := flag.String("demo", "", "open the real profiles in this folder (a `medihaven demo` clinic) instead of the made-up ones")
	profile := flag.String("profile", "", "with -demo: the profile folder to preselect")
	tourDir := flag.String("tour", "", "log in with -passphrase, open every section at every -sizes, write screenshots to this folder and quit")
	pass := flag.String("passphrase", passphrase, "with -tour: the passphrase to log in with")
	staffName := flag.String("staff", "", "prefill this staff name (with -demo: the profile's person, when it does not name them)")
	sizeList := flag.String("sizes", "1024x768,1920x1080", "with -tour: window sizes, WxH separated by commas")
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
	var b ui.Backend = backend{profiles: clinics[:*profiles], delay: *delay}
	if *demo != "" {
		b, o.Profile = demoBackend{dir: *demo}, *profile
	}
	if *staffName != "" {
		o.StaffName = *staffName
	}
	if *tourDir != "" {
		sizes, err := parseSizes(*sizeList)
		if err != nil {
			fmt.Fprintln(os.Stderr, "uipreview:", err)
			os.Exit(2)
		}
		prefix := filepath.Base(o.Profile)
		if *role != "" {
			prefix = *role
		}
		o.Started = tour(*tourDir, *pass, prefix+"-"+themeName(*theme), sizes)
	}
	if err := ui.Run(b, o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// parseSizes reads "1024x768,1920x1080".
func parseSizes(list string) ([]fyne.Size, error) {
	var out []fyne.Size
	for _, f := range strings.Split(list, ",") {
		w, h, ok := strings.Cut(strings.TrimSpace(f), "x")
		wi, err1 := strconv.Atoi(w)
		hi, err2 := strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || wi <= 0 || hi <= 0 {
			return nil, fmt.Errorf("-sizes: %q is not WIDTHxHEIGHT", f)
		}
		out = append(out, fyne.NewSize(float32(wi), float32(hi)))
	}
	return out, nil
}

func themeName(t string) string {
	if t == "" {
		return "system"
	}
	return t
}
