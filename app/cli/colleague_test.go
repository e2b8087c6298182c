package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/roles"
)

func TestColleague(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, dir, "", "demo", "--patients", "4"); code != 0 {
		t.Fatalf("demo: %d %s", code, errs)
	}
	phys := filepath.Join(dir, "physician")
	// A third physician asks to join; nobody admitted her yet.
	ctx := context.Background()
	adm, err := app.Login(ctx, app.Env{}, filepath.Join(dir, "admin"), "", []byte("test passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := adm.IssueToken(ctx, roles.Physician, time.Hour)
	adm.Close()
	if err != nil {
		t.Fatal(err)
	}
	third := filepath.Join(dir, "third")
	if code, _, errs := run(t, third, "", "enroll", "--token", tok.String(), "--name", "Dr. Nia Third"); code != 0 {
		t.Fatalf("enroll: %s", errs)
	}
	// The demo's physicians confirmed each other.
	code, out, errs := run(t, phys, "", "colleague", "list")
	if code != 0 || !strings.Contains(out, "Dr. Jonas Lindqvist") || !strings.Contains(out, "you confirmed each other") {
		t.Fatalf("list: %d %q %q", code, out, errs)
	}
	var codeOf string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "Lindqvist") {
			codeOf = line[:15]
		}
	}
	tests := []struct {
		name     string
		args     []string
		exit     int
		out, err string
	}{
		{"confirm again", []string{"colleague", "confirm", "Dr. Jonas Lindqvist", codeOf}, 0, "Confirmed Dr. Jonas Lindqvist", ""},
		{"wrong code", []string{"colleague", "confirm", "dr. jonas lindqvist", "000 000 000 000"}, 1, "", "does not match"},
		{"nobody of that name", []string{"colleague", "confirm", "Dr. Who", codeOf}, 1, "", "no physician or receptionist named"},
		{"no code", []string{"colleague", "confirm", "Dr. Jonas Lindqvist"}, 2, "", "twelve-digit code"},
		{"no subcommand", []string{"colleague"}, 2, "", "list, confirm NAME CODE"},
		{"recovery, none set up", []string{"colleague", "recovery"}, 0, "No recovery is set up", ""},
		{"approve-recovery without an id", []string{"colleague", "approve-recovery"}, 2, "", "recovery's id"},
		{"approve-recovery, none set up", []string{"colleague", "approve-recovery", "0123456789abcdef0123456789abcdef"}, 1, "", "no recovery is set up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exit, out, errs := run(t, phys, "", tt.args...)
			if exit != tt.exit || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.err) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", exit, out, errs, tt.exit, tt.out, tt.err)
			}
		})
	}
	// The demo's receptionist and physicians confirmed each other, for
	// the front desk.
	code, out, errs = run(t, filepath.Join(dir, "reception"), "", "colleague", "list")
	if code != 0 || !strings.Contains(out, "Dr. Jonas Lindqvist (physician)  you confirmed each other, for the front desk") {
		t.Errorf("a receptionist's colleague list: %d %q %q", code, out, errs)
	}
	if strings.Contains(out, "Dr. Nia Third") {
		t.Errorf("a receptionist's colleague list names a physician not admitted: %q", out)
	}
	if code, _, errs := run(t, filepath.Join(dir, "admin"), "", "colleague", "list"); code != 1 || !strings.Contains(errs, "administrators do not confirm colleagues") {
		t.Errorf("an administrator's colleague list: %d %q", code, errs)
	}
	if code, _, errs := run(t, third, "", "colleague", "list"); code != 1 || !strings.Contains(errs, "admits you first") {
		t.Errorf("a newcomer's colleague list before admission: %d %q", code, errs)
	}
}
