package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/app/interop"
	"github.com/medihaven/medihaven/internal/atomicfile"
	"github.com/medihaven/medihaven/roles"
)

// cmdExportICS: medihaven export ics --physician NAME [--from DATE --to DATE] > calendar.ics
//
// The calendar goes to standard output, the summary to standard error.
// --to is the last day included.
func cmdExportICS(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("export ics")
	name := fs.String("physician", "", "the physician's name (or key fingerprint)")
	from := fs.String("from", "", "first day, YYYY-MM-DD (default: today)")
	to := fs.String("to", "", "last day, YYYY-MM-DD (default: 90 days on)")
	detail := fs.String("detail", "busy", "what events say: busy, initials (and MRN) or full (name and reason)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || strings.TrimSpace(*name) == "" {
		return fmt.Errorf("%w: export ics needs --physician NAME; write it to a file with > calendar.ics", ErrUsage)
	}
	d, err := interop.ParseICSDetail(*detail)
	if err != nil {
		return fmt.Errorf("%w: --detail %q is not one of busy, initials or full", ErrUsage, *detail)
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := findMember(ctx, s, *name, roles.Physician)
	if err != nil {
		return err
	}
	zone, err := s.ClinicZone(ctx)
	if err != nil {
		return err
	}
	o := interop.ICSOptions{Physician: m.Fingerprint, Detail: d}
	if o.From, err = cliDay("--from", *from, zone); err != nil {
		return err
	}
	if o.To, err = cliDay("--to", *to, zone); err != nil {
		return err
	}
	if !o.To.IsZero() {
		o.To = o.To.AddDate(0, 0, 1) // the last day is included
	}
	n, err := interop.New(s.Core()).ExportCalendarICS(ctx, io.Stdout, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Stderr, "Exported %d appointments of %s (event text: %s)\n", n, m.Name, d)
	return nil
}

// cliDay reads a YYYY-MM-DD day in the clinic's zone; "" is the zero time.
func cliDay(flag, v string, zone *time.Location) (time.Time, error) {
	if strings.TrimSpace(v) == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(v), zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q is not a day like 2026-11-02", ErrUsage, flag, v)
	}
	return t, nil
}

// findMember finds an active staff member by name (case and spacing
// ignored; a unique part of the name is enough) or key fingerprint, of
// role when role is not "".
func findMember(ctx context.Context, s *app.Session, query string, role roles.Role) (admin.StaffMember, error) {
	members, err := admin.New(s.Core()).StaffDirectory(ctx)
	if err != nil {
		return admin.StaffMember{}, err
	}
	norm := func(v string) string { return strings.ToLower(strings.Join(strings.Fields(v), " ")) }
	q := norm(query)
	fp := strings.ReplaceAll(q, " ", "")
	var exact, part []admin.StaffMember
	for _, m := range members {
		if !m.Active || (role != "" && m.Role != role) {
			continue
		}
		switch {
		case norm(m.Name) == q || m.Fingerprint == fp:
			exact = append(exact, m)
		case strings.Contains(norm(m.Name), q):
			part = append(part, m)
		}
	}
	what := "staff member"
	if role != "" {
		what = string(role)
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case len(exact) == 0 && len(part) == 1:
		return part[0], nil
	case len(exact)+len(part) == 0:
		return admin.StaffMember{}, fmt.Errorf("no active %s named %q in the directory on this workstation", what, query)
	}
	var names []string
	for _, m := range append(exact, part...) {
		names = append(names, fmt.Sprintf("%s (%s)", m.Name, admin.ShortFingerprint(m.Fingerprint)))
	}
	return admin.StaffMember{}, fmt.Errorf("%q names more than one %s: %s; give the full name or the key fingerprint", query, what, strings.Join(names, ", "))
}

// patientByMRN returns the id of the patient with a medical record number
// (case and spacing around it ignored).
func patientByMRN(ctx context.Context, s *app.Session, mrn string) (string, error) {
	want := strings.ToUpper(strings.TrimSpace(mrn))
	found, err := s.SearchPatients(ctx, want, 5)
	if err != nil {
		return "", err
	}
	for _, p := range found {
		if p.MRN == want {
			return p.ID, nil
		}
	}
	return "", fmt.Errorf("no patient with the medical record number %q on this workstation (it looks like MH0012345)", mrn)
}

// cmdExportKeys: medihaven export keys [--name NAME] > staff.asc
func cmdExportKeys(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("export keys")
	name := fs.String("name", "", "only this staff member's key (name or fingerprint; default: everyone's)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: export keys takes no arguments; write it to a file with > staff.asc", ErrUsage)
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	fp := ""
	if strings.TrimSpace(*name) != "" {
		m, err := findMember(ctx, s, *name, "")
		if err != nil {
			return err
		}
		fp = m.Fingerprint
	}
	n, err := interop.New(s.Core()).ExportStaffKeys(ctx, io.Stdout, fp)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Stderr, "Exported %d public key(s); import them with: gpg --import staff.asc\n", n)
	return nil
}

// cmdHandout: medihaven handout --patient MRN --out handout.pdf
func cmdHandout(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("handout")
	mrn := fs.String("patient", "", "the patient's medical record number (MRN)")
	out := fs.String("out", "", "where to write the handout PDF to print")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || strings.TrimSpace(*mrn) == "" || strings.TrimSpace(*out) == "" {
		return fmt.Errorf("%w: handout needs --patient MRN and --out FILE.pdf", ErrUsage)
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	id, err := patientByMRN(ctx, s, *mrn)
	if err != nil {
		return err
	}
	// Check the handout's folder before anything goes to IPFS.
	if st, err := os.Stat(filepath.Dir(*out)); err != nil || !st.IsDir() {
		return fmt.Errorf("cannot write the handout to %s: no such folder", *out)
	}
	pc, err := interop.New(s.Core()).HandOutPatientCopy(ctx, id)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, pc.Handout, 0o600); err != nil { // a new file of ours, 0600, whatever was there
		return fmt.Errorf("the copy is on IPFS as %s, but the handout could not be written (%w): run handout again", pc.CID, err)
	}
	fmt.Fprintf(io.Stdout, "Put %s's own copy on IPFS: %s\nHandout (with the passphrase) written to %s: print it and give it to the patient.\n",
		pc.MRN, pc.CID, *out)
	return nil
}
